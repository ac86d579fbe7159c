import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  distributionIdentity,
  InvalidDistributionFilename,
  InvalidSdistFilename,
  InvalidWheelFilename,
  parseDistributionFilename,
  parseSdistFilename,
  parseWheelFilename,
} from '../../src/standards/filenames.js';
import { compareCodePoints } from '../../src/standards/tags.js';
import { LOCAL_PYPI, localPypiAvailable } from '../helpers/python.js';
import { NO_ORACLE, packagingOracleAvailable, runOracle } from './packaging-oracle.js';
import { vectorFile } from './vectors.js';

interface Case {
  kind: 'wheel' | 'sdist';
  filename: string;
  validate_order: boolean | null;
  valid: boolean;
  error: string | null;
  name: string | null;
  version: string | null;
  build: [] | [number, string] | null;
  tags: string[] | null;
}
const vectors = JSON.parse(readFileSync(vectorFile('wheel-filenames.json'), 'utf8')) as { cases: Case[] };

function check(c: Case): void {
  if (c.kind === 'wheel') {
    const parse = () => parseWheelFilename(c.filename, { validateOrder: c.validate_order ?? false });
    if (!c.valid) {
      assert.throws(parse, (e: unknown) => e instanceof InvalidWheelFilename && e.code === 'INVALID_WHEEL_FILENAME');
      return;
    }
    const w = parse();
    assert.equal(w.name, c.name);
    assert.equal(w.version.toString(), c.version);
    assert.deepEqual(w.build, c.build);
    assert.deepEqual(w.tags.map(String).sort(compareCodePoints), c.tags);
  } else {
    if (!c.valid) {
      assert.throws(
        () => parseSdistFilename(c.filename),
        (e: unknown) => e instanceof InvalidSdistFilename && e.code === 'INVALID_SDIST_FILENAME',
      );
      return;
    }
    const s = parseSdistFilename(c.filename);
    assert.equal(s.name, c.name);
    assert.equal(s.version.toString(), c.version);
  }
}

describe('wheel-filenames.json vectors (packaging 26.2)', () => {
  for (const kind of ['wheel', 'sdist'] as const) {
    const cases = vectors.cases.filter((c) => c.kind === kind);
    it(`${kind}: ${cases.length} cases`, () => {
      for (const c of cases) {
        try {
          check(c);
        } catch (err) {
          throw new Error(`${JSON.stringify(c)}: ${(err as Error).message}`);
        }
      }
    });
  }
  it(`covers all ${vectors.cases.length} cases`, () => {
    assert.equal(vectors.cases.filter((c) => c.kind === 'wheel' || c.kind === 'sdist').length, vectors.cases.length);
  });
});

describe('parseWheelFilename', () => {
  it('says why a filename is invalid', () => {
    assert.throws(() => parseWheelFilename('foo-1.0.whl'), /wrong number of parts/);
    assert.throws(() => parseWheelFilename('foo-1.x-py3-none-any.whl'), /invalid version/);
    assert.throws(() => parseWheelFilename('foo-1.0-x1-py3-none-any.whl'), /invalid build number 'x1'/);
    assert.throws(() => parseWheelFilename('foo__bar-1.0-py3-none-any.whl'), /invalid project name/);
    assert.throws(() => parseWheelFilename('foo-1.0-py3.py2-none-any.whl', { validateOrder: true }), /sorted order/);
  });
  it('reads real z/OS toolkit and manylinux wheel names', () => {
    const z = parseWheelFilename('numpy-1.26.4-cp312-none-any.whl');
    assert.deepEqual([z.name, z.version.toString(), z.tags.map(String)], ['numpy', '1.26.4', ['cp312-none-any']]);
    const m = parseWheelFilename('PyYAML-6.0.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl');
    assert.equal(m.name, 'pyyaml');
    assert.deepEqual(m.tags.map(String), ['cp311-cp311-manylinux_2_17_x86_64', 'cp311-cp311-manylinux2014_x86_64']);
  });
});

describe('parseDistributionFilename', () => {
  it('says which kind of distribution a filename is', () => {
    const w = parseDistributionFilename('foo-1.0-1-py3-none-any.whl');
    assert.equal(w.kind, 'wheel');
    assert.deepEqual(w.kind === 'wheel' && w.build, [1, '']);
    const s = parseDistributionFilename('Foo.Bar-2.0.tar.gz');
    assert.deepEqual([s.kind, s.name, s.version.toString()], ['sdist', 'foo-bar', '2.0']);
    assert.throws(() => parseDistributionFilename('foo-1.0.egg'), InvalidDistributionFilename);
  });
  it('never throws anything but its typed errors', () => {
    const typed = (e: unknown) =>
      e instanceof InvalidWheelFilename || e instanceof InvalidSdistFilename || e instanceof InvalidDistributionFilename;
    const suffix = fc.constantFrom('.whl', '.tar.gz', '.zip', '');
    const part = fc.string({ unit: 'grapheme-composite', maxLength: 12 });
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 7 }), suffix, (parts, ext) => {
        const filename = parts.join('-') + ext;
        for (const parse of [
          () => parseDistributionFilename(filename, { validateOrder: parts.length % 2 === 0 }),
          () => parseWheelFilename(filename, { validateOrder: true }),
          () => parseSdistFilename(filename),
        ]) {
          try {
            parse();
          } catch (e) {
            if (!typed(e)) throw e;
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('real wheel filenames', () => {
  it(`every wheel under ${LOCAL_PYPI}/files reads as packaging reads it`, (t) => {
    if (!localPypiAvailable()) return t.skip(`${LOCAL_PYPI} is absent`);
    const names = readdirSync(join(LOCAL_PYPI, 'files')).filter((f) => f.endsWith('.whl'));
    const ours = names.map((f) => {
      try {
        const w = parseWheelFilename(f);
        return [w.name, w.version.toString(), w.build, w.tags.map(String).sort(compareCodePoints)];
      } catch (err) {
        if (err instanceof InvalidWheelFilename) return ['invalid'];
        throw err;
      }
    });
    const invalid = ours.filter((o) => o[0] === 'invalid').length;
    process.stdout.write(`# ${names.length} real wheel filenames, ${invalid} invalid\n`);
    if (!packagingOracleAvailable()) return t.skip(NO_ORACLE);
    const expected = runOracle(
      `import json, sys
from packaging.utils import parse_wheel_filename, InvalidWheelFilename
out = []
for f in json.load(sys.stdin):
    try:
        n, v, b, t = parse_wheel_filename(f)
        out.append([n, str(v), list(b), sorted(str(x) for x in t)])
    except InvalidWheelFilename:
        out.append(["invalid"])
json.dump(out, sys.stdout)`,
      names,
    );
    assert.deepEqual(ours, expected);
  });
});

describe('distributionIdentity', () => {
  it('is the same for spellings installers take for one another, and differs otherwise', () => {
    const same = [
      ['samefn-1.0-py3-none-any.whl', 'SameFn-1.0-py3-none-any.whl', 'SAMEFN-1.0-py3-none-any.whl'],
      ['a-1.0-py3-none-any.whl', 'a-1.0.0-py3-none-any.whl', 'A-1.0.0.0-py3-none-any.whl'],
      ['a-1.0-py2.py3-none-any.whl', 'a-1.0-py3.py2-none-any.whl'],
      ['a-1.0-1-py3-none-any.whl', 'a-1.0-01-py3-none-any.whl'],
      ['a-1.0.tar.gz', 'a-1.0.zip', 'A-1.0.0.tar.gz'],
    ];
    for (const group of same) {
      for (const f of group) assert.equal(distributionIdentity(f), distributionIdentity(group[0]!), `${f} ~ ${group[0]}`);
    }
    const distinct = [
      'a-1.0-py3-none-any.whl',
      'a-1.0.1-py3-none-any.whl',
      'a-1.0-py2-none-any.whl',
      'a-1.0-1-py3-none-any.whl',
      'a-1.0+local-py3-none-any.whl',
      'b-1.0-py3-none-any.whl',
      'a-1.0.tar.gz',
    ];
    assert.equal(new Set(distinct.map(distributionIdentity)).size, distinct.length);
  });
});
