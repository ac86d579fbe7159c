// The filesystem blob store on a real directory: layout, digest verification, idempotence,
// stale temp clean-up, ranges, adopting a caller's temp file by rename.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { after, describe, it } from 'node:test';
import { FsBlobStore } from '../../src/blobs/fs.js';
import { PyvetError } from '../../src/errors.js';
import { tempDir } from '../helpers/paths.js';

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

describe('FsBlobStore', () => {
  const tmp = tempDir('pyvet-blobs-');
  const root = join(tmp.path, 'blobs');
  const store = new FsBlobStore(root);
  after(() => tmp.cleanup());

  it('stores a file under ab/cd/<sha256> and reads it back', async () => {
    const src = join(tmp.path, 'a.bin');
    writeFileSync(src, 'hello blobs');
    const digest = sha('hello blobs');
    const info = await store.putFile(src, digest);
    assert.deepEqual(info, { sha256: digest, size: 11 });
    const p = join(root, digest.slice(0, 2), digest.slice(2, 4), digest);
    assert.equal(store.localPath(digest), p);
    assert.equal(readFileSync(p, 'utf8'), 'hello blobs');
    assert.equal(Buffer.from(await store.read(digest)).toString(), 'hello blobs');
    assert.equal(await store.has(digest), true);
    assert.deepEqual(await store.stat(digest), info);
    assert.equal(await text(store.createReadStream(digest, { start: 6, end: 10 })), 'blobs');
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  });

  it('refuses bytes that do not hash to the promised digest and leaves nothing behind', async () => {
    const src = join(tmp.path, 'b.bin');
    writeFileSync(src, 'other bytes');
    const lie = sha('promised bytes');
    await assert.rejects(
      store.putFile(src, lie),
      (e: unknown) => e instanceof PyvetError && e.code === 'BLOB_DIGEST_MISMATCH' && e.kind === 'integrity',
    );
    assert.equal(await store.has(lie), false);
    assert.equal(await store.has(sha('other bytes')), false);
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  });

  it('move: adopts a plain temp file by rename (same inode), leaving no temp behind', async () => {
    const src = join(tmp.path, 'm1.bin');
    writeFileSync(src, 'adopted bytes');
    const ino = statSync(src).ino;
    const digest = sha('adopted bytes');
    assert.deepEqual(await store.putFile(src, digest, { move: true }), { sha256: digest, size: 13 });
    assert.equal(existsSync(src), false);
    assert.equal(statSync(store.path(digest)).ino, ino);
    assert.equal(readFileSync(store.path(digest), 'utf8'), 'adopted bytes');
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  });

  it('move: still refuses bytes that do not hash to the promised digest, storing nothing', async () => {
    const src = join(tmp.path, 'm2.bin');
    writeFileSync(src, 'moved other bytes');
    const lie = sha('moved promised bytes');
    await assert.rejects(store.putFile(src, lie, { move: true }), (e: unknown) => (e as PyvetError).code === 'BLOB_DIGEST_MISMATCH');
    assert.equal(await store.has(lie), false);
    assert.equal(await store.has(sha('moved other bytes')), false);
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  });

  it('move: copies instead when another name could still change the bytes (hard link, symlink)', async () => {
    const dir = join(tmp.path, 'links');
    mkdirSync(dir);
    const real = join(dir, 'real.bin');
    writeFileSync(real, 'linked bytes');
    const hard = join(dir, 'hard.bin');
    linkSync(real, hard);
    const digest = sha('linked bytes');
    await store.putFile(hard, digest, { move: true });
    assert.equal(existsSync(hard), true);
    assert.notEqual(statSync(store.path(digest)).ino, statSync(real).ino);
    const soft = join(dir, 'soft.bin');
    writeFileSync(join(dir, 'target.bin'), 'symlinked bytes');
    symlinkSync(join(dir, 'target.bin'), soft);
    const d2 = sha('symlinked bytes');
    await store.putFile(soft, d2, { move: true });
    assert.equal(existsSync(soft), true);
    assert.equal(statSync(store.path(d2)).ino !== statSync(join(dir, 'target.bin')).ino, true);
    assert.equal(readFileSync(store.path(d2), 'utf8'), 'symlinked bytes');
  });

  it('move: an already stored blob is returned and the file left to its owner', async () => {
    const src = join(tmp.path, 'm3.bin');
    writeFileSync(src, 'adopted bytes');
    assert.deepEqual(await store.putFile(src, sha('adopted bytes'), { move: true }), { sha256: sha('adopted bytes'), size: 13 });
    assert.equal(existsSync(src), true);
  });

  it('stage, move: the file itself is taken (same inode), private until commit, then published without a temp left', async () => {
    const src = join(tmp.path, 's1.bin');
    writeFileSync(src, 'staged bytes');
    const ino = statSync(src).ino;
    const staged = await store.stage(src, { move: true });
    assert.equal(existsSync(src), false);
    assert.equal(statSync(staged.path).ino, ino);
    assert.ok(staged.path.startsWith(join(root, 'tmp')));
    assert.equal(await store.has(sha('staged bytes')), false, 'nothing is visible before commit');
    assert.deepEqual(await staged.commit(sha('staged bytes')), { sha256: sha('staged bytes'), size: 12 });
    assert.equal(statSync(store.path(sha('staged bytes'))).ino, ino);
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  });

  it('stage, copy: later changes to the source never reach what was staged', async () => {
    const src = join(tmp.path, 's2.bin');
    writeFileSync(src, 'original bytes');
    const staged = await store.stage(src);
    writeFileSync(src, 'rewritten bytes');
    assert.equal(readFileSync(staged.path, 'utf8'), 'original bytes');
    await staged.commit(sha('original bytes'));
    assert.equal(readFileSync(store.path(sha('original bytes')), 'utf8'), 'original bytes');
  });

  it('stage, link: the caller keeps its name, the store adds one (no copy); discard or commit never touch the caller', async () => {
    const src = join(tmp.path, 'download.whl');
    writeFileSync(src, 'downloaded bytes');
    // A download finished two days ago (a re-run after a kill): staged, it must not look stale.
    const old = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    utimesSync(src, old, old);
    const staged = await store.stage(src, { link: true });
    assert.equal(statSync(staged.path).ino, statSync(src).ino, 'the same bytes under a second name');
    assert.ok(Date.now() - statSync(staged.path).mtimeMs < 60_000, 'dated now, so no other process cleans it up as stale');
    new FsBlobStore(root);
    assert.ok(existsSync(staged.path), 'opening the store elsewhere leaves it');
    assert.equal(statSync(src).nlink, 2);
    assert.equal(statSync(staged.path).mode & 0o777, 0o600);
    await staged.discard();
    assert.equal(readFileSync(src, 'utf8'), 'downloaded bytes', 'a refused file stays where a re-run finds it');
    assert.equal(statSync(src).nlink, 1);
    const again = await store.stage(src, { link: true });
    await again.commit(sha('downloaded bytes'));
    assert.equal(statSync(store.path(sha('downloaded bytes'))).ino, statSync(src).ino);
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  });

  it('stage, move of a hard-linked file copies it; discard leaves nothing; committing stored bytes is a no-op', async () => {
    const dir = join(tmp.path, 'stage-links');
    mkdirSync(dir);
    writeFileSync(join(dir, 'real.bin'), 'linked staged bytes');
    linkSync(join(dir, 'real.bin'), join(dir, 'hard.bin'));
    const staged = await store.stage(join(dir, 'hard.bin'), { move: true });
    assert.equal(existsSync(join(dir, 'hard.bin')), true);
    assert.notEqual(statSync(staged.path).ino, statSync(join(dir, 'real.bin')).ino);
    await staged.discard();
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
    assert.equal(await store.has(sha('linked staged bytes')), false);
    const again = await store.stage(join(dir, 'real.bin'));
    await again.commit(sha('linked staged bytes'));
    const twice = await store.stage(join(dir, 'real.bin'));
    assert.deepEqual(await twice.commit(sha('linked staged bytes')), { sha256: sha('linked staged bytes'), size: 19 });
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  });

  it('stores bytes by their own digest; storing them again is a no-op', async () => {
    const a = await store.putBytes(new TextEncoder().encode('Metadata-Version: 2.1\n'));
    const b = await store.putBytes(new TextEncoder().encode('Metadata-Version: 2.1\n'));
    assert.deepEqual(a, b);
    assert.equal(a.sha256, sha('Metadata-Version: 2.1\n'));
  });

  it('rejects a malformed digest instead of building a path from it', async () => {
    assert.throws(() => store.localPath('../../etc/passwd'), (e: unknown) => (e as PyvetError).code === 'BLOB_INVALID_DIGEST');
    await assert.rejects(store.read('0'.repeat(64)), (e: unknown) => (e as PyvetError).code === 'BLOB_NOT_FOUND');
  });

  it('deletes a blob; deleting a missing one is fine', async () => {
    const info = await store.putBytes(Buffer.from('to delete'));
    await store.delete(info.sha256);
    assert.equal(await store.has(info.sha256), false);
    await store.delete(info.sha256);
  });

  it('cleans temp files of dead writers on open and keeps those of live ones', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadTmp = join(root, 'tmp', `${dead.stdout}-0123456789abcdef`);
    const liveTmp = join(root, 'tmp', `${process.pid}-fedcba9876543210`);
    writeFileSync(deadTmp, 'partial');
    writeFileSync(liveTmp, 'in flight');
    new FsBlobStore(root);
    assert.equal(existsSync(deadTmp), false);
    assert.equal(existsSync(liveTmp), true);
  });
});
