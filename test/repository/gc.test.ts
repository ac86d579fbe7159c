// pyvet gc on a real repository: unreferenced blobs (what a crash between blob and row leaves)
// and stale temporary files go, after a grace period; every blob a file refers to stays; the
// removal is audited; a dry run changes nothing; only an admin may run it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyAudit } from '../../src/audit/verify.js';
import { PyvetError } from '../../src/errors.js';
import { collectGarbage } from '../../src/repository/gc.js';
import { ingestPaths } from '../../src/repository/ingest.js';
import type { Actor } from '../../src/repository/types.js';
import { buildWheel, writeArchive } from '../helpers/archives.js';
import { runCli } from '../helpers/cli.js';
import { makeRepo, type TestRepo } from './support.js';

const admin: Actor = { name: 'cli:test', role: 'admin' };
const DAY = 24 * 3600 * 1000;
/** A clock two days ahead: everything stored so far is past the default 24-hour grace period. */
const later = () => new Date(Date.now() + 2 * DAY);

describe('pyvet gc', () => {
  let t: TestRepo;
  let referenced: string[];
  let orphan: string;
  before(async () => {
    t = await makeRepo();
    const dir = join(t.dataDir, '..', 'in');
    mkdirSync(dir, { recursive: true });
    const w = buildWheel({ name: 'keepme', version: '1.0' });
    writeArchive(dir, w.filename, w.bytes);
    const batch = await ingestPaths(t.repo, [dir], { actor: admin, origin: 'local' });
    const f = batch.added[0]!.file;
    referenced = [f.sha256, f.metadataSha256!];
    // What a kill -9 between the blob commit and the row insert leaves behind.
    orphan = (await t.repo.blobs.putBytes(randomBytes(4096))).sha256;
    mkdirSync(join(t.dataDir, 'tmp', 'upload', 'u-dead'), { recursive: true });
    writeFileSync(join(t.dataDir, 'tmp', 'upload', 'u-dead', 'half.whl'), randomBytes(100));
    mkdirSync(join(t.dataDir, 'tmp', 'mirror', 'ab'), { recursive: true });
    writeFileSync(join(t.dataDir, 'tmp', 'mirror', 'ab', 'abc-x-1.0-py3-none-any.whl.part'), randomBytes(200));
  });
  after(() => t.cleanup());

  it('leaves everything younger than the grace period alone', async () => {
    const r = await collectGarbage(t.repo, admin);
    assert.deepEqual(r.orphanBlobs, []);
    assert.deepEqual(r.tempFiles, []);
    assert.equal(r.tooRecent, 3);
    assert.equal(await t.repo.blobs.has(orphan), true);
  });

  it('a dry run reports the orphan and the temp files and changes nothing', async () => {
    const auditBefore = (await t.repo.catalog.audit.list()).length;
    const r = await collectGarbage(t.repo, admin, { dryRun: true, now: later });
    assert.deepEqual(
      r.orphanBlobs.map((b) => b.sha256),
      [orphan],
    );
    assert.deepEqual(r.tempFiles.map((f) => f.path).sort(), ['mirror/ab/abc-x-1.0-py3-none-any.whl.part', 'upload/u-dead/half.whl']);
    assert.equal(r.bytes, 4096 + 300);
    assert.equal(await t.repo.blobs.has(orphan), true);
    assert.equal(existsSync(join(t.dataDir, 'tmp', 'upload', 'u-dead', 'half.whl')), true);
    assert.equal((await t.repo.catalog.audit.list()).length, auditBefore);
  });

  it('only an admin may collect garbage', async () => {
    await assert.rejects(
      collectGarbage(t.repo, { name: 'ci', role: 'approver' }, { now: later }),
      (e: unknown) => e instanceof PyvetError && e.kind === 'forbidden',
    );
    assert.equal(await t.repo.blobs.has(orphan), true);
  });

  it('removes the orphan and the temp files, keeps every referenced blob, and audits it', async () => {
    const r = await collectGarbage(t.repo, admin, { now: later });
    assert.deepEqual(
      r.orphanBlobs.map((b) => b.sha256),
      [orphan],
    );
    assert.equal(await t.repo.blobs.has(orphan), false);
    for (const sha of referenced) assert.equal(await t.repo.blobs.has(sha), true, sha);
    assert.equal(existsSync(join(t.dataDir, 'tmp', 'upload', 'u-dead')), false, 'the dead upload and its folder are gone');
    assert.equal(existsSync(join(t.dataDir, 'tmp', 'mirror', 'ab', 'abc-x-1.0-py3-none-any.whl.part')), false);
    const entry = (await t.repo.catalog.audit.list()).at(-1)!;
    assert.equal(entry.action, 'repository.gc');
    assert.deepEqual((entry.details as { orphanBlobs: string[] }).orphanBlobs, [orphan]);
    assert.equal((await verifyAudit(t.repo)).ok, true);
    // Nothing left: a second run finds nothing.
    const again = await collectGarbage(t.repo, admin, { now: later });
    assert.equal(again.orphanBlobs.length + again.tempFiles.length, 0);
  });

  it('a blob reused after it became an orphan counts as new again', async () => {
    const bytes = randomBytes(512);
    const { sha256 } = await t.repo.blobs.putBytes(bytes);
    const cutoff = new Date(Date.now() + 1000);
    // Older than the cutoff: it may go…
    assert.equal(await t.repo.blobs.delete(sha256, { storedBefore: new Date(0) }), false, 'not stored before the epoch');
    await new Promise((r) => setTimeout(r, 1100));
    // …but storing the same bytes again (what an ingest of them does) resets its age.
    await t.repo.blobs.putBytes(bytes);
    assert.equal(await t.repo.blobs.delete(sha256, { storedBefore: cutoff }), false);
    assert.equal(await t.repo.blobs.has(sha256), true);
  });

  it('through the CLI: --dry-run --json, and a bad --min-age is a clear error', () => {
    const ok = runCli(t.dataDir, ['--json', 'gc', '--dry-run', '--min-age', '0']);
    assert.equal(ok.status, 0, ok.stderr);
    const report = JSON.parse(ok.stdout) as { dryRun: boolean; orphanBlobs: unknown[] };
    assert.equal(report.dryRun, true);
    assert.ok(Array.isArray(report.orphanBlobs));
    const bad = runCli(t.dataDir, ['gc', '--min-age', 'soon']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /DURATION_INVALID|is not a duration/);
  });
});
