// Verdicts that change with time alone, on a real repository with the bundled PyPA advisories
// (searchor 2.4.1: PYSEC-2023-262, CVSS 9.8): a waiver that expires blocks its file again, a file
// held by min_release_age_days is approved once old enough, each exactly once, by the vetting
// clock (an injected time); a policy change that refuses an approved file is reported; and
// `pyvet rescan` through the real CLI.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ingestFile } from '../../src/repository/ingest.js';
import { grantWaiver, rescanAll, rescanIfDue, type RescanReport, setPolicy, startVettingClock } from '../../src/vetting/index.js';
import { buildWheel, writeArchive } from '../helpers/archives.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { makeRepo, type TestRepo } from '../repository/support.js';

const admin = { name: 'cli:alice', role: 'admin' as const };
const DAY = 86_400_000;
// Now: ingest vets by the real clock, and the held file's age counts from its upload time.
const T0 = new Date();
const at = (days: number) => () => new Date(T0.getTime() + days * DAY);

describe('the vetting clock', () => {
  let t: TestRepo;
  const tmp = tempDir('pyvet-clock-');
  const policy = join(tmp.path, 'policy.yaml');

  before(async () => {
    t = await makeRepo();
    writeFileSync(policy, 'max_cvss: 7.0\nauto_approve: true\non_newly_vulnerable: yank\nmin_release_age_days: 7\n');
    await setPolicy(t.repo, policy, admin, { now: () => T0 });
    const vulnerable = buildWheel({ name: 'searchor', version: '2.4.1' });
    const r = await ingestFile(t.repo, writeArchive(tmp.path, vulnerable.filename, vulnerable.bytes), { actor: admin, origin: 'local' });
    assert.equal(r.file.state, 'quarantined');
    const g = await grantWaiver(t.repo, { selector: 'searchor==2.4.1', advisory: 'PYSEC-2023-262', reason: 'not reachable', expires: '7d' }, admin, {
      now: () => T0,
    });
    assert.deepEqual(g.rescan.approved, ['searchor-2.4.1-py3-none-any.whl']);
    // Uploaded upstream a day before T0: held until T0 + 6 days.
    const young = buildWheel({ name: 'agedpkg', version: '1.0' });
    const y = await ingestFile(t.repo, writeArchive(tmp.path, young.filename, young.bytes), {
      actor: admin,
      origin: 'upstream:test',
      upstreamUploadedAt: new Date(T0.getTime() - DAY).toISOString(),
    });
    assert.equal(y.file.state, 'quarantined');
    assert.match(y.decision!.reasons.join(), /min_release_age_days/);
  });
  after(async () => {
    await t.cleanup();
    tmp.cleanup();
  });

  const state = async (filename: string) => (await t.repo.catalog.files.getByFilename(filename))!;

  test('nothing due, nothing rescanned; a held file that comes of age is approved, once', async () => {
    assert.equal(await rescanIfDue(t.repo, { now: at(3) }), undefined);
    const r = await rescanIfDue(t.repo, { now: at(6.5) });
    assert.ok(r);
    assert.deepEqual(r.due, ['agedpkg-1.0-py3-none-any.whl is 7 days old']);
    assert.deepEqual(r.report.approved, ['agedpkg-1.0-py3-none-any.whl']);
    assert.equal((await state('agedpkg-1.0-py3-none-any.whl')).state, 'approved');
    assert.equal(await rescanIfDue(t.repo, { now: at(6.6) }), undefined, 'what was due is done');
  });

  test('the running clock blocks again what an expired waiver let through, once', async () => {
    const reports: { report: RescanReport; due: string[] }[] = [];
    const clock = startVettingClock(t.repo, { intervalMs: 20, now: at(8), onRescan: (report, due) => reports.push({ report, due }) });
    try {
      for (let i = 0; i < 200 && reports.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 150));
    } finally {
      await clock.stop();
    }
    assert.equal(reports.length, 1, 'one rescan for one expiry, however many ticks');
    assert.match(reports[0]!.due[0]!, /^waiver \d+ \(PYSEC-2023-262\) expires$/);
    assert.deepEqual(
      reports[0]!.report.newlyVulnerable.map((c) => [c.filename, c.advisories]),
      [['searchor-2.4.1-py3-none-any.whl', ['PYSEC-2023-262']]],
    );
    assert.deepEqual(reports[0]!.report.yanked, ['searchor-2.4.1-py3-none-any.whl']);
    assert.equal((await state('searchor-2.4.1-py3-none-any.whl')).yanked, true);
  });

  test('a policy change that refuses an approved file is reported and audited, once; `pyvet rescan` exits 1 for it', async () => {
    writeFileSync(policy, 'max_cvss: 7.0\nauto_approve: true\nmin_release_age_days: 7\ndeny: [agedpkg]\n');
    await setPolicy(t.repo, policy, admin, { now: at(9) });
    const cli = runCli(t.dataDir, ['--json', 'rescan']);
    assert.equal(cli.status, 1, cli.stderr);
    const r = JSON.parse(cli.stdout) as RescanReport;
    assert.deepEqual(
      r.newlyBlocked.map((c) => [c.filename, c.gates, c.reasons]),
      [['agedpkg-1.0-py3-none-any.whl', ['deny'], ["deny: agedpkg 1.0 matches 'agedpkg'"]]],
    );
    const entries = (await t.repo.catalog.audit.list()).filter((e) => e.action === 'file.newly_blocked');
    assert.deepEqual(entries.map((e) => e.subject), ['agedpkg-1.0-py3-none-any.whl']);
    // Still served: withdrawing it is the operator's decision.
    assert.equal((await state('agedpkg-1.0-py3-none-any.whl')).state, 'approved');
    const again = await rescanAll(t.repo, admin, { now: at(9) });
    assert.deepEqual(again.newlyBlocked, []);
    assert.deepEqual(again.approvedBlocked.map((b) => [b.filename, b.reasons]), [['agedpkg-1.0-py3-none-any.whl', ["deny: agedpkg 1.0 matches 'agedpkg'"]]]);
    // Not new, but still served while refused: cron keeps seeing exit 1.
    const plain = runCli(t.dataDir, ['rescan']);
    assert.equal(plain.status, 1, plain.stderr);
    assert.match(plain.stdout, /^rescanned 2 files$/m);
    assert.match(plain.stdout, /1 approved file\(s\) still blocked and served/);
  });
});
