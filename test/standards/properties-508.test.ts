// Property tests for PEP 508 markers and requirements: the parsers only ever throw their typed
// errors, the normal form is a fixed point, and, where python3 has packaging 26.2+, thousands of
// generated near-grammatical inputs parse, print, fail and evaluate exactly as packaging does.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type EvaluateContext,
  InvalidMarker,
  Marker,
  type MarkerEnvironment,
  UndefinedComparison,
  UndefinedEnvironmentName,
} from '../../src/standards/markers.js';
import { InvalidRequirement, Requirement } from '../../src/standards/requirements.js';
import { NO_ORACLE, packagingOracleAvailable, runOracle } from './packaging-oracle.js';

const SEED = 508;

// ---- generators ------------------------------------------------------------------------------

const ws = fc.constantFrom('', ' ', ' ', '  ', '\t', ' \t');
const variable = fc.constantFrom(
  'python_version',
  'python_full_version',
  'os_name',
  'os.name',
  'sys_platform',
  'sys.platform',
  'platform_release',
  'platform_system',
  'platform_version',
  'platform.version',
  'platform_machine',
  'platform.machine',
  'platform_python_implementation',
  'platform.python_implementation',
  'python_implementation',
  'implementation_name',
  'implementation_version',
  'extra',
  'extras',
  'dependency_groups',
);
const nearVariable = fc.constantFrom('os_namé', 'extra_', 'Extra', 'python_version2', 'platform.python_version', 'os-name', 'extrasx');
const op = fc.constantFrom('==', '!=', '<', '<=', '>', '>=', '~=', '===', 'in', 'not in');
const nearOp = fc.constantFrom('=', '!', '<>', 'notin', 'not  in', 'not\tin', 'In', '= =', '=>');
const versionText = fc.constantFrom(
  '3.8',
  '3.12',
  '3',
  '3.12.*',
  '3.1*',
  '3.13.0rc1',
  '3.11.1+local',
  '3.11.1+',
  '2.7.18',
  '1!2.0',
  'v3.9',
  ' 3.8',
  '3.8 ',
  '1.0.post1.dev2',
  'dog',
  '6.8.0-45-generic',
  '14.1-RELEASE',
  '10',
);
const wordText = fc.constantFrom('posix', 'nt', 'linux', 'win32', 'darwin', 'CPython', 'PyPy', 'x86_64', 'Foo_Bar', 'foo', 'a.B-c', '', 'os_name', 'extra');
const oddText = fc.string({
  unit: fc.constantFrom('a', 'Z', '1', '.', '*', '+', '-', '_', ' ', '\t', '\\', 'x', 'n', '4', 'é', '\u00a0', '\x1c', '\u212a', 'ſ', '😀', '\n'),
  maxLength: 6,
});
function quotedOf(body: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom("'", '"'), body)
    .map(([q, b]) => q + (q === "'" ? b.replaceAll("'", '') : b.replaceAll('"', '')) + q);
}
const join = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(' and ', ' or ', ' and', '\tand\t', ' or  ') },
  { weight: 1, arbitrary: fc.constantFrom('and ', ' or', ' AND ', ' && ') },
);

/** Markers built from the grammar, with some near-misses; `body` generates quoted values. */
function markerOf(body: fc.Arbitrary<string>, realistic = false): fc.Arbitrary<string> {
  const operand = fc.oneof({ weight: 10, arbitrary: variable }, { weight: 12, arbitrary: quotedOf(body) }, { weight: 1, arbitrary: nearVariable });
  // realistic: a variable compared with a value, the shape real metadata has
  const item = realistic
    ? fc
        .tuple(variable, ws, op, ws, quotedOf(body), fc.boolean())
        .map(([v, a, o, b, q, flip]) => (flip && o !== 'in' && o !== 'not in' ? [q, a, o, b, v] : [v, a, o, b, q]).join(''))
    : fc.tuple(operand, ws, fc.oneof({ weight: 20, arbitrary: op }, { weight: 1, arbitrary: nearOp }), ws, operand).map((p) => p.join(''));
  return fc.letrec<{ marker: string; atom: string }>((tie) => ({
    marker: fc
      .tuple(tie('atom'), fc.array(fc.tuple(join, tie('atom')), { maxLength: 3 }))
      .map(([first, rest]) => first + rest.map(([j, a]) => j + a).join('')),
    atom: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      item,
      fc.tuple(ws, tie('marker'), ws).map(([a, m, b]) => `(${a}${m}${b})`),
    ),
  })).marker;
}
const marker = markerOf(fc.oneof({ weight: 8, arbitrary: versionText }, { weight: 8, arbitrary: wordText }, { weight: 1, arbitrary: oddText }));
// Values with `"` or backslashes print in a form that does not parse back (as in packaging), and a
// parenthesised `extra` comparison is normalized only once printed at the top level (packaging's
// _normalize_extra_values): the fixed-point property stays clear of those two documented quirks.
const realisticMarker = markerOf(fc.oneof(versionText, wordText), true);
const plainMarker = markerOf(fc.oneof(versionText, wordText)).filter((m) => !/\(.*extra/.test(m));

const name = fc.constantFrom('requests', 'Foo.Bar', 'a', 'A1', 'n_1.x', 'zope.interface', '1a', 'FOO-._-bar', 'n-', '-foo', 'föo', 'name.');
const extraName = fc.constantFrom('a', 'B', 'security', 'Foo.Bar', 'a_b', 'a-b', '-a', 'a_', '');
const extras = fc.oneof(
  fc.constant(''),
  fc.array(extraName, { maxLength: 3 }).chain((xs) => fc.tuple(ws, ws).map(([a, b]) => `[${a}${xs.join(`${b},${a}`)}${b}]`)),
);
const clauseOp = fc.constantFrom('==', '!=', '<', '<=', '>', '>=', '~=', '===', '=');
const clauseVersion = fc.constantFrom('1.0', '1', '1.0.*', '1.0+local', '1.0+LOCAL', '2.0a1', '1.4.5a4', '1.0-alpha', '1.0.org1', 'v1.0', '1!2', '1.0-1', 'foo', '1.0)', '1.*.0', ' 1.0', '1.0 .*');
const clauses = fc.array(fc.tuple(clauseOp, clauseVersion).map(([o, v]) => o + v), { maxLength: 3 }).chain((cs) =>
  fc.tuple(ws, fc.boolean()).map(([w, paren]) => {
    const body = cs.join(`${w},${w}`);
    return paren ? `(${body})` : body;
  }),
);
const url = fc.constantFrom('https://example.com/a.whl', 'https://example.com/a;b', 'file:.', 'file:///tmp/x.tar.gz', 'git+https://g.example/r.git@v1.0#egg=x', './local/path');
function requirementOf(markers: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(
      ws,
      name,
      ws,
      extras,
      ws,
      fc.oneof(clauses, url.chain((u) => ws.map((w) => `@${w}${u}`))),
      ws,
      fc.option(markers.chain((m) => ws.map((w) => `;${w}${m}`)), { nil: '' }),
      fc.constantFrom('', '', ' ', '\n', '\n\n'),
    )
    .map((p) => p.join(''));
}
const requirement = requirementOf(marker);

/** Inserts, deletes or replaces one character so that error paths are exercised as much as success paths. */
function mutated(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(base, fc.nat(), fc.constantFrom('', '(', ')', ';', ',', '[', ']', "'", '"', ' ', '\n', '.*', '+', '@', 'é'), fc.constantFrom('insert', 'replace', 'keep'))
    .map(([s, at, ch, how]) => {
      if (how === 'keep' || s.length === 0) return s;
      const i = at % s.length;
      return s.slice(0, i) + ch + s.slice(how === 'insert' ? i : i + 1);
    });
}

const environment = fc
  .record({
    python_full_version: fc.constantFrom('3.12.4', '3.11.1+', '2.7.18', '3.13.0rc2', '3.8.10', '3.10.0b1'),
    python_version: fc.constantFrom('3.12', '3.11', '2.7', '3.13', '3.8', '3.10', '3', '3.12.0rc1'),
    os_name: fc.constantFrom('posix', 'nt'),
    sys_platform: fc.constantFrom('linux', 'win32', 'darwin'),
    platform_release: fc.constantFrom('6.8.0-45-generic', '5.15', '10', '14.1-RELEASE', '', '5.15.0+'),
    platform_system: fc.constantFrom('Linux', 'Windows', 'Darwin'),
    platform_version: fc.constantFrom('#45-Ubuntu SMP', '10.0.19045', 'Darwin'),
    platform_machine: fc.constantFrom('x86_64', 'AMD64', 'arm64', 'aarch64'),
    platform_python_implementation: fc.constantFrom('CPython', 'PyPy'),
    implementation_name: fc.constantFrom('cpython', 'pypy'),
    implementation_version: fc.constantFrom('3.12.4', '7.3.17', '3.13.0rc2'),
    extra: fc.option(fc.constantFrom('', 'Foo.Bar', 'test', 'a__b..c', 'foo_bar', 'dog'), { nil: undefined }),
    extras: fc.option(fc.array(fc.constantFrom('foo', 'Foo.Bar', 'x', 'bar'), { maxLength: 3 }), { nil: undefined }),
    dependency_groups: fc.option(fc.array(fc.constantFrom('dev', 'Docs', 'foo'), { maxLength: 2 }), { nil: undefined }),
  })
  .chain((env) =>
    // Sometimes a standard key is missing, sometimes an unusual one is present (a marker comparing
    // two quoted strings looks the right one up). python_full_version is always there: packaging
    // reads it unconditionally to repair it.
    fc.tuple(fc.option(fc.constantFrom('os_name', 'sys_platform', 'python_version', 'platform_release', 'extra')), fc.option(fc.constantFrom('a', 'posix', 'foo'))).map(
      ([drop, add]) => {
        const entries: [string, unknown][] = Object.entries(env).filter(([k, v]) => v !== undefined && k !== drop);
        if (add !== null) entries.push([add, add === 'a' ? 'a' : 'posix']);
        return Object.fromEntries(entries) as MarkerEnvironment;
      },
    ),
  );
const context = fc.constantFrom<EvaluateContext>('metadata', 'lock_file', 'requirement');

// ---- properties ------------------------------------------------------------------------------

const anyString = fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ maxLength: 60 }), mutated(marker), mutated(requirement));

describe('PEP 508 properties', () => {
  it('Marker.parse and Requirement.parse throw nothing but their typed errors', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        for (const [parse, type] of [
          [Marker.parse, InvalidMarker],
          [Requirement.parse, InvalidRequirement],
        ] as const) {
          try {
            parse(s);
          } catch (err) {
            assert.ok(err instanceof type, `${type.name} expected for ${JSON.stringify(s)}, got ${String(err)}`);
          }
        }
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('evaluation throws nothing but UndefinedComparison and UndefinedEnvironmentName', () => {
    fc.assert(
      fc.property(fc.oneof(marker, realisticMarker), environment, context, (m, env, ctx) => {
        let parsed: Marker;
        try {
          parsed = Marker.parse(m);
        } catch {
          return;
        }
        try {
          assert.equal(typeof parsed.evaluate(env, ctx), 'boolean');
        } catch (err) {
          assert.ok(err instanceof UndefinedComparison || err instanceof UndefinedEnvironmentName, String(err));
        }
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('the normal form is a fixed point: toString(parse(toString(parse(x)))) === toString(parse(x))', () => {
    let checked = 0;
    const parsers = { marker: Marker.parse, requirement: Requirement.parse };
    fc.assert(
      fc.property(fc.oneof(plainMarker.map((s) => ['marker', s] as const), requirementOf(plainMarker).map((s) => ['requirement', s] as const)), ([kind, s]) => {
        let once: string;
        try {
          once = parsers[kind](s).toString();
        } catch {
          return;
        }
        checked++;
        const again = parsers[kind](once).toString();
        assert.equal(again, once, `not a fixed point: ${JSON.stringify(s)} → ${JSON.stringify(once)} → ${JSON.stringify(again)}`);
      }),
      { seed: SEED, numRuns: 3000 },
    );
    assert.ok(checked > 500, `only ${checked} valid inputs were generated`);
  });
});

// ---- differential check against packaging ----------------------------------------------------

const ORACLE = `
import json, sys
import packaging, packaging.markers as pm
from packaging.markers import Marker
from packaging.requirements import Requirement
pm.default_environment = lambda: {}  # evaluate against exactly the given environment
out = []
for case in json.load(sys.stdin):
    kind, s = case["kind"], case["s"]
    try:
        if kind == "marker":
            out.append({"ok": str(Marker(s))})
        elif kind == "requirement":
            r = Requirement(s)
            out.append({"ok": str(r), "name": r.name, "extras": sorted(r.extras), "specifier": str(r.specifier),
                        "url": r.url, "marker": None if r.marker is None else str(r.marker)})
        elif kind == "requirement-equal":
            out.append({"ok": Requirement(s) == Requirement(case["t"])})
        elif kind == "marker-equal":
            out.append({"ok": Marker(s) == Marker(case["t"])})
        else:
            env = {k: (frozenset(v) if isinstance(v, list) else v) for k, v in case["env"].items()}
            out.append({"ok": Marker(s).evaluate(env, case["context"])})
    except Exception as e:
        out.append({"error": type(e).__name__, "message": str(e)})
print(json.dumps(out))
`;

// packaging's exceptions for each of ours; literal_eval's SyntaxError and evaluate's AssertionError
// and KeyError escape packaging untyped, and we raise our typed error for them.
const EXPECTED_ERROR: Record<string, string[]> = {
  InvalidMarker: ['InvalidMarker', 'SyntaxError', 'ValueError', 'UnicodeEncodeError'],
  // packaging lets InvalidSpecifier escape when `===`'s operand swallowed a comma and the next clause is malformed
  InvalidRequirement: ['InvalidRequirement', 'InvalidSpecifier', 'SyntaxError', 'ValueError', 'UnicodeEncodeError'],
  UndefinedComparison: ['UndefinedComparison', 'AssertionError'],
  UndefinedEnvironmentName: ['UndefinedEnvironmentName', 'KeyError'],
};

describe('differential check against pypa/packaging', { skip: packagingOracleAvailable() ? false : NO_ORACLE }, () => {
  it('parses, prints, rejects (same message), compares and evaluates like packaging on generated inputs', (t) => {
    const markers = fc.sample(fc.oneof(marker, mutated(marker)), { seed: SEED, numRuns: 4000 });
    const requirements = fc.sample(fc.oneof(requirement, mutated(requirement)), { seed: SEED + 1, numRuns: 4000 });
    const evaluations = fc.sample(fc.tuple(fc.oneof(marker, realisticMarker), environment, context), { seed: SEED + 2, numRuns: 4000 });
    // Pairs from small pools, so that equal and unequal pairs both occur.
    const similarRequirement = fc
      .tuple(
        fc.constantFrom('foo', 'Foo_Bar', 'foo.bar', 'foo-bar', 'FOO'),
        fc.constantFrom('', '[a]', '[a,b]', '[b, a]', '[A]', '[a,a]'),
        fc.constantFrom('', '>=1.0', '>=1.0.0', '>=1', '==1.*', '==1.0.*', '<2,>=1.0', '>=1.0, <2', '>=1.0,<2,>=1.0', '===1.0', ' @ https://x', ' @ https://X'),
        fc.constantFrom('', '; os_name == "a"', ";os_name=='a'", '; extra == "A_B"', '; extra=="a-b"', '; ("a" == os_name)'),
      )
      .map(([n, e, v, m]) => (v.startsWith(' @') && m !== '' ? `${n}${e}${v} ${m}` : `${n}${e}${v}${m}`));
    const similarMarker = fc.constantFrom('os_name == "a"', "os_name=='a'", '"a" == os_name', '(os_name == "a")', 'extra == "Foo_Bar"', 'extra == "foo-bar"', '(extra == "Foo_Bar")', 'os_name == "a" and (sys_platform == "b")', 'os_name == "a" and sys_platform == "b"', 'python_implementation == "x"', 'platform_python_implementation == "x"');
    const requirementPairs = fc.sample(fc.tuple(similarRequirement, similarRequirement), { seed: SEED + 3, numRuns: 1500 });
    const markerPairs = fc.sample(fc.tuple(similarMarker, similarMarker), { seed: SEED + 4, numRuns: 300 });
    type Case =
      | { kind: 'marker'; s: string }
      | { kind: 'requirement'; s: string }
      | { kind: 'requirement-equal'; s: string; t: string }
      | { kind: 'marker-equal'; s: string; t: string }
      | { kind: 'evaluate'; s: string; env: MarkerEnvironment; context: EvaluateContext };
    const cases: Case[] = [
      ...markers.map((s) => ({ kind: 'marker' as const, s })),
      ...requirements.map((s) => ({ kind: 'requirement' as const, s })),
      ...evaluations.map(([s, env, context]) => ({ kind: 'evaluate' as const, s, env, context })),
      ...requirementPairs.map(([s, t]) => ({ kind: 'requirement-equal' as const, s, t })),
      ...markerPairs.map(([s, t]) => ({ kind: 'marker-equal' as const, s, t })),
    ];
    const expected = runOracle<{ ok?: unknown; error?: string; message?: string; [k: string]: unknown }[]>(ORACLE, cases);
    const failures: string[] = [];
    const valid = { marker: 0, requirement: 0, evaluate: 0, 'requirement-equal': 0, 'marker-equal': 0 };
    let equalPairs = 0;
    cases.forEach((c, i) => {
      const want = expected[i] as (typeof expected)[number];
      let got: Record<string, unknown>;
      try {
        if (c.kind === 'marker') got = { ok: Marker.parse(c.s).toString() };
        else if (c.kind === 'requirement') {
          const req = Requirement.parse(c.s);
          got = {
            ok: req.toString(),
            name: req.name,
            extras: req.extras,
            specifier: req.specifier.toString(),
            url: req.url,
            marker: req.marker?.toString() ?? null,
          };
        } else if (c.kind === 'requirement-equal') got = { ok: Requirement.parse(c.s).equals(Requirement.parse(c.t)) };
        else if (c.kind === 'marker-equal') got = { ok: Marker.parse(c.s).equals(Marker.parse(c.t)) };
        else got = { ok: Marker.parse(c.s).evaluate(c.env, c.context) };
      } catch (err) {
        got = { error: err instanceof Error ? err.name : String(err), message: err instanceof Error ? err.message : '' };
      }
      if ('ok' in want) valid[c.kind]++;
      if (c.kind.endsWith('-equal') && want.ok === true) equalPairs++;
      const same =
        'ok' in want
          ? JSON.stringify(got) === JSON.stringify(want)
          : typeof got.error === 'string' &&
            (EXPECTED_ERROR[got.error] ?? []).includes(want.error as string) &&
            (got.error !== want.error || c.kind === 'evaluate' || got.message === want.message);
      if (!same) failures.push(`${JSON.stringify(c)}\n    packaging: ${JSON.stringify(want)}\n    pyvet:     ${JSON.stringify(got)}`);
    });
    t.diagnostic(
      `${cases.length} generated cases compared with packaging (valid: ${valid.marker} markers, ${valid.requirement} requirements, ${valid.evaluate} evaluations; ${equalPairs} equal pairs), ${failures.length} differ`,
    );
    assert.deepEqual(failures.slice(0, 8), []);
  });
});
