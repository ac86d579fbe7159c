// Approval by hand respects the vetting policy: a file with an unwaived blocking finding is
// approved only with --force, and the audit entry records what was overridden.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PyvetError } from '../../src/errors.js';
import { approveFiles, initRepository, ingestFile, openRepository } from '../../src/repository/index.js';
import type { Repository } from '../../src/repository/types.js';
import { buildWheel, writeArchive } from '../helpers/archives.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { setPolicy } from '../../src/vetting/policy.js';

const ADMIN = { name: 'cli:test', role: 'admin' as const };
const tmp = tempDir();
let repo: Repository;
const data = join(tmp.path, 'data');

before(async () => {
  await initRepository(data);
  repo = await openRepository({ dataDir: data, logLevel: 'warn' });
  // searchor 2.4.1: PYSEC-2023-262 (CVSS 9.8) in the bundled PyPA snapshot.
  const bad = buildWheel({ name: 'searchor', version: '2.4.1' });
  const good = buildWheel({ name: 'searchor', version: '2.4.2' });
  for (const w of [bad, good]) {
    await ingestFile(repo, writeArchive(tmp.path, w.filename, w.bytes), { actor: ADMIN, origin: 'local' });
  }
});
after(async () => {
  await repo.close();
  tmp.cleanup();
});

test('a blocked file is refused, the rest of the repository unchanged', async () => {
  await assert.rejects(
    approveFiles(repo, 'searchor==2.4.1', ADMIN, 'looks fine'),
    (e: unknown) => e instanceof PyvetError && e.code === 'APPROVAL_BLOCKED' && /PYSEC-2023-262/.test(e.message),
  );
  assert.equal((await repo.catalog.files.getByFilename('searchor-2.4.1-py3-none-any.whl'))?.state, 'quarantined');
  const ok = await approveFiles(repo, 'searchor==2.4.2', ADMIN, 'clean');
  assert.equal(ok.changed.length, 1);
});

test('the CLI says why and exits with the policy code; --force approves and the audit log keeps the override', async () => {
  await repo.close();
  const refused = runCli(data, ['approve', 'searchor==2.4.1', '--reason', 'urgent']);
  assert.equal(refused.status, 7, refused.stderr);
  assert.match(refused.stderr, /APPROVAL_BLOCKED/);
  const forced = runCli(data, ['approve', 'searchor==2.4.1', '--reason', 'accepted risk, ticket 42', '--force']);
  assert.equal(forced.status, 0, forced.stderr);
  repo = await openRepository({ dataDir: data, logLevel: 'warn' });
  assert.equal((await repo.catalog.files.getByFilename('searchor-2.4.1-py3-none-any.whl'))?.state, 'approved');
  const entry = (await repo.catalog.audit.list()).reverse().find((e) => e.action === 'file.approve');
  assert.equal(entry?.subject, 'searchor-2.4.1-py3-none-any.whl');
  assert.match(JSON.stringify(entry?.details.overriddenBlockers), /PYSEC-2023-262/);
});

test('a licence on the deny list blocks too; a hold that asks only for a look (auto_approve off) does not', async () => {
  const policy = join(tmp.path, 'deny-gpl.yaml');
  writeFileSync(policy, 'licenses:\n  deny: [GPL-3.0-only]\n');
  await setPolicy(repo, policy, ADMIN);
  const gpl = buildWheel({ name: 'gplthing', version: '1.0', metadataLines: ['License: GPL-3.0-only'] });
  const mit = buildWheel({ name: 'mitthing', version: '1.0', metadataLines: ['License: MIT'] });
  for (const w of [gpl, mit]) await ingestFile(repo, writeArchive(tmp.path, w.filename, w.bytes), { actor: ADMIN, origin: 'local' });
  await assert.rejects(
    approveFiles(repo, 'gplthing==1.0', ADMIN, 'looks fine'),
    (e: unknown) => e instanceof PyvetError && e.code === 'APPROVAL_BLOCKED' && /licenses:/.test(e.message),
  );
  assert.equal((await approveFiles(repo, 'mitthing==1.0', ADMIN, 'reviewed')).changed.length, 1);
  assert.equal((await approveFiles(repo, 'gplthing==1.0', ADMIN, 'legal said yes', { force: true })).changed.length, 1);
});

test("a broad selector approves what it can and leaves blocked files waiting, each with why; the CLI exits 1", async () => {
  // Both fresh: searchor 2.4.0 (PYSEC-2023-262 again) and a clean project, waiting together.
  for (const w of [buildWheel({ name: 'searchor', version: '2.4.0' }), buildWheel({ name: 'cleanone', version: '1.0' })]) {
    await ingestFile(repo, writeArchive(tmp.path, w.filename, w.bytes), { actor: ADMIN, origin: 'local' });
  }
  await repo.close();
  const r = runCli(data, ['--json', 'approve', 'all', 'waiting', '--reason', 'weekly review']);
  assert.equal(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { changed: { filename: string }[]; skipped: { file: { filename: string }; reason: string; blockers?: string[] }[] };
  assert.deepEqual(out.changed.map((f) => f.filename), ['cleanone-1.0-py3-none-any.whl']);
  const skipped = out.skipped.find((s) => s.file.filename === 'searchor-2.4.0-py3-none-any.whl');
  assert.match(skipped?.reason ?? '', /blocked by the vetting policy \(max_cvss: advisory PYSEC-2023-262.*\): approve it by its filename/);
  assert.ok(skipped?.blockers?.length);
  // By its filename, a blocked file is still refused outright.
  const exact = runCli(data, ['approve', 'searchor-2.4.0-py3-none-any.whl', '--reason', 'x']);
  assert.equal(exact.status, 7);
  assert.match(exact.stderr, /APPROVAL_BLOCKED/);
  repo = await openRepository({ dataDir: data, logLevel: 'warn' });
  assert.equal((await repo.catalog.files.getByFilename('searchor-2.4.0-py3-none-any.whl'))?.state, 'quarantined');
});
