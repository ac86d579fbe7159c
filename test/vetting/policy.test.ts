// Policy parsing and validation (YAML and TOML, errors naming line and column), the licence
// and typosquat helpers, and every gate of evaluateFile on catalog-shaped records.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, test } from 'node:test';
import { advisoryFromOsv } from '../../src/advisories/osv.js';
import type { Advisory } from '../../src/advisories/types.js';
import type { FileRecord } from '../../src/catalog/types.js';
import { PyvetError } from '../../src/errors.js';
import { evaluateFile, matchesOwnedName } from '../../src/vetting/evaluate.js';
import { checkLicense, parseSpdx } from '../../src/vetting/license-policy.js';
import { defaultPolicy, type Policy, parsePolicy } from '../../src/vetting/policy.js';
import type { Waiver } from '../../src/vetting/types.js';
import { damerauLevenshtein, lookalikes } from '../../src/vetting/typosquat.js';

const YAML = `# company policy
max_cvss: 6.5
block_unscored_severities: [critical]
block_unknown_severity: false
licenses:
  allow: [MIT, Apache-2.0, BSD-3-Clause]
  deny: [AGPL-3.0-only]
min_release_age_days: 7
owned_names: ["acme-*", "internal_tools"]
deny: ["evil", "badlib<2.0"]
typosquat:
  max_distance: 2
  allow: [reqeusts-mock]
max_file_bytes: 1000000
allow_sdists: false
auto_approve: true
on_newly_vulnerable: yank
`;

const TOML = `max_cvss = 6.5
block_unscored_severities = ["critical"]
block_unknown_severity = false
min_release_age_days = 7
owned_names = ["acme-*", "internal_tools"]
deny = ["evil", "badlib<2.0"]
max_file_bytes = 1000000
allow_sdists = false
auto_approve = true
on_newly_vulnerable = "yank"

[licenses]
allow = ["MIT", "Apache-2.0", "BSD-3-Clause"]
deny = ["AGPL-3.0-only"]

[typosquat]
max_distance = 2
allow = ["reqeusts-mock"]
`;

function policyError(fn: () => unknown): PyvetError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PyvetError, String(err));
    assert.equal(err.code, 'POLICY_INVALID');
    return err;
  }
  assert.fail('expected POLICY_INVALID');
}

describe('policy files', () => {
  test('YAML and TOML say the same thing', () => {
    const y = parsePolicy(YAML, 'yaml', 'policy.yaml');
    assert.deepEqual(parsePolicy(TOML, 'toml', 'policy.toml'), y);
    assert.equal(y.max_cvss, 6.5);
    assert.deepEqual(y.block_unscored_severities, ['CRITICAL']);
    assert.equal(y.typosquat.enabled, true, 'unset keys keep their defaults');
  });

  test('an empty file is the defaults: block at 7.0, hold everything, report', () => {
    const p = parsePolicy('', 'yaml', 'p.yaml');
    assert.deepEqual(p, defaultPolicy());
    assert.equal(p.max_cvss, 7);
    assert.equal(p.auto_approve, false);
    assert.equal(p.on_newly_vulnerable, 'report');
  });

  const cases: [string, string, 'yaml' | 'toml', RegExp, number, number][] = [
    ['YAML syntax', 'max_cvss: 7\nlicenses: [MIT\n', 'yaml', /not valid YAML/, 3, 1],
    ['YAML wrong type', 'max_cvss: 7\nlicenses:\n  allow: [MIT]\n  deny: 3\n', 'yaml', /licenses\.deny: must be a list/, 4, 9],
    ['YAML unknown key', 'max_cvss: 7\nauto_aprove: true\n', 'yaml', /auto_aprove: unknown setting/, 2, 1],
    ['YAML out of range', 'auto_approve: true\n\nmax_cvss: 11\n', 'yaml', /max_cvss: must be a number from 0 to 10/, 3, 11],
    ['YAML bad enum', 'on_newly_vulnerable: delete\n', 'yaml', /'report' or 'yank'/, 1, 22],
    ['YAML duplicate key', 'max_cvss: 7\nmax_cvss: 8\n', 'yaml', /not valid YAML/, 2, 1],
    ['YAML bad deny entry', 'deny:\n  - ok\n  - "bad name !"\n', 'yaml', /deny\.1: 'bad name !' is not a name or requirement/, 3, 5],
    ['TOML syntax', 'max_cvss = 7\nauto_approve = \n', 'toml', /not valid TOML/, 2, 16],
    ['TOML wrong type', 'max_cvss = 7\n\n[typosquat]\nmax_distance = 5\n', 'toml', /typosquat\.max_distance: must be a number from 1 to 2/, 4, 1],
    ['TOML unknown table', 'max_cvss = 7\n[licences]\nallow = []\n', 'toml', /licences: unknown setting/, 2, 1],
  ];
  for (const [name, text, format, message, line, column] of cases) {
    test(`${name}: the error names line ${line}, column ${column}`, () => {
      const err = policyError(() => parsePolicy(text, format, `policy.${format}`));
      assert.match(err.message, message);
      assert.equal(err.details?.line, line, err.message);
      assert.equal(err.details?.column, column, err.message);
      assert.ok(err.message.startsWith(`policy.${format}:${line}:${column}: `), err.message);
    });
  }
});

describe('licences', () => {
  const allow = ['MIT', 'Apache-2.0'];
  const table: [string | null, string[], string[], boolean][] = [
    ['MIT', allow, [], true],
    ['GPL-3.0-only', allow, [], false],
    ['MIT OR GPL-3.0-only', allow, [], true], // the user may pick MIT
    ['MIT AND GPL-3.0-only', allow, [], false], // both apply
    ['(MIT OR GPL-3.0-only) AND Apache-2.0', allow, [], true],
    ['Apache-2.0 WITH LLVM-exception', allow, [], true],
    ['GPL-2.0-only WITH Classpath-exception-2.0', allow, [], false],
    ['GPL-2.0-only WITH Classpath-exception-2.0', ['GPL-2.0-only WITH Classpath-exception-2.0'], [], true],
    ['mit', allow, [], true],
    ['AGPL-3.0-only', [], ['AGPL-3.0-only'], false],
    ['AGPL-3.0-only OR MIT', [], ['AGPL-3.0-only'], true],
    ['Some proprietary text', allow, [], false],
    ['Some proprietary text', [], ['AGPL-3.0-only'], false], // free text may be what is denied: held
    [null, allow, [], false],
    [null, [], [], true],
  ];
  for (const [license, a, d, ok] of table) {
    test(`${license} allow=[${a}] deny=[${d}] → ${ok ? 'pass' : 'hold'}`, () => {
      assert.equal(checkLicense(license, a, d).ok, ok);
    });
  }
  test('malformed expressions are free text', () => {
    for (const t of ['MIT OR', '(MIT', 'AND MIT', 'MIT WITH', 'BSD License']) assert.equal(parseSpdx(t), null, t);
  });
});

describe('typosquat', () => {
  test('Damerau-Levenshtein distances', () => {
    assert.equal(damerauLevenshtein('requests', 'reqeusts'), 1); // swap
    assert.equal(damerauLevenshtein('django', 'djang0'), 1);
    assert.equal(damerauLevenshtein('numpy', 'numpyy'), 1);
    assert.equal(damerauLevenshtein('pandas', 'pndas'), 1);
    assert.equal(damerauLevenshtein('flask', 'falsk'), 1);
    assert.equal(damerauLevenshtein('urllib3', 'urlib'), 2);
    assert.equal(damerauLevenshtein('', 'abc'), 3);
    assert.equal(damerauLevenshtein('kitten', 'sitting', 1), 2, 'gives up beyond max');
  });
  test('Damerau-Levenshtein equals the textbook table on random names, long and short, one after another', () => {
    // The reference: the optimal-string-alignment recurrence, a fresh table per pair.
    const reference = (a: string, b: string): number => {
      const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
      for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
          const cost = a[i - 1] === b[j - 1] ? 0 : 1;
          d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
          if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
        }
      }
      return d[a.length]![b.length]!;
    };
    const name = fc.stringMatching(/^[a-e0-9-]{0,24}$/);
    fc.assert(
      fc.property(name, name, fc.integer({ min: 0, max: 4 }), (a, b, max) => {
        const exact = reference(a, b);
        assert.equal(damerauLevenshtein(a, b), exact);
        assert.equal(damerauLevenshtein(a, b, max), exact <= max ? exact : max + 1);
      }),
      { numRuns: 3000 },
    );
  });
  test('lookalikes of known names', () => {
    assert.deepEqual(lookalikes('reqeusts', ['requests', 'flask'], 1), ['requests']);
    assert.deepEqual(lookalikes('urlib', ['urllib3'], 1), []);
    assert.deepEqual(lookalikes('urlib', ['urllib3'], 2), ['urllib3']);
    assert.deepEqual(lookalikes('requests', ['requests'], 2), []);
  });
  test('owned name globs compare normalized names', () => {
    assert.equal(matchesOwnedName('acme-billing', ['Acme_*']), 'Acme_*');
    assert.equal(matchesOwnedName('internal-tools', ['internal_tools']), 'internal_tools');
    assert.equal(matchesOwnedName('acmebilling', ['acme-*']), undefined);
  });
});

// --- gates -------------------------------------------------------------------------------------

const NOW = new Date('2026-06-01T00:00:00Z');

function file(over: Partial<FileRecord> = {}): FileRecord {
  return {
    id: 1,
    project: 'demo',
    version: '1.0',
    filename: 'demo-1.0-py3-none-any.whl',
    kind: 'wheel',
    size: 1000,
    sha256: 'a'.repeat(64),
    blake2b256: 'b'.repeat(64),
    md5: 'c'.repeat(32),
    requiresPython: null,
    metadataSha256: null,
    requiresDist: [],
    providesExtra: [],
    summary: null,
    license: 'MIT',
    tags: ['py3-none-any'],
    uploadedAt: NOW.toISOString(),
    upstreamUploadedAt: null,
    origin: 'local',
    state: 'quarantined',
    stateChangedAt: NOW.toISOString(),
    stateChangedBy: 'test',
    stateReason: null,
    yanked: false,
    yankedReason: null,
    integrity: { checks: [{ check: 'record-hashes', ok: true }] },
    ...over,
  };
}

function advisory(id: string, severity: { type: string; score: string }[] = [], text?: string): Advisory {
  return advisoryFromOsv({
    id,
    modified: '2026-01-01T00:00:00Z',
    severity,
    ...(text ? { database_specific: { severity: text } } : {}),
    affected: [{ package: { ecosystem: 'PyPI', name: 'demo' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0' }] }] }],
  }) as Advisory;
}

const CRITICAL = [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }];
const MEDIUM = [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N' }];

/** An active waiver on file 1, until 2026-06-08. */
function waiver(id: number, advisoryId: string): Waiver {
  return {
    id,
    fileId: 1,
    advisoryId,
    reason: 'not reachable',
    expiresAt: '2026-06-08T00:00:00Z',
    grantedBy: 'alice',
    grantedAt: NOW.toISOString(),
    revokedAt: null,
    revokedBy: null,
  };
}

function evaluate(f: FileRecord, policy: Partial<Policy> = {}, advisories: Advisory[] = [], waivers: Waiver[] = [], now = NOW) {
  return evaluateFile({
    file: f,
    advisories,
    waivers,
    policy: { ...defaultPolicy(), ...policy },
    hostedProjects: new Set(['requests', 'demo']),
    newProject: true,
    approvedOrigins: [],
    now,
  });
}

describe('gates', () => {
  test('a clean file waits for an approver unless auto_approve is on', () => {
    const held = evaluate(file());
    assert.equal(held.verdict, 'hold');
    assert.match(held.reasons[0]!, /^auto_approve: off/);
    assert.equal(evaluate(file(), { auto_approve: true }).verdict, 'approve');
  });

  test('a critical advisory holds the file and names the advisory, score and bar', () => {
    const r = evaluate(file(), { auto_approve: true }, [advisory('PYSEC-2099-1', CRITICAL)]);
    assert.equal(r.verdict, 'hold');
    assert.deepEqual(r.reasons, ['max_cvss: advisory PYSEC-2099-1 (CVSS 9.8 critical) ≥ max 7.0']);
    assert.equal(r.findings[0]!.blocking, true);
  });

  test('below the bar passes; the bar is inclusive', () => {
    assert.equal(evaluate(file(), { auto_approve: true }, [advisory('A', MEDIUM)]).verdict, 'approve');
    assert.equal(evaluate(file(), { auto_approve: true, max_cvss: 6.1 }, [advisory('A', MEDIUM)]).verdict, 'hold');
  });

  test('unscored advisories: text severities per list, unknown per block_unknown_severity', () => {
    const high = advisory('GHSA-1', [], 'HIGH');
    const low = advisory('GHSA-2', [], 'LOW');
    const none = advisory('PYSEC-3');
    assert.equal(evaluate(file(), { auto_approve: true }, [high]).verdict, 'hold');
    assert.equal(evaluate(file(), { auto_approve: true }, [low, { ...none }], []).verdict, 'hold');
    assert.equal(evaluate(file(), { auto_approve: true, block_unknown_severity: false }, [low, none]).verdict, 'approve');
  });

  test('an active waiver lets the one finding through; an expired or revoked one does not', () => {
    const a = advisory('PYSEC-2099-1', CRITICAL);
    const w = waiver(7, 'PYSEC-2099-1');
    const ok = evaluate(file(), { auto_approve: true }, [a], [w]);
    assert.equal(ok.verdict, 'approve');
    assert.deepEqual([ok.findings[0]!.blocking, ok.findings[0]!.waiverId], [false, 7]);
    assert.equal(evaluate(file(), { auto_approve: true }, [a], [w], new Date('2026-06-08T00:00:00Z')).verdict, 'hold');
    assert.equal(evaluate(file(), { auto_approve: true }, [a], [{ ...w, revokedAt: NOW.toISOString() }]).verdict, 'hold');
    assert.equal(evaluate(file(), { auto_approve: true }, [a], [{ ...w, advisoryId: 'OTHER' }]).verdict, 'hold');
  });

  test('records of one vulnerability from several databases are one finding; any of them blocks, a waiver on any waives it', () => {
    const withAliases = (a: Advisory, aliases: string[]): Advisory => ({ ...a, aliases });
    // PyPA's record aliases the GHSA one; the GHSA record only shares the CVE; a third is unrelated.
    const pysec = withAliases(advisory('PYSEC-2099-7', MEDIUM), ['GHSA-aaaa-bbbb-cccc', 'CVE-2099-7']);
    const ghsa = withAliases(advisory('GHSA-aaaa-bbbb-cccc', CRITICAL), ['CVE-2099-7']);
    const other = withAliases(advisory('GHSA-zzzz-yyyy-xxxx', [], 'LOW'), ['CVE-2099-8']);
    const r = evaluate(file(), { auto_approve: true }, [pysec, other, ghsa]);
    assert.deepEqual(
      r.findings.map((f) => [f.advisoryId, f.aliases, f.score, f.blocking]),
      [
        ['GHSA-aaaa-bbbb-cccc', ['CVE-2099-7', 'PYSEC-2099-7'], 9.8, true],
        ['GHSA-zzzz-yyyy-xxxx', ['CVE-2099-8'], null, false],
      ],
    );
    assert.deepEqual(r.reasons, ['max_cvss: advisory GHSA-aaaa-bbbb-cccc (CVSS 9.8 critical) ≥ max 7.0']);
    const w = waiver(9, 'PYSEC-2099-7');
    const waived = evaluate(file(), { auto_approve: true }, [pysec, other, ghsa], [w]);
    assert.equal(waived.verdict, 'approve');
    assert.deepEqual([waived.findings[0]!.blocking, waived.findings[0]!.waiverId], [false, 9]);
  });

  test('owned names are rejected from upstreams only', () => {
    const policy = { owned_names: ['acme-*'], auto_approve: true };
    const up = evaluate(file({ project: 'acme-core', origin: 'upstream:pypi' }), policy);
    assert.equal(up.verdict, 'reject');
    assert.deepEqual(up.reasons, ["owned_names: acme-core matches 'acme-*' and came from upstream:pypi"]);
    assert.equal(evaluate(file({ project: 'acme-core', origin: 'upload:ci' }), policy).verdict, 'approve');
  });

  test('deny by name or by specifier (pre-releases included)', () => {
    const policy = { deny: ['badlib<2.0', 'Other_Lib>=3', 'evil'], auto_approve: true };
    assert.equal(evaluate(file({ project: 'evil', version: '9.9' }), policy).verdict, 'reject');
    assert.equal(evaluate(file({ project: 'badlib', version: '1.5' }), policy).verdict, 'reject');
    assert.equal(evaluate(file({ project: 'badlib', version: '2.0' }), policy).verdict, 'approve');
    // PEP 440: <2.0 excludes 2.0's own pre-releases; >=3 takes later pre-releases once they count.
    assert.equal(evaluate(file({ project: 'badlib', version: '2.0rc1' }), policy).verdict, 'approve');
    assert.equal(evaluate(file({ project: 'other-lib', version: '3.1rc1' }), policy).verdict, 'reject');
  });

  test('licences, release age, size, sdists, integrity', () => {
    const p = { auto_approve: true };
    assert.deepEqual(evaluate(file({ license: 'GPL-3.0-only' }), { ...p, licenses: { allow: ['MIT'], deny: [] } }).reasons, [
      'licenses: licence GPL-3.0-only is not in the allow list',
    ]);
    const young = evaluate(file({ upstreamUploadedAt: '2026-05-30T00:00:00Z', origin: 'upstream:pypi' }), { ...p, min_release_age_days: 7 });
    assert.equal(young.verdict, 'hold');
    assert.match(young.reasons[0]!, /^min_release_age_days: uploaded upstream 2026-05-30T00:00:00Z \(2\.0 days ago\) < 7 days$/);
    assert.equal(evaluate(file({ upstreamUploadedAt: '2026-05-01T00:00:00Z' }), { ...p, min_release_age_days: 7 }).verdict, 'approve');
    // From an upstream without a usable upload time, the age is unknown: held, not waved through.
    for (const [at, says] of [
      [null, 'no upload time'],
      ['not-a-date', "an upload time that is not a date ('not-a-date')"],
    ] as const) {
      const unknown = evaluate(file({ upstreamUploadedAt: at, origin: 'upstream:pypi' }), { ...p, min_release_age_days: 7 });
      assert.equal(unknown.verdict, 'hold');
      assert.deepEqual(unknown.reasons, [`min_release_age_days: upstream gave ${says}, so its age is unknown`]);
    }
    // A local file has no upstream age: the rule does not apply.
    assert.equal(evaluate(file({ upstreamUploadedAt: null, origin: 'local' }), { ...p, min_release_age_days: 7 }).verdict, 'approve');
    assert.equal(evaluate(file({ size: 5000 }), { ...p, max_file_bytes: 4000 }).verdict, 'hold');
    assert.equal(evaluate(file({ kind: 'sdist', filename: 'demo-1.0.tar.gz' }), { ...p, allow_sdists: false }).verdict, 'reject');
    const broken = file({ integrity: { checks: [{ check: 'record-hashes', ok: false, detail: 'x.py differs' }] } });
    assert.deepEqual(evaluate(broken, p).reasons, ['integrity: record-hashes failed (x.py differs)']);
  });

  test('typosquats of hosted or popular names are held; established and allowed names are not', () => {
    const p = { auto_approve: true };
    assert.deepEqual(evaluate(file({ project: 'reqeusts' }), p).reasons, [
      'typosquat: new name reqeusts is within 1 edit(s) of requests',
    ]);
    assert.equal(evaluate(file({ project: 'djang0' }), p).verdict, 'hold');
    assert.equal(evaluate(file({ project: 'django' }), p).verdict, 'approve', 'a popular name itself');
    assert.equal(evaluate(file({ project: 'reqeusts' }), { ...p, typosquat: { enabled: true, max_distance: 1, allow: ['reqeusts'] } }).verdict, 'approve');
    const established = evaluateFile({
      file: file({ project: 'reqeusts' }),
      advisories: [],
      waivers: [],
      policy: { ...defaultPolicy(), ...p },
      hostedProjects: new Set(['requests']),
      newProject: false,
      approvedOrigins: ['local'],
      now: NOW,
    });
    assert.equal(established.verdict, 'approve');
  });

  test('a file from another kind of origin than every approved file of its project is held, naming both', () => {
    const p = { ...defaultPolicy(), auto_approve: true };
    const run = (origin: string, approvedOrigins: string[]) =>
      evaluateFile({ file: file({ project: 'flask', origin }), advisories: [], waivers: [], policy: p, hostedProjects: new Set(), newProject: approvedOrigins.length === 0, approvedOrigins, now: NOW });
    const takeover = run('upload:ci-publisher', ['upstream:pypi']);
    assert.equal(takeover.verdict, 'hold');
    assert.deepEqual(takeover.reasons, ["origin: flask so far came only from upstream 'pypi'; this file comes from upload:ci-publisher"]);
    assert.deepEqual(run('upstream:pypi', ['upload:ci', 'local']).reasons, [
      "origin: flask so far came only from here (upload:ci, local); this file comes from upstream 'pypi'",
    ]);
    assert.equal(run('local', ['upload:ci']).verdict, 'approve', 'uploads and local adds are both published here');
    assert.equal(run('upstream:corp', ['upstream:pypi']).verdict, 'approve');
    assert.equal(run('upload:ci', ['upstream:pypi', 'upload:other']).verdict, 'approve', 'mixed already');
    assert.equal(run('upload:ci', []).verdict, 'approve', 'a new project');
  });

  test('a reject outranks holds and lists every reason', () => {
    const r = evaluate(file({ project: 'evil', license: null }), { deny: ['evil'], licenses: { allow: ['MIT'], deny: [] } }, [
      advisory('X', CRITICAL),
    ]);
    assert.equal(r.verdict, 'reject');
    assert.equal(r.reasons.length, 3);
  });
});
