// One active waiver per finding: a second one by another id or alias of the same vulnerability
// is refused (it would outlive the revocation of the first), and a revoke that leaves another
// waiver covering the finding says so. The real CLI on a real repository.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initRepository, openRepository } from '../../src/repository/open.js';
import { buildWheel, writeArchive } from '../helpers/archives.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

const CRITICAL = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const record = (id: string, aliases: string[]) => ({
  id,
  modified: '2026-03-01T00:00:00Z',
  aliases,
  summary: 'code execution in mypkg',
  severity: [{ type: 'CVSS_V3', score: CRITICAL }],
  affected: [{ package: { ecosystem: 'PyPI', name: 'mypkg' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0' }] }] }],
});

describe('waivers through the CLI', () => {
  const tmp = tempDir();
  const data = join(tmp.path, 'data');
  const FILE = 'mypkg-1.0-py3-none-any.whl';

  before(async () => {
    await initRepository(data);
    const w = buildWheel({ name: 'mypkg', version: '1.0', metadataLines: ['License: MIT'] });
    assert.equal(runCli(data, ['add', writeArchive(tmp.path, w.filename, w.bytes)]).status, 0);
    // Two databases' records of one vulnerability, linked by their CVE.
    const feed = join(tmp.path, 'feed.jsonl');
    writeFileSync(feed, `${JSON.stringify(record('GHSA-test-0001', ['CVE-2026-99999']))}\n${JSON.stringify(record('PYSEC-TEST-1', ['CVE-2026-99999']))}\n`);
    const imp = runCli(data, ['advisories', 'import', feed]);
    assert.equal(imp.status, 0, imp.stderr);
  });
  after(() => tmp.cleanup());

  test('waive prints the filename, not the file id', () => {
    const r = runCli(data, ['waive', 'mypkg==1.0', 'GHSA-test-0001', '--reason', 'a', '--expires', '30d']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^waiver #1: GHSA-test-0001 on mypkg-1\.0-py3-none-any\.whl until \d{4}-/m);
  });

  test('a second waiver for the same finding, by id, alias or another record, is WAIVER_EXISTS naming the first', () => {
    for (const id of ['GHSA-test-0001', 'CVE-2026-99999', 'PYSEC-TEST-1']) {
      const r = runCli(data, ['--json', 'waive', 'mypkg==1.0', id, '--reason', 'b', '--expires', '60d']);
      assert.equal(r.status, 5, `${id}: ${r.stdout}${r.stderr}`);
      const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string; details: { waiver: number; expiresAt: string } } };
      assert.equal(error.code, 'WAIVER_EXISTS');
      assert.equal(error.details.waiver, 1);
      assert.match(error.message, /waiver #1 \(GHSA-test-0001, by .*\) already lets .* through on mypkg-1\.0-py3-none-any\.whl until \d{4}-/);
      assert.match(error.message, /revoke it \(pyvet waivers revoke 1\) and grant again/);
    }
    const list = JSON.parse(runCli(data, ['--json', 'waivers']).stdout) as unknown[];
    assert.equal(list.length, 1);
  });

  test('revoking one of two waivers of a finding (left by an earlier version) says the other still applies', async () => {
    const repo = await openRepository({ dataDir: data, logLevel: 'warn' });
    try {
      const file = (await repo.catalog.files.getByFilename(FILE))!;
      const at = new Date().toISOString();
      const expiresAt = new Date(Date.now() + 10 * 86_400_000).toISOString();
      await repo.catalog.vetting.addWaiver({ fileId: file.id, advisoryId: 'PYSEC-TEST-1', reason: 'dup', expiresAt, grantedBy: 'old', grantedAt: at });
    } finally {
      await repo.close();
    }
    const r = runCli(data, ['waivers', 'revoke', '1']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /waiver #1 \(GHSA-test-0001\) revoked/);
    assert.match(r.stdout, /the finding is still waived on mypkg-1\.0-py3-none-any\.whl by waiver #2 \(PYSEC-TEST-1\) until .*: revoke it too/);
    const json = JSON.parse(runCli(data, ['--json', 'waivers', 'revoke', '2']).stdout) as { stillWaivedBy: unknown[] };
    assert.deepEqual(json.stillWaivedBy, []);
    // Now nothing waives it: a new waiver is allowed again.
    assert.equal(runCli(data, ['waive', FILE, 'CVE-2026-99999', '--reason', 'c']).status, 0);
  });
});
