import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequirement, Requirement } from '../../src/standards/requirements.js';
import { loadVectors, type VectorCase, vectorSuite } from './vectors.js';

type Case = VectorCase;
const cases = loadVectors('requirements.json');

let sameMessage = 0;
let invalidCases = 0;

function runCase(c: Case): void {
  switch (c.kind) {
    case 'parse': {
      if (!c.valid) {
        invalidCases++;
        assert.throws(
          () => Requirement.parse(c.input),
          (err) => {
            assert.ok(err instanceof InvalidRequirement);
            if (err.message === c.error_message) sameMessage++;
            return true;
          },
        );
        return;
      }
      const r = Requirement.parse(c.input);
      assert.deepEqual(
        { name: r.name, extras: r.extras, specifier: r.specifier.toString(), url: r.url, marker: r.marker?.toString() ?? null },
        { name: c.name, extras: c.extras, specifier: c.specifier, url: c.url, marker: c.marker },
      );
      assert.equal(r.toString(), c.normalized);
      return;
    }
    case 'equal':
      assert.equal(Requirement.parse(c.left).equals(Requirement.parse(c.right)), c.equal);
      return;
    default:
      throw new Error(`unknown case kind ${c.kind}`);
  }
}

describe('requirements.json (packaging 26.2 vectors)', () => {
  vectorSuite('requirements.json', cases, runCase);
  it('gives packaging’s error message for every invalid input', (t) => {
    t.diagnostic(`error messages identical to packaging: ${sameMessage}/${invalidCases}`);
    assert.equal(sameMessage, invalidCases);
  });
});

describe('Requirement', () => {
  it('parses every part and prints packaging’s normal form', () => {
    const r = Requirement.parse('Foo.Bar [security , TESTS,security] ( >= 1.0 , <2 ) ; python_version<"3.13" and extra=="Dev_Tools"');
    assert.equal(r.name, 'Foo.Bar');
    assert.deepEqual(r.extras, ['TESTS', 'security']);
    assert.equal(r.specifier.toString(), '<2,>=1.0');
    assert.equal(r.url, null);
    assert.equal(r.marker?.toString(), 'python_version < "3.13" and extra == "dev-tools"');
    assert.equal(r.toString(), 'Foo.Bar[TESTS,security]<2,>=1.0; python_version < "3.13" and extra == "dev-tools"');
  });

  it('keeps a URL whole, up to whitespace, and needs whitespace before its marker', () => {
    const r = Requirement.parse('pkg @ https://example.com/a;b ; os_name == "nt"');
    assert.equal(r.url, 'https://example.com/a;b');
    assert.equal(r.toString(), 'pkg @ https://example.com/a;b ; os_name == "nt"');
    assert.throws(() => Requirement.parse('pkg @ file:.;os_name == "nt"'), {
      message: 'Expected semicolon (after URL and whitespace) or end\n    pkg @ file:.;os_name == "nt"\n          ~~~~~~~~~~~~~~~^',
    });
  });

  it('reports the error code, the position and packaging’s message', () => {
    assert.throws(
      () => Requirement.parse('name<=1.0+local'),
      (err) => {
        assert.ok(err instanceof InvalidRequirement);
        assert.equal(err.code, 'INVALID_REQUIREMENT');
        assert.equal(err.message, 'Local version label can only be used with `==` or `!=` operators\n    name<=1.0+local\n        ~~~~~^');
        assert.deepEqual(err.details, { requirement: 'name<=1.0+local', position: 4, end: 9 });
        return true;
      },
    );
    assert.throws(() => Requirement.parse('name>=1.0.*'), /\.\* suffix can only be used with `==` or `!=` operators/);
    assert.throws(() => Requirement.parse('föo>=1'), /Expected package name at the start of dependency specifier/);
  });

  it('backtracks identifiers to a word boundary like the regex does', () => {
    assert.throws(() => Requirement.parse('n-'), {
      message: 'Expected semicolon (after name with no version specifier) or end\n    n-\n     ^',
    });
    assert.equal(Requirement.parse('n_1.x').name, 'n_1.x');
  });

  it('compares names canonicalized, extras as sets, specifiers and markers by normal form', () => {
    const eq = (a: string, b: string) => Requirement.parse(a).equals(Requirement.parse(b));
    assert.ok(eq('Foo_Bar[b,a]>=1.0; os_name=="a"', 'foo.bar[a,b] >= 1.0 ; os_name == \'a\''));
    assert.ok(eq('foo>=1.0', 'foo>=1.0.0'));
    assert.ok(!eq('foo @ https://x', 'foo @ https://X'));
    assert.ok(!eq('foo; os_name == "a"', 'foo'));
  });
});
