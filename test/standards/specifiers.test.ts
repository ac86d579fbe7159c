// Every case of test/fixtures/pep-vectors/specifiers.json (computed by pypa/packaging 26.2).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { InvalidSpecifier, Specifier, SpecifierSet } from '../../src/standards/specifiers.js';
import { Version } from '../../src/standards/version.js';
import { kindRunner, vectorFile } from './vectors.js';

interface Case {
  kind: string;
  class: 'Specifier' | 'SpecifierSet';
  [k: string]: unknown;
}
const cases: Case[] = JSON.parse(readFileSync(vectorFile('specifiers.json'), 'utf8')).cases;
const { runKind, passed } = kindRunner(cases);

type Pre = boolean | null;
const make = (cls: Case['class'], s: string, prereleases: unknown = null): Specifier | SpecifierSet =>
  cls === 'Specifier' ? Specifier.parse(s, { prereleases: prereleases as Pre }) : SpecifierSet.parse(s, { prereleases: prereleases as Pre });

describe('specifiers.json', () => {
  runKind('parse', (c) => {
    const text = c.specifier as string;
    if (!c.valid) {
      assert.throws(() => make(c.class, text), InvalidSpecifier);
      return;
    }
    const s = make(c.class, text);
    assert.equal(s.toString(), c.normalized);
    assert.equal(s.prereleases, c.prereleases);
    if (s instanceof Specifier) {
      assert.equal(s.operator, c.operator);
      assert.equal(s.version, c.version);
    } else {
      assert.equal(s.length, c.length);
      assert.deepEqual(s.items.map(String).sort(), [...(c.items as string[])].sort());
    }
  });

  runKind('contains', (c) => {
    const s = make(c.class, c.specifier as string, c.spec_prereleases);
    const item = c.version_is_object ? Version.parse(c.version as string) : (c.version as string);
    const opts = { prereleases: c.prereleases as Pre, installed: c.installed as Pre };
    assert.equal(s.contains(item, opts), c.contains);
  });

  runKind('contains_matrix', (c) => {
    const s = make(c.class, c.specifier as string, c.spec_prereleases);
    const got = (c.versions as string[]).map((v) => s.contains(v, { prereleases: c.prereleases as Pre }));
    assert.deepEqual(got, c.contains);
  });

  runKind('filter', (c) => {
    const s = make(c.class, c.specifier as string, c.spec_prereleases);
    const asVersion = new Set(c.input_as_version as number[]);
    const input = (c.input as string[]).map((v, i) => (asVersion.has(i) ? Version.parse(v) : v));
    const out = [...s.filter(input, { prereleases: c.prereleases as Pre })];
    // Version items are distinct objects: map them back to their input text
    const text = out.map((x) => (typeof x === 'string' ? x : (c.input as string[])[input.indexOf(x)]));
    assert.deepEqual(text, c.output);
    assert.deepEqual(
      out.map((x, i) => (typeof x === 'string' ? (c.output_indices as number[])[i] : input.indexOf(x))),
      c.output_indices,
    );
  });

  runKind('is_unsatisfiable', (c) => {
    const s = SpecifierSet.parse(c.specifier as string, { prereleases: c.spec_prereleases as Pre });
    assert.equal(s.isUnsatisfiable(), c.unsatisfiable);
  });

  runKind('equal', (c) => {
    const left = make(c.class, c.left as string);
    const right = make(c.class, c.right as string);
    assert.equal(left instanceof Specifier ? left.equals(right as Specifier) : left.equals(right as SpecifierSet), c.equal);
  });

  runKind('combine', (c) => {
    const left = SpecifierSet.parse(c.left as string, { prereleases: c.left_prereleases as Pre });
    const right = SpecifierSet.parse(c.right as string, { prereleases: c.right_prereleases as Pre });
    if (c.error) {
      assert.throws(() => left.and(right), InvalidSpecifier);
      return;
    }
    const both = left.and(right);
    assert.equal(both.toString(), c.result);
    assert.equal(both.explicitPrereleases, c.result_prereleases);
  });

  after(() => {
    console.log(`specifiers.json: ${passed()}/${cases.length} cases`);
    assert.equal(passed(), cases.length);
  });
});

describe('Specifier API', () => {
  test('errors name the clause and the problem', () => {
    assert.throws(
      () => SpecifierSet.parse('>=1.0, ~=1'),
      (e: unknown) => e instanceof InvalidSpecifier && e.code === 'INVALID_SPECIFIER' && /"~=1".*two release numbers/.test(e.message),
    );
    assert.throws(() => Specifier.parse('>=1.0+local'), /local version label/);
    assert.throws(() => Specifier.parse('1.0'), /expected an operator/);
  });

  test('filter keeps the input objects and order', () => {
    const v = Version.parse('1.5');
    const out = [...SpecifierSet.parse('>=1.2,<2').filter(['1.0', v, '1.3', '2.0a1'])];
    assert.deepEqual(out, [v, '1.3']);
    assert.deepEqual([...SpecifierSet.parse('>=1.2').filter(['1.0', '2.0a1', '3.0b1'])], ['2.0a1', '3.0b1']);
  });

  test('=== compares the text, or str(Version) for a Version', () => {
    const s = SpecifierSet.parse('===1.0.0');
    assert.equal(s.contains('1.0.0'), true);
    assert.equal(s.contains(Version.parse('1.0.0')), true);
    assert.equal(s.contains('1.0'), false);
    assert.equal(SpecifierSet.parse('===foobar').contains('FooBar'), true);
  });

  test('withPrereleases overrides the auto-detected policy', () => {
    const s = Specifier.parse('>=1.0');
    assert.equal(s.prereleases, false);
    assert.equal(s.contains('2.0a1'), true); // alone, a matching pre-release is accepted
    const never = s.withPrereleases(false);
    assert.equal(never.explicitPrereleases, false);
    assert.equal(never.contains('2.0a1'), false);
    assert.equal(SpecifierSet.parse('>=1.0').withPrereleases(false).contains('2.0a1'), false);
    assert.equal(SpecifierSet.parse('>=1.0').withPrereleases(false).contains('2.0a1', { installed: true }), true);
  });

  test('and() refuses conflicting overrides', () => {
    const a = SpecifierSet.parse('>=1', { prereleases: true });
    const b = SpecifierSet.parse('<2', { prereleases: false });
    assert.throws(() => a.and(b), InvalidSpecifier);
    assert.equal(a.and('<2').explicitPrereleases, true);
  });
});
