// Every case of test/fixtures/pep-vectors/versions.json (computed by pypa/packaging 26.2).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { canonicalizeVersion, InvalidVersion, Version } from '../../src/standards/version.js';
import { kindRunner, vectorFile } from './vectors.js';

interface Case {
  kind: string;
  [k: string]: unknown;
}
const cases: Case[] = JSON.parse(readFileSync(vectorFile('versions.json'), 'utf8')).cases;
const { runKind, passed } = kindRunner(cases);

const big = (n: unknown): bigint | null => (n === null ? null : BigInt(n as number));

describe('versions.json', () => {
  runKind('parse', (c) => {
    const input = c.input as string;
    if (!c.valid) {
      assert.equal(Version.isValid(input), false, 'should be invalid');
      assert.throws(() => Version.parse(input), InvalidVersion);
      return;
    }
    const v = Version.parse(input);
    assert.equal(v.toString(), c.normalized);
    assert.equal(v.public, c.public);
    assert.equal(v.baseVersion, c.base_version);
    assert.equal(v.epoch, c.epoch);
    assert.deepEqual(v.release, (c.release as number[]).map(BigInt));
    const pre = c.pre as [string, number] | null;
    assert.deepEqual(v.pre, pre === null ? null : [pre[0], BigInt(pre[1])]);
    assert.equal(v.post, big(c.post));
    assert.equal(v.dev, big(c.dev));
    assert.equal(v.local, c.local);
    assert.equal(v.isPrerelease, c.is_prerelease);
    assert.equal(v.isPostrelease, c.is_postrelease);
    assert.equal(v.isDevrelease, c.is_devrelease);
    assert.equal(v.major, big(c.major));
    assert.equal(v.minor, big(c.minor));
    assert.equal(v.micro, big(c.micro));
  });

  runKind('compare', (c) => {
    const l = Version.parse(c.left as string);
    const r = Version.parse(c.right as string);
    assert.equal(Version.compare(l, r), c.result);
    assert.equal(Version.compare(r, l), -(c.result as number) || 0);
    assert.equal(l.equals(r), c.result === 0);
    const keyOrder = l.sortKey < r.sortKey ? -1 : l.sortKey > r.sortKey ? 1 : 0;
    assert.equal(keyOrder, c.result, 'sortKey order');
  });

  runKind('ordering', (c) => {
    const sorted = c.sorted as string[];
    const versions = sorted.map((s) => Version.parse(s));
    for (let i = 1; i < versions.length; i++) {
      assert.equal(Version.compare(versions[i - 1]!, versions[i]!), -1, `${sorted[i - 1]} < ${sorted[i]}`);
    }
    const shuffled = [...versions].reverse();
    assert.deepEqual(shuffled.sort(Version.compare).map(String), versions.map(String));
    const byKey = [...versions].reverse().sort((a, b) => (a.sortKey < b.sortKey ? -1 : 1));
    assert.deepEqual(byKey.map(String), versions.map(String));
  });

  runKind('canonicalize_version', (c) => {
    assert.equal(canonicalizeVersion(c.input as string, { stripTrailingZero: c.strip_trailing_zero as boolean }), c.output);
  });

  after(() => {
    console.log(`versions.json: ${passed()}/${cases.length} cases`);
    assert.equal(passed(), cases.length);
  });
});

describe('Version API', () => {
  test('errors say what and where', () => {
    assert.throws(() => Version.parse('1.0x'), (err: unknown) => {
      assert.ok(err instanceof InvalidVersion);
      assert.equal(err.code, 'INVALID_VERSION');
      assert.equal(err.kind, 'invalid');
      assert.match(err.message, /"1\.0x".*position 3/);
      return true;
    });
  });

  test('release components above 2^53 stay exact', () => {
    const v = Version.parse('1.18446744073709551617.3');
    assert.equal(v.release[1], 18446744073709551617n);
    assert.equal(v.toString(), '1.18446744073709551617.3');
    assert.equal(Version.compare('1.18446744073709551617', '1.18446744073709551616'), 1);
    assert.equal(Version.compare('1.9007199254740993', '1.9007199254740992'), 1);
    assert.equal(Version.compare('1.09007199254740993', '1.9007199254740993.0'), 0);
  });

  test('whitespace is Python str.strip()', () => {
    assert.equal(Version.parse('\u3000\u2028 1.0\u0085\u001f').toString(), '1.0');
    assert.equal(Version.isValid('\ufeff1.0'), false);
  });

  test('fromParts validates and normalizes', () => {
    assert.equal(Version.fromParts({ epoch: 1, release: [1, 2n], pre: ['alpha', 3], post: 4, dev: 5, local: 'A-01' }).toString(), '1!1.2a3.post4.dev5+a.1');
    assert.throws(() => Version.fromParts({ release: [] }), InvalidVersion);
    assert.throws(() => Version.fromParts({ release: [1], local: '+x' }), InvalidVersion);
  });
});
