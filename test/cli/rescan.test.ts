// `pyvet rescan` for cron: it exits 1 while an approved, served file is blocked, not only on the
// run that first found it, and says which and why. The real CLI on a real repository.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initRepository } from '../../src/repository/open.js';
import { buildWheel, writeArchive } from '../helpers/archives.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

interface Report {
  newlyVulnerable: { filename: string }[];
  approvedBlocked: { filename: string; reasons: string[] }[];
}

describe('rescan exit status', () => {
  const tmp = tempDir();
  const data = join(tmp.path, 'data');
  const add = (name: string, version: string, license: string) => {
    const w = buildWheel({ name, version, metadataLines: [`License: ${license}`] });
    const r = runCli(data, ['add', writeArchive(tmp.path, w.filename, w.bytes), '--approve', '--reason', 'reviewed']);
    assert.equal(r.status, 0, r.stderr);
  };

  before(async () => {
    await initRepository(data);
    add('mypkg', '1.0', 'MIT');
    add('gplpkg', '1.0', 'GPL-3.0-only');
    const policy = join(tmp.path, 'policy.yaml');
    writeFileSync(policy, 'licenses:\n  deny: [GPL-3.0-only]\n');
    assert.equal(runCli(data, ['policy', 'set', policy]).status, 0);
  });
  after(() => tmp.cleanup());

  test('a file reported newly vulnerable once keeps rescan at exit 1 until it is dealt with', () => {
    const feed = join(tmp.path, 'feed.jsonl');
    const advisory = {
      id: 'GHSA-test-0001',
      modified: '2026-03-01T00:00:00Z',
      aliases: ['CVE-2026-99999'],
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      affected: [{ package: { ecosystem: 'PyPI', name: 'mypkg' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }],
    };
    writeFileSync(feed, `${JSON.stringify(advisory)}\n`);
    const imp = JSON.parse(runCli(data, ['--json', 'advisories', 'import', feed]).stdout) as { rescan: Report };
    assert.deepEqual(imp.rescan.newlyVulnerable.map((c) => c.filename), ['mypkg-1.0-py3-none-any.whl']);

    // Nothing is new now, but both files are still served while blocked.
    const again = runCli(data, ['--json', 'rescan']);
    assert.equal(again.status, 1, again.stderr);
    const report = JSON.parse(again.stdout) as Report;
    assert.deepEqual(report.newlyVulnerable, []);
    const why = Object.fromEntries(report.approvedBlocked.map((b) => [b.filename, b.reasons.join('; ')]));
    assert.deepEqual(Object.keys(why).sort(), ['gplpkg-1.0-py3-none-any.whl', 'mypkg-1.0-py3-none-any.whl']);
    assert.match(why['gplpkg-1.0-py3-none-any.whl']!, /^licenses: /);
    assert.equal(why['mypkg-1.0-py3-none-any.whl'], 'max_cvss: advisory GHSA-test-0001 (CVSS 9.8 critical) ≥ max 7.0');
    assert.equal(report.approvedBlocked.length, 2, JSON.stringify(report.approvedBlocked));
    const human = runCli(data, ['rescan']);
    assert.equal(human.status, 1);
    assert.match(human.stdout, /2 approved file\(s\) still blocked and served/);
    assert.match(human.stdout, /mypkg-1\.0-py3-none-any\.whl.*GHSA-test-0001/);
  });

  test('a blocker overridden by approve --force counts as accepted; a yanked or waived file is not blocked', () => {
    assert.equal(runCli(data, ['reject', 'gplpkg-1.0-py3-none-any.whl', '--reason', 'withdraw']).status, 0);
    const forced = runCli(data, ['approve', 'gplpkg-1.0-py3-none-any.whl', '--reason', 'legal said yes', '--force']);
    assert.equal(forced.status, 0, forced.stderr);
    const r = JSON.parse(runCli(data, ['--json', 'rescan']).stdout) as Report;
    assert.deepEqual(r.approvedBlocked.map((b) => b.filename), ['mypkg-1.0-py3-none-any.whl']);

    assert.equal(runCli(data, ['yank', 'mypkg==1.0', '--reason', 'vulnerable']).status, 0);
    assert.equal(runCli(data, ['rescan']).status, 0);
    assert.equal(runCli(data, ['unyank', 'mypkg==1.0']).status, 0);
    assert.equal(runCli(data, ['rescan']).status, 1);
    assert.equal(runCli(data, ['waive', 'mypkg==1.0', 'CVE-2026-99999', '--reason', 'not reachable']).status, 0);
    const done = runCli(data, ['rescan']);
    assert.equal(done.status, 0, done.stdout);
  });

  test('--help says when it exits 1', () => {
    assert.match(runCli(data, ['rescan', '--help']).stdout.replace(/\s+/g, ' '), /Exit 1 while any approved, unyanked file has an unwaived blocking finding or fails a policy rule/);
  });
});
