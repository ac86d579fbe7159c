// End to end: real wheels built with `python -m build`, named like a real vulnerable project
// from the PyPA data (searchor < 2.4.2: PYSEC-2023-262, CVSS 9.8), ingested through ingestFile
// into a real repository; advisory updates, waivers and time (an injected clock) through the
// services, and the same through the real CLI.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ingestFile } from '../../src/repository/ingest.js';
import { evidence, grantWaiver, rescanAll, setPolicy, updateAdvisories } from '../../src/vetting/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { buildProject, clientAvailable } from '../helpers/python.js';
import { makeRepo, type TestRepo } from '../repository/support.js';

const skip = clientAvailable('build');
const admin = { name: 'cli:alice', role: 'admin' as const };
const DAY = 86_400_000;
const T0 = new Date('2026-03-01T12:00:00Z');

let t: TestRepo;
let tmp: { path: string; cleanup: () => void };
let old: string; // searchor 2.4.1: vulnerable
let fixed: string; // searchor 2.4.2: clean until our own advisory

describe('vetting end to end', { skip: skip === true ? false : skip }, () => {
  before(async () => {
    tmp = tempDir();
    old = buildProject({ name: 'searchor', version: '2.4.1', license: 'MIT' }, join(tmp.path, 'a')).wheel;
    fixed = buildProject({ name: 'searchor', version: '2.4.2', license: 'MIT' }, join(tmp.path, 'b')).wheel;
    t = await makeRepo();
    const policy = join(tmp.path, 'policy.yaml');
    writeFileSync(policy, 'max_cvss: 7.0\nauto_approve: true\non_newly_vulnerable: yank\nlicenses:\n  allow: [MIT]\n');
    await setPolicy(t.repo, policy, admin, { now: () => T0 });
  });

  after(async () => {
    await t?.cleanup();
    tmp?.cleanup();
  });

  test('a file with a known critical advisory is held, the advisory named', async () => {
    const r = await ingestFile(t.repo, old, { actor: admin, origin: 'local' });
    assert.equal(r.decision?.verdict, 'hold');
    assert.deepEqual(r.decision?.reasons, ['max_cvss: advisory PYSEC-2023-262 (CVSS 9.8 critical) ≥ max 7.0']);
    assert.equal(r.file.state, 'quarantined');
    const f = r.decision!.findings[0]!;
    assert.deepEqual([f.advisoryId, f.score, f.severity, f.fixed, f.blocking], ['PYSEC-2023-262', 9.8, 'critical', ['2.4.2'], true]);
    assert.ok(f.aliases.includes('CVE-2023-43364'), f.aliases.join());
  });

  test('a clean file passes every gate and is approved automatically', async () => {
    const r = await ingestFile(t.repo, fixed, { actor: admin, origin: 'local' });
    assert.equal(r.decision?.verdict, 'approve', r.decision?.reasons.join('; '));
    assert.equal(r.file.state, 'approved');
    assert.equal(r.file.license, 'MIT');
  });

  test('a newer advisory set makes the approved file newly vulnerable, and the policy yanks it', async () => {
    const feed = join(tmp.path, 'new-advisories.jsonl');
    writeFileSync(
      feed,
      `${JSON.stringify({
        id: 'PYVET-TEST-2026-1',
        modified: '2026-03-01T00:00:00Z',
        published: '2026-03-01T00:00:00Z',
        aliases: ['CVE-2026-99999'],
        summary: 'Remote code execution in searchor',
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
        affected: [
          { package: { ecosystem: 'PyPI', name: 'Searchor' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '2.4.2' }, { fixed: '2.4.3' }] }] },
        ],
      })}\n`,
    );
    const u = await updateAdvisories(t.repo, feed, admin, { now: () => T0 });
    assert.equal(u.import.added, 1);
    assert.deepEqual(
      u.rescan.newlyVulnerable.map((c) => [c.filename, c.advisories]),
      [['searchor-2.4.2-py3-none-any.whl', ['PYVET-TEST-2026-1']]],
    );
    assert.deepEqual(u.rescan.yanked, ['searchor-2.4.2-py3-none-any.whl']);
    const file = await t.repo.catalog.files.getByFilename('searchor-2.4.2-py3-none-any.whl');
    assert.equal(file?.yanked, true);
    assert.match(file?.yankedReason ?? '', /PYVET-TEST-2026-1/);
    const actions = (await t.repo.catalog.audit.list()).map((e) => e.action);
    assert.ok(actions.includes('file.newly_vulnerable') && actions.includes('file.yank') && actions.includes('advisories.import'));
  });

  test('a waiver lets the finding through until it expires; then it blocks again', async () => {
    const g = await grantWaiver(
      t.repo,
      { selector: 'searchor==2.4.1', advisory: 'CVE-2023-43364', reason: 'search() is not exposed', expires: '7d' },
      admin,
      { now: () => T0 },
    );
    assert.equal(g.waivers.length, 1);
    assert.equal(g.waivers[0]!.advisoryId, 'PYSEC-2023-262', 'the alias resolved to the advisory');
    assert.equal(g.waivers[0]!.expiresAt, new Date(T0.getTime() + 7 * DAY).toISOString());
    assert.deepEqual(g.rescan.approved, ['searchor-2.4.1-py3-none-any.whl']);
    assert.equal((await t.repo.catalog.files.getByFilename('searchor-2.4.1-py3-none-any.whl'))?.state, 'approved');

    // Six days later nothing changes; eight days later the waiver has expired.
    const day6 = await rescanAll(t.repo, admin, { now: () => new Date(T0.getTime() + 6 * DAY) });
    assert.deepEqual(day6.newlyVulnerable, []);
    const day8 = await rescanAll(t.repo, admin, { now: () => new Date(T0.getTime() + 8 * DAY) });
    assert.deepEqual(
      day8.newlyVulnerable.map((c) => [c.filename, c.advisories]),
      [['searchor-2.4.1-py3-none-any.whl', ['PYSEC-2023-262']]],
    );
    assert.deepEqual(day8.yanked, ['searchor-2.4.1-py3-none-any.whl']);
  });

  test('waivers refuse what they cannot mean', async () => {
    const req = { selector: 'searchor==2.4.2', advisory: 'PYSEC-2023-262', reason: 'x', expires: '1d' };
    await assert.rejects(grantWaiver(t.repo, req, admin, { now: () => T0 }), { code: 'WAIVER_NOT_APPLICABLE' });
    await assert.rejects(grantWaiver(t.repo, { ...req, advisory: 'NOPE-1' }, admin), { code: 'ADVISORY_NOT_FOUND' });
    await assert.rejects(grantWaiver(t.repo, { ...req, reason: ' ' }, admin), { code: 'REASON_REQUIRED' });
    await assert.rejects(grantWaiver(t.repo, { ...req, expires: 'soon' }, admin), { code: 'EXPIRY_INVALID' });
    // What Date.parse guessed at: '1' as the year 2001, a day past the month's end, a zoneless time.
    for (const expires of ['1', '2027-02-30', '2027-01-31T12:00:00', 'Jan 31 2027']) {
      await assert.rejects(grantWaiver(t.repo, { ...req, expires }, admin), { code: 'EXPIRY_INVALID' }, expires);
    }
    // Beyond a few years (or beyond what a Date holds: was an INTERNAL 'Invalid time value').
    for (const expires of ['1000000d', '99999999d', '9999-01-01']) {
      await assert.rejects(grantWaiver(t.repo, { ...req, expires }, admin), { code: 'EXPIRY_INVALID' });
    }
    await assert.rejects(grantWaiver(t.repo, req, { name: 'bob', role: 'publisher' }), { code: 'FORBIDDEN' });
  });

  test('evidence has integrity, licence, findings, waivers and the history', async () => {
    const [e] = await evidence(t.repo, 'searchor==2.4.1', { now: () => new Date(T0.getTime() + 8 * DAY) });
    assert.ok(e);
    assert.ok(e.file.integrity.checks.length > 0 && e.file.integrity.checks.every((c) => c.ok));
    assert.equal(e.current.license, 'MIT');
    assert.equal(e.current.verdict, 'hold');
    assert.deepEqual(
      e.waivers.map((w) => [w.advisoryId, w.active]),
      [['PYSEC-2023-262', false]],
    );
    const history = e.history.map((h) => h.action);
    for (const a of ['file.vet', 'waiver.grant', 'file.approve', 'file.newly_vulnerable', 'file.yank']) {
      assert.ok(history.includes(a), `${a} in ${history.join(', ')}`);
    }
  });

  describe('through the CLI', () => {
    test('scan --json lists every file with findings, licence and integrity; exit 1 when something blocks', () => {
      const r = runCli(t.dataDir, ['--json', 'scan']);
      assert.equal(r.status, 1, r.stderr);
      const rows = JSON.parse(r.stdout) as { filename: string; state: string; license: string; findings: { advisoryId: string; score: number; blocking: boolean }[] }[];
      assert.equal(rows.length, 2);
      const old241 = rows.find((x) => x.filename === 'searchor-2.4.1-py3-none-any.whl')!;
      assert.deepEqual(
        old241.findings.map((f) => [f.advisoryId, f.score, f.blocking]),
        [['PYSEC-2023-262', 9.8, true]],
      );
      assert.equal(old241.license, 'MIT');
      const human = runCli(t.dataDir, ['scan', '--state', 'approved']);
      assert.match(human.stdout, /PYSEC-2023-262/);
      assert.match(human.stdout, /9\.8 critical/);
    });

    test('policy set with an error names the line and changes nothing', () => {
      const bad = join(tmp.path, 'bad.yaml');
      writeFileSync(bad, 'max_cvss: 7\nauto_approve: maybe\n');
      const r = runCli(t.dataDir, ['policy', 'set', bad]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /POLICY_INVALID.*bad\.yaml:2:15: auto_approve: must be true or false/);
      const shown = JSON.parse(runCli(t.dataDir, ['--json', 'policy', 'show']).stdout) as { source: string; policy: { auto_approve: boolean } };
      assert.deepEqual([shown.source, shown.policy.auto_approve], ['catalog', true]);
    });

    test('review, waive, evidence and advisories commands', () => {
      const review = JSON.parse(runCli(t.dataDir, ['--json', 'review']).stdout) as unknown[];
      assert.equal(review.length, 0, 'nothing waits: both files were approved');
      const waive = runCli(t.dataDir, ['waive', 'searchor-2.4.1-py3-none-any.whl', 'PYSEC-2023-262', '--reason', 'accepted risk', '--expires', '30d']);
      assert.equal(waive.status, 0, waive.stderr);
      assert.match(waive.stdout, /waiver #2: PYSEC-2023-262/);
      const ev = runCli(t.dataDir, ['evidence', 'searchor==2.4.1']);
      assert.equal(ev.status, 0, ev.stderr);
      assert.match(ev.stdout, /waiver\.grant/);
      assert.match(ev.stdout, /accepted risk/);
      const show = runCli(t.dataDir, ['advisories', 'show', 'CVE-2026-99999']);
      assert.match(show.stdout, /PYVET-TEST-2026-1/);
      const list = JSON.parse(runCli(t.dataDir, ['--json', 'advisories', 'list', '--project', 'SEARCHOR']).stdout) as { id: string }[];
      assert.deepEqual(list.map((a) => a.id).sort(), ['PYSEC-2023-262', 'PYVET-TEST-2026-1']);
      const imp = runCli(t.dataDir, ['--json', 'advisories', 'import', join(tmp.path, 'missing.jsonl')]);
      assert.equal(imp.status, 4);
      assert.equal((JSON.parse(imp.stdout) as { error: { code: string } }).error.code, 'ADVISORY_SOURCE_NOT_FOUND');
    });

    test('waivers lists the active ones; revoking one makes its finding block again, audited', () => {
      type Listed = { id: number; filename: string; advisoryId: string; active: boolean; revokedBy: string | null };
      const active = JSON.parse(runCli(t.dataDir, ['--json', 'waivers']).stdout) as Listed[];
      assert.deepEqual(
        active.map((w) => [w.id, w.filename, w.advisoryId, w.active]),
        [[2, 'searchor-2.4.1-py3-none-any.whl', 'PYSEC-2023-262', true]],
      );
      const all = JSON.parse(runCli(t.dataDir, ['--json', 'waivers', 'list', '--all']).stdout) as Listed[];
      assert.deepEqual(
        all.map((w) => [w.id, w.active]),
        [
          [1, false],
          [2, true],
        ],
        'the expired waiver #1 shows with --all',
      );
      const human = runCli(t.dataDir, ['waivers']);
      assert.match(human.stdout, /PYSEC-2023-262/);
      assert.match(human.stdout, /accepted risk/);

      const revoked = runCli(t.dataDir, ['waivers', 'revoke', '#2']);
      assert.equal(revoked.status, 0, revoked.stderr);
      assert.match(revoked.stdout, /waiver #2 \(PYSEC-2023-262\) revoked/);
      // What the rescan found is said, not only audited.
      assert.match(revoked.stdout, /1 approved file\(s\) newly vulnerable/);
      assert.match(revoked.stdout, /searchor-2\.4\.1-py3-none-any\.whl.*PYSEC-2023-262/);
      assert.deepEqual(JSON.parse(runCli(t.dataDir, ['--json', 'waivers']).stdout), []);
      const scan = JSON.parse(runCli(t.dataDir, ['--json', 'scan']).stdout) as { filename: string; findings: { blocking: boolean }[] }[];
      assert.equal(scan.find((r) => r.filename === 'searchor-2.4.1-py3-none-any.whl')!.findings[0]!.blocking, true);
      const ev = runCli(t.dataDir, ['evidence', 'searchor==2.4.1']);
      assert.match(ev.stdout, /waiver\.revoke/);
      const missing = runCli(t.dataDir, ['waivers', 'revoke', '99']);
      assert.equal(missing.status, 4);
      assert.match(missing.stderr, /WAIVER_NOT_FOUND|no waiver #99/);
    });
  });
});
