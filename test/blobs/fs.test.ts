// The filesystem blob store on a real directory: layout, digest verification, idempotence,
// stale temp clean-up, ranges.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
