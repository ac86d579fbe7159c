// Ingest of real wheels and sdists (built by `python -m build`) through the service and the real
// CLI; hostile archives are refused with their code, store nothing, and the batch goes on; file
// states change with an audit entry and a reason.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PyvetError } from '../../src/errors.js';
import { ingestFile, ingestPaths } from '../../src/repository/ingest.js';
import { openRepository } from '../../src/repository/open.js';
import { approveFiles, rejectFiles, unyankFiles, yankFiles } from '../../src/repository/states.js';
import type { Actor } from '../../src/repository/types.js';
import { buildSdist, buildTarGzBomb, buildWheel, coreMetadata, deflateBomb, writeArchive, zerosCrc32 } from '../helpers/archives.js';
import { tempDir } from '../helpers/paths.js';
import { buildProject, clientAvailable } from '../helpers/python.js';
import { runCli } from '../helpers/cli.js';
import { makeRepo, newFile, type TestRepo } from './support.js';

const admin: Actor = { name: 'cli:test', role: 'admin' };
const skip = clientAvailable('build');

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Every blob under blobs/ (not tmp/), as sha256 → path. */
function blobs(dataDir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (e.name !== 'tmp') walk(join(d, e.name));
      } else out.set(e.name, join(d, e.name));
    }
  };
  walk(join(dataDir, 'blobs'));
  return out;
}

describe('ingest', { skip: skip === true ? false : skip }, () => {
  const work = tempDir('pyvet-ingest-');
  const good = join(work.path, 'good');
  const hostile = join(work.path, 'hostile');
  let alpha1: { wheel: string; sdist: string };
  let alpha2: { wheel: string; sdist: string };
  let beta: { wheel: string; sdist: string };
  let t: TestRepo;

  before(async () => {
    alpha1 = buildProject({ name: 'alphapkg', version: '1.0', dependencies: ['betapkg>=0.1'] }, good);
    alpha2 = buildProject({ name: 'alphapkg', version: '2.0', dependencies: ['betapkg>=0.1'] }, good);
    beta = buildProject({ name: 'betapkg', version: '0.1', requiresPython: '>=3.8' }, join(good, 'nested'));
    await writeHostile(hostile);
    t = await makeRepo();
  });
  after(async () => {
    await t.cleanup();
    work.cleanup();
  });

  it('ingests a real wheel into quarantine with its digests, metadata blob, vetting and audit entry', async () => {
    const serial = await t.repo.catalog.files.serial();
    const r = await ingestFile(t.repo, alpha1.wheel, { actor: admin, origin: 'local' });
    assert.equal(r.created, true);
    const f = r.file;
    assert.deepEqual([f.project, f.version, f.kind, f.state, f.yanked], ['alphapkg', '1.0', 'wheel', 'quarantined', false]);
    assert.equal(f.filename, basename(alpha1.wheel));
    assert.equal(f.sha256, sha256(alpha1.wheel));
    assert.equal(f.size, statSync(alpha1.wheel).size);
    assert.deepEqual(f.tags, ['py3-none-any']);
    assert.equal(f.requiresDist.length, 1);
    assert.match(f.requiresDist[0]!, /^betapkg ?\(?>=0\.1\)?$/, 'as written by this setuptools');
    assert.equal(f.origin, 'local');
    assert.ok(r.decision);
    assert.equal(r.decision.fileId, f.id);
    // The file and its METADATA are both blobs; the metadata blob is the METADATA inside the wheel.
    assert.deepEqual(Buffer.from(await t.repo.blobs.read(f.sha256)), readFileSync(alpha1.wheel));
    const metadata = Buffer.from(await t.repo.blobs.read(f.metadataSha256!)).toString('utf8');
    assert.match(metadata, /^Metadata-Version: /);
    assert.match(metadata, /\nName: alphapkg\n/);
    assert.ok((await t.repo.catalog.files.serial()) > serial);
    const audit = (await t.repo.catalog.audit.list()).filter((e) => e.action === 'file.ingest');
    assert.deepEqual(audit.map((e) => [e.subject, e.actor, e.details.sha256]), [[f.filename, admin.name, f.sha256]]);
  });

  it('treats the same filename with the same bytes as a no-op', async () => {
    const serial = await t.repo.catalog.files.serial();
    const entries = (await t.repo.catalog.audit.list()).length;
    const r = await ingestFile(t.repo, alpha1.wheel, { actor: admin, origin: 'local' });
    assert.equal(r.created, false);
    assert.equal(r.decision, null);
    assert.equal(await t.repo.catalog.files.serial(), serial);
    assert.equal((await t.repo.catalog.audit.list()).length, entries);
  });

  it('refuses the same filename with other bytes (FILE_EXISTS) and changes nothing', async () => {
    const other = join(work.path, 'other', basename(alpha1.wheel));
    mkdirSync(join(work.path, 'other'), { recursive: true });
    copyFileSync(alpha1.wheel, other);
    appendFileSync(other, 'x');
    const before = blobs(t.dataDir).size;
    const serial = await t.repo.catalog.files.serial();
    await assert.rejects(
      ingestFile(t.repo, other, { actor: admin, origin: 'local' }),
      (e: unknown) => e instanceof PyvetError && e.code === 'FILE_EXISTS' && e.kind === 'conflict',
    );
    assert.equal(blobs(t.dataDir).size, before);
    assert.equal(await t.repo.catalog.files.serial(), serial);
    assert.equal((await t.repo.catalog.files.getByFilename(basename(alpha1.wheel)))?.sha256, sha256(alpha1.wheel));
  });

  it('refuses the same distribution under another spelling of its filename, or its version spelled otherwise', async () => {
    const renamed = (w: { filename: string; bytes: Buffer }, filename: string) => ({ filename, bytes: w.bytes });
    const dir = join(work.path, 'spellings');
    mkdirSync(dir, { recursive: true });
    const add = (w: { filename: string; bytes: Buffer }) => ingestFile(t.repo, writeArchive(dir, w.filename, w.bytes), { actor: admin, origin: 'local' });
    await add(buildWheel({ name: 'samefn', version: '1.0' }));
    // Same project, version and tags; other bytes (the module text differs with the version string or name).
    const cases: [{ filename: string; bytes: Buffer }, string, RegExp][] = [
      [buildWheel({ name: 'SameFn', version: '1.0' }), 'FILE_EXISTS', /same distribution as samefn-1\.0-py3-none-any\.whl/],
      [buildWheel({ name: 'samefn', version: '1.0.0' }), 'FILE_EXISTS', /same distribution as samefn-1\.0-py3-none-any\.whl/],
      // Another wheel (other tags) is another distribution, but 1.0.0 is still release 1.0.
      [buildWheel({ name: 'samefn', version: '1.0.0', tag: 'py2-none-any' }), 'VERSION_CONFLICT', /release 1\.0 under PEP 440/],
      // The metadata says 1.0, the filename spells it otherwise.
      [renamed(buildWheel({ name: 'samefn', version: '1.0', tag: 'py35-none-any' }), 'samefn-1.0.0-py35-none-any.whl'), 'VERSION_CONFLICT', /version 1\.0\.0 is the same/],
      [renamed(buildWheel({ name: 'samefn', version: '1.0', tag: 'py36-none-any' }), 'samefn-v1.0-py36-none-any.whl'), 'VERSION_CONFLICT', /version v1\.0 is the same/],
    ];
    const serial = await t.repo.catalog.files.serial();
    for (const [w, code, message] of cases) {
      await assert.rejects(add(w), (e: unknown) => e instanceof PyvetError && e.code === code && e.kind === 'conflict' && message.test(e.message), w.filename);
    }
    await add(await buildSdist({ name: 'samefn', version: '1.0' }));
    await assert.rejects(add(await buildSdist({ name: 'samefn', version: '1.0', format: 'zip' })), (e: unknown) => e instanceof PyvetError && e.code === 'FILE_EXISTS');
    // What is another distribution goes in: other tags, spelled as the release is.
    await add(buildWheel({ name: 'samefn', version: '1.0', tag: 'py2-none-any' }));
    assert.deepEqual((await t.repo.catalog.files.list({ project: 'samefn' })).map((f) => f.filename).sort(), [
      'samefn-1.0-py2-none-any.whl',
      'samefn-1.0-py3-none-any.whl',
      'samefn-1.0.tar.gz',
    ]);
    assert.ok((await t.repo.catalog.files.serial()) > serial);
    // The very bytes stored, under another spelling of the name: already present, not a conflict.
    const stored = (await t.repo.catalog.files.getByFilename('samefn-1.0-py3-none-any.whl'))!;
    const bytes = readFileSync(t.repo.blobs.localPath(stored.sha256)!);
    const before = await t.repo.catalog.files.serial();
    const again = await add({ filename: 'SameFn-1.0-py3-none-any.whl', bytes });
    assert.deepEqual([again.created, again.file.filename, again.decision], [false, 'samefn-1.0-py3-none-any.whl', null]);
    assert.equal(await t.repo.catalog.files.serial(), before, 'nothing changed');
  });

  it('refuses a promised digest that does not match, storing nothing', async () => {
    const before = blobs(t.dataDir).size;
    await assert.rejects(
      ingestFile(t.repo, alpha1.sdist, { actor: admin, origin: 'upload:ci', expectedSha256: '0'.repeat(64) }),
      (e: unknown) => e instanceof PyvetError && e.kind === 'integrity',
    );
    assert.equal(blobs(t.dataDir).size, before);
    assert.equal(await t.repo.catalog.files.getByFilename(basename(alpha1.sdist)), undefined);
  });

  it('lets a publisher add but not approve; --approve needs an approver and a reason', async () => {
    const publisher: Actor = { name: 'ci', role: 'publisher' };
    const reader: Actor = { name: 'r', role: 'reader' };
    const forbidden = (e: unknown) => e instanceof PyvetError && e.code === 'FORBIDDEN';
    await assert.rejects(ingestFile(t.repo, alpha1.sdist, { actor: reader, origin: 'local' }), forbidden);
    await assert.rejects(ingestFile(t.repo, alpha1.sdist, { actor: publisher, origin: 'local', approve: true, reason: 'x' }), forbidden);
    await assert.rejects(
      ingestFile(t.repo, alpha1.sdist, { actor: admin, origin: 'local', approve: true }),
      (e: unknown) => (e as PyvetError).code === 'REASON_REQUIRED',
    );
    assert.equal(await t.repo.catalog.files.getByFilename(basename(alpha1.sdist)), undefined);
    const r = await ingestFile(t.repo, alpha1.sdist, { actor: publisher, origin: 'upload:ci' });
    assert.deepEqual([r.file.kind, r.file.state, r.file.origin], ['sdist', 'quarantined', 'upload:ci']);
    const approved = await ingestFile(t.repo, alpha2.wheel, { actor: admin, origin: 'local', approve: true, reason: 'built in-house' });
    assert.deepEqual([approved.file.state, approved.file.stateReason], ['approved', 'built in-house']);
    // The same bytes added again with --approve: no new file, but what waited is approved.
    const again = await ingestFile(t.repo, alpha1.sdist, { actor: admin, origin: 'local', approve: true, reason: 'second look' });
    assert.deepEqual([again.created, again.file.id, again.file.state], [false, r.file.id, 'approved']);

  });

  it('approves, rejects, yanks and unyanks by filename, NAME and NAME==VERSION, with reasons and audit entries', async () => {
    const reason = (e: unknown) => e instanceof PyvetError && e.code === 'REASON_REQUIRED' && e.kind === 'invalid';
    await assert.rejects(approveFiles(t.repo, 'alphapkg==1.0', admin, '  '), reason);
    await assert.rejects(rejectFiles(t.repo, 'alphapkg==1.0', admin, ''), reason);
    await assert.rejects(yankFiles(t.repo, 'alphapkg==1.0', admin, ''), reason);
    await assert.rejects(approveFiles(t.repo, 'nosuch==1', admin, 'x'), (e: unknown) => (e as PyvetError).code === 'FILE_NOT_FOUND');
    await assert.rejects(approveFiles(t.repo, 'not a selector!', admin, 'x'), (e: unknown) => (e as PyvetError).code === 'SELECTOR_INVALID');

    const a = await approveFiles(t.repo, 'AlphaPkg==1.0.0', admin, 'reviewed');
    assert.deepEqual(a.changed.map((f) => f.filename), [basename(alpha1.wheel)]);
    assert.deepEqual(a.unchanged.map((f) => f.filename), [basename(alpha1.sdist)], 'approved on the second add');
    assert.ok(a.changed.every((f) => f.state === 'approved' && f.stateChangedBy === admin.name && f.stateReason === 'reviewed'));
    const again = await approveFiles(t.repo, 'alphapkg', admin, 'again');
    assert.deepEqual([again.changed.length, again.unchanged.length], [0, 3]);

    const y = await yankFiles(t.repo, basename(alpha2.wheel), admin, 'broken on 3.13');
    assert.deepEqual(y.changed.map((f) => [f.yanked, f.yankedReason]), [[true, 'broken on 3.13']]);
    const u = await unyankFiles(t.repo, basename(alpha2.wheel), admin);
    assert.deepEqual(u.changed.map((f) => [f.yanked, f.yankedReason]), [[false, null]]);
    const rj = await rejectFiles(t.repo, basename(alpha1.sdist), admin, 'sdists not allowed');
    assert.equal(rj.changed[0]?.state, 'rejected');

    const actions = (await t.repo.catalog.audit.list()).map((e) => `${e.action} ${e.subject}`);
    for (const want of [
      `file.approve ${basename(alpha1.wheel)}`,
      `file.yank ${basename(alpha2.wheel)}`,
      `file.unyank ${basename(alpha2.wheel)}`,
      `file.reject ${basename(alpha1.sdist)}`,
    ]) {
      assert.ok(actions.includes(want), want);
    }
  });

  it('pyvet add: a folder of good and hostile files; each hostile one refused with its code, nothing of it stored, the rest added', async () => {
    const cases: Record<string, string> = {
      [join(hostile, 'lies')]: 'WHEEL_RECORD_MISMATCH',
      [join(hostile, 'traversal')]: 'ARCHIVE_PATH_UNSAFE',
      [join(hostile, 'bomb')]: 'ARCHIVE_ZIP_BOMB',
      [join(hostile, 'truncated')]: 'ARCHIVE_CORRUPT',
      [join(hostile, 'notzip')]: 'ARCHIVE_CORRUPT',
      [join(hostile, 'latin1')]: 'METADATA_NOT_UTF8',
      [join(hostile, 'symlink')]: 'ARCHIVE_LINK',
      [join(hostile, 'evilpkg-9.9.9-py3-none-any.whl')]: 'WHEEL_NO_DIST_INFO',
      [join(hostile, 'mismatch')]: 'METADATA_MISMATCH',
      [join(hostile, 'absolute')]: 'ARCHIVE_PATH_UNSAFE',
      [join(hostile, 'hugemeta')]: 'METADATA_TOO_LARGE',
      [join(hostile, 'targzbomb')]: 'ARCHIVE_ZIP_BOMB',
    };
    const hostileDigests = Object.keys(cases).flatMap((p) =>
      statSync(p).isDirectory() ? readdirSync(p).map((f) => sha256(join(p, f))) : [sha256(p)],
    );
    const blobsBefore = blobs(t.dataDir);
    const r = runCli(t.dataDir, ['--json', 'add', good, ...Object.keys(cases)]);
    assert.notEqual(r.status, 0, 'a batch with refused files does not exit 0');
    const out = JSON.parse(r.stdout) as {
      added: { file: { filename: string } }[];
      present: { file: { filename: string } }[];
      failed: { path: string; code: string }[];
    };
    for (const [path, code] of Object.entries(cases)) {
      const failed = out.failed.filter((f) => f.path.startsWith(path));
      assert.ok(failed.length > 0, `${path} was refused`);
      for (const f of failed) assert.equal(f.code, code, `${f.path}: ${JSON.stringify(f)}`);
    }
    assert.equal(out.failed.length, Object.keys(cases).length);
    assert.deepEqual(out.added.map((a) => a.file.filename).sort(), [basename(alpha2.sdist), basename(beta.wheel), basename(beta.sdist)].sort());
    assert.equal(out.present.length, 3);

    const repo = await openRepository({ dataDir: t.dataDir });
    try {
      assert.equal((await repo.catalog.files.list({ project: 'evilpkg' })).length, 0);
      assert.equal(await repo.catalog.files.getProject('evilpkg'), undefined);
    } finally {
      await repo.close();
    }
    const blobsAfter = blobs(t.dataDir);
    for (const d of hostileDigests) assert.equal(blobsAfter.has(d), false, `no blob for hostile ${d}`);
    // Exactly the three new files and their three metadata files were stored.
    assert.equal(blobsAfter.size - blobsBefore.size, 6);
  });

  it('pyvet add for people: a summary line and refusals with codes on stderr', () => {
    const r = runCli(t.dataDir, ['add', good, join(hostile, 'lies')]);
    assert.equal(r.status, 1, 'a partial result, whatever the refusal');
    assert.match(r.stdout, /0 added, 6 already present, 1 refused \(WHEEL_RECORD_MISMATCH 1\); 7 files, /);
    assert.match(r.stderr, /refused .*\[WHEEL_RECORD_MISMATCH\]/);
  });

  it('pyvet files and pyvet approve through the CLI', () => {
    const listed = runCli(t.dataDir, ['--json', 'files', '--state', 'quarantined,rejected', 'BetaPkg']);
    assert.equal(listed.status, 0, listed.stderr);
    const files = JSON.parse(listed.stdout) as { filename: string; state: string }[];
    assert.deepEqual(files.map((f) => f.filename).sort(), [basename(beta.sdist), basename(beta.wheel)].sort());
    const noReason = runCli(t.dataDir, ['approve', 'betapkg']);
    assert.equal(noReason.status, 2);
    const approved = runCli(t.dataDir, ['--json', 'approve', 'all', 'waiting', '--reason', 'bulk review']);
    assert.equal(approved.status, 0, approved.stderr);
    const result = JSON.parse(approved.stdout) as { changed: { state: string }[] };
    assert.ok(result.changed.length >= 3);
    const table = runCli(t.dataDir, ['files', 'betapkg']);
    assert.match(table.stdout, /betapkg-0\.1-py3-none-any\.whl/);
    assert.match(table.stdout, /approved/);
    const missing = runCli(t.dataDir, ['files', '--state', 'lost']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /STATE_INVALID/);
  });

  it('consume: a temp file in the data dir becomes the blob itself; a refused one is left to its owner', async () => {
    const dir = join(t.dataDir, 'tmp', 'ingest-test');
    mkdirSync(dir, { recursive: true });
    const w = buildWheel({ name: 'consumed', version: '1.0' });
    const tmpFile = join(dir, 'download.part');
    writeFileSync(tmpFile, w.bytes);
    const ino = statSync(tmpFile).ino;
    const r = await ingestFile(t.repo, tmpFile, { actor: admin, origin: 'upstream:test', filename: w.filename, consume: true });
    assert.equal(r.created, true);
    assert.equal(statSync(t.repo.blobs.localPath(r.file.sha256)!).ino, ino, 'adopted by rename, not copied');
    assert.deepEqual(Buffer.from(await t.repo.blobs.read(r.file.sha256)), w.bytes);
    assert.deepEqual(readdirSync(dir), []);
    assert.deepEqual(readdirSync(join(t.dataDir, 'blobs', 'tmp')), []);

    writeFileSync(tmpFile, w.bytes);
    await assert.rejects(
      ingestFile(t.repo, tmpFile, { actor: admin, origin: 'upstream:test', filename: basename(alpha1.wheel), consume: true }),
      (e: unknown) => e instanceof PyvetError && e.code === 'FILE_EXISTS',
    );
    assert.deepEqual(readdirSync(dir), ['download.part']);
  });

  it('a file an interrupted ingest left without a decision gets one at the next batch', async () => {
    // The window a kill -9 can hit: the row is committed, vetting has not run.
    const stranded = await t.repo.catalog.files.insert(newFile({ project: 'stranded', version: '2.0' }));
    assert.equal(await t.repo.catalog.vetting.getResult(stranded.id), undefined);
    const dir = join(t.dataDir, '..', 'next-batch');
    mkdirSync(dir, { recursive: true });
    const w = buildWheel({ name: 'nextbatch', version: '1.0' });
    writeArchive(dir, w.filename, w.bytes);
    const batch = await ingestPaths(t.repo, [dir], { actor: admin, origin: 'local' });
    assert.equal(batch.added.length, 1);
    const decided = await t.repo.catalog.vetting.getResult(stranded.id);
    assert.ok(decided, 'the stranded file was vetted');
    const audit = await t.repo.catalog.audit.list();
    assert.ok(audit.some((e) => e.action === 'file.vet' && e.subject === stranded.filename));
  });
});

/**
 * One hostile archive per folder (test/helpers/archives.ts), all of project 'evilpkg', which
 * never gets in: the same filename in several folders never meets a stored one.
 */
async function writeHostile(dir: string): Promise<void> {
  const at = (sub: string) => {
    mkdirSync(join(dir, sub), { recursive: true });
    return join(dir, sub);
  };
  const spec = { name: 'evilpkg', version: '1.0' };
  const valid = buildWheel(spec);
  // RECORD lies about a member's hash.
  const lies = buildWheel({
    ...spec,
    record: (rows) => rows.map((r) => (r[0]!.endsWith('__init__.py') ? [r[0]!, `sha256=${'A'.repeat(43)}`, r[2]!] : r)),
  });
  writeArchive(at('lies'), lies.filename, lies.bytes);
  const traversal = buildWheel({ ...spec, extraEntries: [{ name: '../evil.py', data: 'print(1)\n' }] });
  writeArchive(at('traversal'), traversal.filename, traversal.bytes);
  // A member honestly declared as 64 MiB of zeros in about 64 KiB: ratio ~1000 > 200.
  const zeros = 64 * 1024 * 1024;
  const bomb = buildWheel({
    ...spec,
    extraEntries: [
      { name: 'evilpkg/zeros.bin', compressed: deflateBomb(zeros), size: zeros, crc32: zerosCrc32(zeros) },
    ],
  });
  writeArchive(at('bomb'), bomb.filename, bomb.bytes);
  writeArchive(at('truncated'), valid.filename, valid.bytes.subarray(0, valid.bytes.length >> 1));
  writeArchive(at('notzip'), valid.filename, Buffer.from('this is not a zip file\n'.repeat(10)));
  // The valid wheel under another version's filename.
  writeFileSync(join(dir, 'evilpkg-9.9.9-py3-none-any.whl'), valid.bytes);
  const latin1 = buildWheel({ ...spec, metadata: Buffer.from(coreMetadata('evilpkg', '1.0', ['Summary: caf\xe9']), 'latin1') });
  writeArchive(at('latin1'), latin1.filename, latin1.bytes);
  const mismatch = buildWheel({ ...spec, metadata: coreMetadata('otherpkg', '1.0') });
  writeArchive(at('mismatch'), mismatch.filename, mismatch.bytes);
  const absolute = buildWheel({ ...spec, extraEntries: [{ name: '/etc/cron.d/evil', data: 'x' }] });
  writeArchive(at('absolute'), absolute.filename, absolute.bytes);
  // Incompressible, so that it is the size and not the ratio that is refused.
  const huge = buildWheel({ ...spec, metadataLines: [`Description: ${randomBytes(4 * 1024 * 1024).toString('base64')}`] });
  writeArchive(at('hugemeta'), huge.filename, huge.bytes);
  writeArchive(at('targzbomb'), 'evilpkg-1.0.tar.gz', buildTarGzBomb('evilpkg-1.0/zeros', 1024 ** 3));
  const link = await buildSdist({ ...spec, extraEntries: [{ name: 'evilpkg-1.0/passwd', type: 'symlink', linkname: '/etc/passwd' }] });
  writeArchive(at('symlink'), link.filename, link.bytes);
}
