import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  InvalidMarker,
  Marker,
  type MarkerEnvironment,
  markerEnvironment,
  prepareEnvironment,
  UndefinedComparison,
  UndefinedEnvironmentName,
} from '../../src/standards/markers.js';
import { loadVectors, type VectorCase, vectorSuite } from './vectors.js';

type Case = VectorCase;
const cases = loadVectors('markers.json');

const ERRORS = { InvalidMarker, UndefinedComparison, UndefinedEnvironmentName } as const;

function runCase(c: Case): void {
  switch (c.kind) {
    case 'parse':
      if (c.valid) assert.equal(Marker.parse(c.marker).toString(), c.normalized);
      else assert.throws(() => Marker.parse(c.marker), InvalidMarker);
      return;
    case 'evaluate': {
      const marker = Marker.parse(c.marker);
      if (c.error === null) assert.equal(marker.evaluate(c.environment, c.context), c.result);
      else assert.throws(() => marker.evaluate(c.environment, c.context), ERRORS[c.error as keyof typeof ERRORS]);
      return;
    }
    case 'equal':
      assert.equal(Marker.parse(c.left).equals(Marker.parse(c.right)), c.equal);
      return;
    default:
      throw new Error(`unknown case kind ${c.kind}`);
  }
}

describe('markers.json (packaging 26.2 vectors)', () => {
  vectorSuite('markers.json', cases, runCase);
});

const linux: MarkerEnvironment = markerEnvironment({
  python_full_version: '3.12.4',
  sys_platform: 'linux',
  platform_machine: 'x86_64',
  platform_release: '6.8.0-45-generic',
});

describe('Marker.parse errors', () => {
  it('says what was expected, where, with packaging’s caret line', () => {
    assert.throws(
      () => Marker.parse("os_name == 'a' and"),
      (err) => {
        assert.ok(err instanceof InvalidMarker);
        assert.equal(err.code, 'INVALID_MARKER');
        assert.equal(err.message, "Expected a marker variable or quoted string\n    os_name == 'a' and\n                      ^");
        assert.deepEqual(err.details, { marker: "os_name == 'a' and", position: 18, end: 18 });
        return true;
      },
    );
  });

  it('spans an unclosed parenthesis from where it opened', () => {
    assert.throws(() => Marker.parse("(os_name == 'a'"), {
      message: "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after marker expression\n    (os_name == 'a'\n    ~~~~~~~~~~~~~~~^",
    });
  });

  it('rejects unknown variables, bare versions and Python operators', () => {
    for (const bad of ["foo == 'bar'", 'python_version >= 3.8', "os_name = 'a'", "os_name == 'a' && os_name == 'b'", "os_name not 'a'"]) {
      assert.throws(() => Marker.parse(bad), InvalidMarker, bad);
    }
  });

  it('decodes quoted strings as Python literals and rejects broken ones', () => {
    assert.equal(Marker.parse("os_name == 'a\\tb\\x41\\u00e9\\101\\q'").toString(), 'os_name == "a\tbAéA\\q"');
    assert.equal(Marker.parse("os_name == 'a\\\nb'").toString(), 'os_name == "ab"');
    for (const bad of ["os_name == 'a\\'", "os_name == 'a\nb'", "os_name == '\\x4'", "os_name == '\\U00110000'", "os_name == 'a\0'"]) {
      assert.throws(() => Marker.parse(bad), InvalidMarker, JSON.stringify(bad));
    }
  });

  it('accepts one trailing newline, as Python’s `$` does, but not two', () => {
    assert.equal(Marker.parse("os_name == 'a'\n").toString(), 'os_name == "a"');
    assert.throws(() => Marker.parse("os_name == 'a'\n\n"), InvalidMarker);
  });

  it('uses Unicode word boundaries like Python’s \\b', () => {
    // `é` is a word character for Python, so `os_nameé` is not the variable os_name.
    assert.throws(() => Marker.parse("os_nameé == 'a'"), InvalidMarker);
    assert.equal(Marker.parse("os_name == 'a'or os_name == 'b'").toString(), 'os_name == "a" or os_name == "b"');
    assert.throws(() => Marker.parse("os_name == 'a'oros_name == 'b'"), InvalidMarker);
  });
});

describe('Marker string form', () => {
  it('normalizes quotes, spacing, legacy names and top-level extra values', () => {
    assert.equal(
      Marker.parse("os.name=='nt'and python_implementation=='PyPy' or extra=='Foo_Bar'").toString(),
      'os_name == "nt" and platform_python_implementation == "PyPy" or extra == "foo-bar"',
    );
  });

  it('keeps packaging’s quirks: groups of one lose their parentheses, nested extras stay as written', () => {
    assert.equal(
      Marker.parse("((os_name == 'a' or os_name == 'b')) and sys_platform == 'c'").toString(),
      'os_name == "a" or os_name == "b" and sys_platform == "c"',
    );
    assert.equal(Marker.parse("os_name == 'a' and (extra == 'Foo')").toString(), 'os_name == "a" and extra == "Foo"');
    assert.equal(Marker.parse("os_name == extra").toString(), '"os-name" == extra');
  });
});

describe('Marker.and / Marker.or', () => {
  it('combine whole markers as packaging’s & and | do', () => {
    const a = Marker.parse('os_name == "a"');
    const b = Marker.parse('sys_platform == "b" or extra == "X_Y"');
    const c = Marker.parse('(python_version < "3")');
    // expected strings computed with packaging 26.2
    assert.equal(a.and(b).toString(), 'os_name == "a" and (sys_platform == "b" or extra == "x-y")');
    assert.equal(a.or(b).toString(), 'os_name == "a" or (sys_platform == "b" or extra == "x-y")');
    assert.equal(a.and(b).or(c).toString(), '(os_name == "a" and (sys_platform == "b" or extra == "x-y")) or python_version < "3"');
    assert.equal(b.and(a).toString(), '(sys_platform == "b" or extra == "x-y") and os_name == "a"');
    const env = { ...linux, os_name: 'a', sys_platform: 'win32', extra: 'X.Y' };
    assert.equal(a.and(b).evaluate(env), true);
    assert.equal(b.and(a).evaluate({ ...env, extra: 'z' }), false);
  });
});

describe('Marker.evaluate', () => {
  it('compares versions through specifiers and falls back to strings', () => {
    const cases: [string, boolean][] = [
      ['python_version >= "3.8"', true],
      ['python_version < "3.10"', false],
      ['"3.13" > python_version', true],
      ['python_full_version == "3.12.*"', true],
      ['python_version < "3.12.*"', false], // not a valid specifier: string '<' is always false
      ['python_version == "dog"', false],
      ['platform_release >= "5"', false], // '6.8.0-45-generic' is not a version
      ['platform_release == "6.8.0-45-generic"', true],
      ['python_version in "3.11 3.12"', true],
      ['"linux" in sys_platform and os_name not in "nt"', true],
      ['implementation_name == "cpython" and platform_system == "Linux"', true],
    ];
    for (const [m, want] of cases) assert.equal(Marker.parse(m).evaluate(linux), want, m);
  });

  it('raises for undefined comparisons and names even when the result is already known', () => {
    assert.throws(() => Marker.parse('os_name == "posix" or os_name ~= "posix"').evaluate(linux), UndefinedComparison);
    assert.throws(() => Marker.parse('"a" == "a"').evaluate(linux), UndefinedEnvironmentName);
    assert.throws(() => Marker.parse('extra == "a"').evaluate(linux, 'requirement'), UndefinedEnvironmentName);
    assert.throws(() => Marker.parse('"a" in extras').evaluate(linux, 'metadata'), UndefinedEnvironmentName);
  });

  it('normalizes extra, extras and dependency_groups names', () => {
    assert.equal(Marker.parse('extra == "Foo.Bar"').evaluate({ ...linux, extra: 'foo_bar' }), true);
    assert.equal(Marker.parse('"Foo.Bar" in extras').evaluate({ ...linux, extras: ['FOO-bar'] }, 'lock_file'), true);
    assert.equal(Marker.parse('"docs" in dependency_groups').evaluate(linux, 'lock_file'), false);
  });

  it('repairs a python_full_version ending with +', () => {
    const env = { ...linux, python_full_version: '3.11.1+' };
    assert.equal(Marker.parse('python_full_version == "3.11.1"').evaluate(env), true);
    assert.equal(Marker.parse('python_full_version === "3.11.1+local"').evaluate(env), true);
  });

  it('gives the same answers through a prepared environment, for many markers and targets', () => {
    const markers = [
      'python_version >= "3.9" and sys_platform == "linux"',
      'sys_platform == "win32" or extra == "test"',
      '"3.10" <= python_version and platform_machine in "x86_64 aarch64"',
    ].map((m) => Marker.parse(m));
    for (const [python, platform] of [
      ['3.8.10', 'linux'],
      ['3.12.4', 'win32'],
      ['3.13.0rc2', 'darwin'],
    ] as const) {
      const env = markerEnvironment({ python_full_version: python, sys_platform: platform, platform_machine: 'x86_64' });
      const prepared = prepareEnvironment(env);
      for (const m of markers) assert.equal(m.evaluate(prepared), m.evaluate(env), `${m} on ${python}/${platform}`);
    }
  });
});

describe('markerEnvironment', () => {
  it('derives a complete environment without reading the host', () => {
    assert.deepEqual(markerEnvironment({ python_full_version: '3.12.4', sys_platform: 'win32', platform_machine: 'AMD64' }), {
      implementation_name: 'cpython',
      implementation_version: '3.12.4',
      os_name: 'nt',
      platform_machine: 'AMD64',
      platform_release: '',
      platform_system: 'Windows',
      platform_version: '',
      platform_python_implementation: 'CPython',
      python_version: '3.12',
      python_full_version: '3.12.4',
      sys_platform: 'win32',
    });
    const pypy = markerEnvironment({ python_full_version: '3.10.14', sys_platform: 'darwin', implementation_name: 'pypy', implementation_version: '7.3.17' });
    assert.equal(pypy.platform_python_implementation, 'PyPy');
    assert.equal(pypy.platform_system, 'Darwin');
    assert.equal(pypy.implementation_version, '7.3.17');
    assert.equal(markerEnvironment({ python_full_version: '3.11.9', sys_platform: 'freebsd14' }).platform_system, 'FreeBSD');
    assert.equal(markerEnvironment({ python_full_version: '3.11.9', sys_platform: 'constructor' }).platform_system, '');
  });
});
