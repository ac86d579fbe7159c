import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  androidPlatforms,
  compareCodePoints,
  compatibleTags,
  compressedTagRank,
  cpythonAbis,
  cpythonTags,
  createCompatibleTagsSelector,
  genericTags,
  InvalidTag,
  iosPlatforms,
  linuxPlatforms,
  macPlatforms,
  manylinuxPlatforms,
  musllinuxPlatforms,
  parseTag,
  selectBestWheel,
  sysTags,
  Tag,
  tagRanks,
  targetTags,
  UnsortedTagsError,
} from '../../src/standards/tags.js';
import { parseWheelFilename } from '../../src/standards/filenames.js';
import { LOCAL_PYPI, localPypiAvailable } from '../helpers/python.js';
import { NO_ORACLE, packagingOracleAvailable, runOracle } from './packaging-oracle.js';
import { vectorFile } from './vectors.js';

// biome-ignore lint/suspicious/noExplicitAny: vector cases are heterogeneous JSON
type Case = Record<string, any>;
const vectors = JSON.parse(readFileSync(vectorFile('tags.json'), 'utf8')) as { cases: Case[] };

const strs = (tags: Iterable<Tag | string>) => [...tags].map(String);
const sorted = (xs: string[]) => [...xs].sort(compareCodePoints);

function runCase(c: Case): void {
  switch (c.kind) {
    case 'parse_tag': {
      if (c.valid) {
        assert.deepEqual(sorted(strs(parseTag(c.tag, { validateOrder: c.validate_order }))), c.tags);
      } else {
        assert.equal(c.error, 'UnsortedTagsError');
        assert.throws(() => parseTag(c.tag, { validateOrder: c.validate_order }), UnsortedTagsError);
      }
      return;
    }
    case 'cpython_tags':
      assert.deepEqual(strs(cpythonTags(c.python_version, c.abis, c.platforms)), c.result);
      return;
    case 'generic_tags':
      assert.deepEqual(strs(genericTags(c.interpreter, c.abis, c.platforms)), c.result);
      return;
    case 'compatible_tags':
      assert.deepEqual(strs(compatibleTags(c.python_version, c.interpreter, c.platforms)), c.result);
      return;
    case 'mac_platforms':
      assert.deepEqual(macPlatforms(c.version, c.arch), c.result);
      return;
    case 'ios_platforms':
      assert.deepEqual(iosPlatforms(c.version, c.multiarch), c.result);
      return;
    case 'android_platforms':
      assert.deepEqual(androidPlatforms(c.api_level, c.abi), c.result);
      return;
    case 'manylinux_platforms':
      assert.deepEqual(manylinuxPlatforms(c.glibc, c.archs), c.result);
      return;
    case 'musllinux_platforms':
      assert.deepEqual(musllinuxPlatforms(c.musl, c.archs), c.result);
      return;
    case 'linux_platforms':
      assert.deepEqual(
        linuxPlatforms({ sysconfigPlatform: c.sysconfig_platform, is32bit: c.is_32bit, glibc: c.glibc, musl: c.musl }),
        c.result,
      );
      return;
    case 'sys_tags':
      assert.deepEqual(
        strs(
          sysTags({
            interpreterName: c.interpreter_name,
            pythonVersion: c.python_version,
            abis: c.abis,
            platforms: c.platforms,
          }),
        ),
        c.result,
      );
      return;
    case 'select': {
      const select = createCompatibleTagsSelector<string>(c.supported.map((s: string) => parseTag(s)[0]!));
      const things = c.things.map((t: { name: string; tag: string }) => [t.name, parseTag(t.tag)] as const);
      assert.deepEqual(select(things), c.result);
      // The fast string form agrees with the Tag form.
      const ranks = tagRanks(c.supported);
      const fast = c.things
        .map((t: { name: string; tag: string }) => ({ name: t.name, rank: compressedTagRank(ranks, t.tag) }))
        .filter((t: { rank: number | undefined }) => t.rank !== undefined)
        .sort((a: { rank: number }, b: { rank: number }) => a.rank - b.rank)
        .map((t: { name: string }) => t.name);
      assert.deepEqual(fast, c.result);
      return;
    }
    default:
      assert.fail(`unknown vector kind ${c.kind}`);
  }
}

describe('tags.json vectors (packaging 26.2)', () => {
  const byKind = new Map<string, Case[]>();
  for (const c of vectors.cases) byKind.set(c.kind, [...(byKind.get(c.kind) ?? []), c]);
  for (const [kind, cases] of byKind) {
    it(`${kind}: ${cases.length} cases`, () => {
      for (const [i, c] of cases.entries()) {
        try {
          runCase(c);
        } catch (err) {
          throw new Error(`${kind} case ${i} ${JSON.stringify(c).slice(0, 300)}: ${(err as Error).message}`);
        }
      }
    });
  }
  it(`covers all ${vectors.cases.length} cases`, () => {
    assert.equal([...byKind.values()].reduce((n, cs) => n + cs.length, 0), vectors.cases.length);
  });
});

describe('Tag and parseTag', () => {
  it('lowercases and prints interpreter-abi-platform', () => {
    const t = new Tag('CP312', 'Abi3', 'Manylinux2014_X86_64');
    assert.equal(t.toString(), 'cp312-abi3-manylinux2014_x86_64');
    assert.equal(JSON.stringify({ t }), '{"t":"cp312-abi3-manylinux2014_x86_64"}');
    assert.ok(t.equals(new Tag('cp312', 'abi3', 'manylinux2014_x86_64')));
    assert.ok(!t.equals(new Tag('cp312', 'abi3', 'manylinux2014_i686')));
  });
  it('rejects tags without three components with a typed error', () => {
    for (const bad of ['py3-none', 'py3-none-any-x', '']) {
      assert.throws(() => parseTag(bad), (e: unknown) => e instanceof InvalidTag && e.code === 'INVALID_TAG');
    }
  });
  it('expands duplicates only once', () => {
    assert.deepEqual(strs(parseTag('py3.py3-none-any.ANY')), ['py3-none-any']);
  });
  it('orders by code point like Python, not by UTF-16 unit', () => {
    // U+FF21 sorts after U+1F600 in UTF-16 units but before it by code point.
    assert.doesNotThrow(() => parseTag('py3-none-\uff21.\u{1f600}', { validateOrder: true }));
    assert.throws(() => parseTag('py3-none-\u{1f600}.\uff21', { validateOrder: true }), UnsortedTagsError);
  });
  it('never throws anything but its typed errors', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-composite' }), fc.boolean(), (s, validateOrder) => {
        try {
          for (const t of parseTag(s, { validateOrder })) assert.equal(t.toString().split('-').length >= 3, true);
        } catch (e) {
          if (!(e instanceof InvalidTag || e instanceof UnsortedTagsError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('targets', () => {
  it('derives CPython ABIs like sysconfig would', () => {
    assert.deepEqual(cpythonAbis([3, 7]), ['cp37m']);
    assert.deepEqual(cpythonAbis([3, 12]), ['cp312']);
    assert.deepEqual(cpythonAbis([3, 13], { freeThreaded: true }), ['cp313t']);
    assert.deepEqual(cpythonAbis([3, 12], { debug: true }), ['cp312d', 'cp312']);
    assert.deepEqual(cpythonAbis([2, 7]), ['cp27mu']);
  });

  it('supports z/OS: cpXY-none-any is preferred to py3-none-any and platform wheels win', () => {
    const tags = strs(targetTags({ implementation: 'cp', pythonVersion: [3, 12], platforms: ['zos_31_s390x'] }));
    assert.equal(tags[0], 'cp312-cp312-zos_31_s390x');
    const ranks = tagRanks(tags);
    const any = ranks.get('cp312-none-any')!;
    const py3 = ranks.get('py3-none-any')!;
    assert.ok(any < py3);
    assert.ok(ranks.get('cp311-abi3-zos_31_s390x')! < any);
    assert.equal(ranks.get('cp312-cp312-manylinux2014_s390x'), undefined);
    const best = selectBestWheel(ranks, [
      ['numpy-2.0.0-py3-none-any.whl', parseTag('py3-none-any')],
      ['numpy-2.0.0-cp312-none-any.whl', parseTag('cp312-none-any')],
      ['numpy-2.0.0-cp312-cp312-manylinux2014_s390x.whl', parseTag('cp312-cp312-manylinux2014_s390x')],
    ]);
    assert.equal(best, 'numpy-2.0.0-cp312-none-any.whl');
  });

  it('ties keep input order and unsupported things are dropped', () => {
    const select = createCompatibleTagsSelector<string>(['py3-none-any']);
    assert.deepEqual(
      select([
        ['b', ['py3-none-any']],
        ['x', ['cp27-none-any']],
        ['a', [new Tag('py3', 'none', 'any')]],
      ]),
      ['b', 'a'],
    );
    assert.equal(selectBestWheel(['py3-none-any'], [['x', ['cp27-none-any']]]), undefined);
  });

  it('a PyPy target gets pp3-none-any and its own ABI', () => {
    const tags = strs(
      targetTags({ implementation: 'pp', pythonVersion: [3, 10], abis: ['pypy310_pp73'], platforms: ['linux_x86_64'] }),
    );
    assert.deepEqual(tags.slice(0, 2), ['pp310-pypy310_pp73-linux_x86_64', 'pp310-none-linux_x86_64']);
    assert.ok(tags.includes('pp3-none-any'));
  });
});

describe('best wheels among real files', () => {
  // Targets described explicitly, as a pyvet server describes its release targets.
  const TARGETS: [string, Parameters<typeof targetTags>[0]][] = [
    ['cp312 manylinux x86_64', { implementation: 'cp', pythonVersion: [3, 12], platforms: linuxPlatforms({ sysconfigPlatform: 'linux-x86_64', glibc: [2, 31] }) }],
    ['cp311 musllinux aarch64', { implementation: 'cp', pythonVersion: [3, 11], platforms: linuxPlatforms({ sysconfigPlatform: 'linux-aarch64', musl: [1, 2] }) }],
    ['cp310 win_amd64', { implementation: 'cp', pythonVersion: [3, 10], platforms: ['win_amd64'] }],
    ['cp313 macOS 14 arm64', { implementation: 'cp', pythonVersion: [3, 13], platforms: macPlatforms([14, 0], 'arm64') }],
    ['cp312 z/OS', { implementation: 'cp', pythonVersion: [3, 12], platforms: ['zos_31_s390x'] }],
  ];

  it(`for each project under ${LOCAL_PYPI}, every target gets the wheel packaging's selector picks`, (t) => {
    if (!localPypiAvailable()) return t.skip(`${LOCAL_PYPI} is absent`);
    const byProject = new Map<string, string[]>();
    for (const f of readdirSync(join(LOCAL_PYPI, 'files')).filter((x) => x.endsWith('.whl')).sort()) {
      const name = parseWheelFilename(f).name;
      byProject.set(name, [...(byProject.get(name) ?? []), f]);
    }
    const groups = [...byProject.values()];
    const supported = TARGETS.map(([, target]) => targetTags(target).map(String));
    const ours = supported.map((tags) => {
      const select = createCompatibleTagsSelector<string>(tags);
      return groups.map((g) => select(g.map((f) => [f, parseWheelFilename(f).tags] as const))[0] ?? null);
    });
    const picked = ours.map((o) => o.filter((x) => x !== null).length);
    process.stdout.write(`# ${groups.length} projects; wheels picked per target: ${TARGETS.map(([n], i) => `${n} ${picked[i]}`).join(', ')}\n`);
    if (!packagingOracleAvailable()) return t.skip(NO_ORACLE);
    const expected = runOracle(
      `import json, sys
from packaging.tags import Tag, create_compatible_tags_selector
from packaging.utils import parse_wheel_filename
data = json.load(sys.stdin)
out = []
for tags in data["supported"]:
    select = create_compatible_tags_selector(Tag(*t.split("-")) for t in tags)
    out.append([next(iter(select((f, parse_wheel_filename(f)[3]) for f in g)), None) for g in data["groups"]])
json.dump(out, sys.stdout)`,
      { supported, groups },
    );
    assert.deepEqual(ours, expected);
    assert.ok(picked.every((n) => n > 0));
  });
});
