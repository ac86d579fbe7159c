// Every case of test/fixtures/pep-vectors/names.json (computed by pypa/packaging 26.2).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { canonicalizeName, InvalidName, isNormalizedName, isValidName } from '../../src/standards/names.js';
import { vectorFile } from './vectors.js';

interface NameCase {
  kind: 'name';
  input: string;
  canonical: string;
  valid: boolean;
  is_normalized: boolean;
}
const cases: NameCase[] = JSON.parse(readFileSync(vectorFile('names.json'), 'utf8')).cases;

test('names.json: every name case', () => {
  const failures: string[] = [];
  for (const c of cases) {
    const got = {
      canonical: canonicalizeName(c.input),
      valid: isValidName(c.input),
      is_normalized: isNormalizedName(c.input),
      validateThrows: (() => {
        try {
          canonicalizeName(c.input, { validate: true });
          return false;
        } catch (e) {
          assert.ok(e instanceof InvalidName);
          return true;
        }
      })(),
    };
    const want = { canonical: c.canonical, valid: c.valid, is_normalized: c.is_normalized, validateThrows: !c.valid };
    if (JSON.stringify(got) !== JSON.stringify(want)) failures.push(`${JSON.stringify(c.input)}: got ${JSON.stringify(got)}`);
  }
  assert.equal(failures.length, 0, failures.join('\n'));
  console.log(`names.json: ${cases.length - failures.length}/${cases.length} cases`);
});

test('invalid names are refused with the name in the message', () => {
  assert.throws(() => canonicalizeName('-foo', { validate: true }), (e: unknown) => e instanceof InvalidName && e.code === 'INVALID_NAME' && e.message.includes('"-foo"'));
  assert.equal(canonicalizeName('Foo.Bar__baz--Qux'), 'foo-bar-baz-qux');
});
