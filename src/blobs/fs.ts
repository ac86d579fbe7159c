// Filesystem blob store: <root>/ab/cd/<sha256>. Bytes are written to <root>/tmp/<pid>-<random>,
// hashed while copying (the caller's digest is checked, never trusted), fsynced, renamed into
// place and the directory fsynced, so a crash at any point leaves either no blob or a whole one.
// A file can also be staged: renamed (a caller's disposable temp file) or copied into
// <root>/tmp, where from then on no other code knows its name; the caller reads it there
// (ingest inspects and hashes it on a worker thread) and commits it under the digest it found,
// which fsyncs and renames it into place without reading it again.
import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream, existsSync, mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { chmod, copyFile, link, lstat, mkdir, open, readdir, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PyvetError } from '../errors.js';
import { processAlive } from '../process-lock.js';
import type { BlobInfo, BlobStore, PutFileOptions, StagedBlob } from './types.js';

const SHA256 = /^[0-9a-f]{64}$/;
/** A temp file older than this is stale even if its writer's pid was reused. */
const STALE_TMP_MS = 24 * 3600 * 1000;
const CHUNK = 1024 * 1024;
const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

export class FsBlobStore implements BlobStore {
  private readonly tmp: string;

  constructor(readonly root: string) {
    this.tmp = join(root, 'tmp');
    // Blobs are private to the repository's user, quarantined and rejected ones too; an existing
    // directory keeps its mode.
    mkdirSync(this.tmp, { recursive: true, mode: PRIVATE_DIR });
    this.cleanTemp();
  }

  /** Removes temp files left by writers that died (kill -9, power loss). */
  private cleanTemp(): void {
    const now = Date.now();
    for (const name of readdirSync(this.tmp)) {
      const pid = Number(name.split('-')[0]);
      const p = join(this.tmp, name);
      try {
        if (!processAlive(pid) || now - statSync(p).mtimeMs > STALE_TMP_MS) unlinkSync(p);
      } catch {
        // removed concurrently by another process: fine
      }
    }
  }

  path(sha256: string): string {
    if (!SHA256.test(sha256)) {
      throw new PyvetError('BLOB_INVALID_DIGEST', 'invalid', `not a sha256 hex digest: ${JSON.stringify(sha256)}`);
    }
    return join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  localPath(sha256: string): string | undefined {
    return this.path(sha256);
  }

  async putFile(path: string, sha256: string, opts: PutFileOptions = {}): Promise<BlobInfo> {
    const target = this.path(sha256);
    const existing = await this.reuse(sha256);
    if (existing) return existing;
    if (opts.move) {
      // Staged first: from then on no other code knows the bytes' name, and they are hashed there.
      const staged = await this.stage(path, { move: true });
      try {
        const actual = await sha256File(staged.path);
        if (actual !== sha256) throw digestMismatch(sha256, actual);
        return await staged.commit(sha256);
      } catch (err) {
        await staged.discard();
        throw err;
      }
    }
    const src = await open(path, 'r');
    try {
      return await this.write(target, sha256, async (write, hash) => {
        const buf = Buffer.allocUnsafe(CHUNK);
        for (;;) {
          const { bytesRead } = await src.read(buf, 0, CHUNK, null);
          if (bytesRead === 0) break;
          const chunk = buf.subarray(0, bytesRead);
          hash.update(chunk);
          await write(chunk);
        }
      });
    } finally {
      await src.close();
    }
  }

  async putBytes(bytes: Uint8Array): Promise<BlobInfo> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const existing = await this.reuse(sha256);
    if (existing) return existing;
    return this.write(this.path(sha256), sha256, async (write, hash) => {
      hash.update(bytes);
      await write(bytes);
    });
  }

  /**
   * The blob when it is already stored, marked as just reused: its ctime moves to now, so that
   * garbage collection's grace period starts again for bytes a new row is about to refer to.
   */
  private async reuse(sha256: string): Promise<BlobInfo | undefined> {
    const existing = await this.stat(sha256);
    if (existing) {
      const now = new Date();
      await utimes(this.path(sha256), now, now).catch(() => {});
    }
    return existing;
  }

  private tmpName(): string {
    return join(this.tmp, `${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  /**
   * A plain single-link file is taken over by rename when `move` allows it (same filesystem);
   * with `link`, the caller's private file gets a second name; anything else is copied (the
   * kernel copies, nothing passes through us). For a file the caller does not own, a hard link
   * or a symlink would leave another name through which the staged bytes could change.
   */
  async stage(path: string, opts: PutFileOptions = {}): Promise<StagedBlob> {
    const tmpPath = this.tmpName();
    let moved = false;
    if (opts.move) {
      const st = await lstat(path);
      if (st.isFile() && st.nlink === 1) {
        try {
          await rename(path, tmpPath);
          moved = true;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
        }
      }
    }
    let linked = false;
    if (!moved && opts.link) {
      // The caller vouches that nothing writes `path` any more (see PutFileOptions.link): the
      // bytes then need no copy, and the download keeps its name for a re-run after a kill.
      const st = await lstat(path);
      if (st.isFile()) {
        try {
          await link(path, tmpPath);
          linked = true;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          // Another filesystem, or one without hard links: copied below.
          if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw err;
        }
      }
    }
    if (linked) {
      // Staged under the store's name; the caller removes its own name when it is done. A link
      // keeps the download's mtime, and cleanTemp takes a temp file older than a day for a dead
      // writer's, whoever holds it: the staged bytes are dated now.
      const now = new Date();
      await utimes(tmpPath, now, now);
    } else if (moved) {
      // Whatever was renamed must still be the plain file checked above.
      const st = await lstat(tmpPath);
      if (!st.isFile() || st.nlink !== 1) {
        await unlink(tmpPath).catch(() => {});
        throw new PyvetError('BLOB_SOURCE_CHANGED', 'conflict', `${path} changed while it was being stored`, { path });
      }
    } else {
      await copyFile(path, tmpPath, constants.COPYFILE_EXCL);
    }
    // A rename or a copy keeps the source's mode.
    await chmod(tmpPath, PRIVATE_FILE);
    return {
      path: tmpPath,
      commit: (sha256) => this.commit(tmpPath, sha256),
      discard: () => unlink(tmpPath).catch(() => {}),
    };
  }

  /** Publishes a staged file: fsynced (its writer did not), then renamed into place. */
  private async commit(tmpPath: string, sha256: string): Promise<BlobInfo> {
    const target = this.path(sha256);
    const existing = await this.reuse(sha256);
    if (existing) {
      await unlink(tmpPath).catch(() => {});
      return existing;
    }
    let size: number;
    try {
      const fd = await open(tmpPath, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        size = (await fd.stat()).size;
        await fd.sync();
      } finally {
        await fd.close();
      }
    } catch (err) {
      await unlink(tmpPath).catch(() => {});
      throw err;
    }
    return this.publish(tmpPath, target, sha256, sha256, size);
  }

  private async write(
    target: string,
    sha256: string,
    fill: (write: (b: Uint8Array) => Promise<void>, hash: ReturnType<typeof createHash>) => Promise<void>,
  ): Promise<BlobInfo> {
    const tmpPath = this.tmpName();
    const out = await open(tmpPath, 'wx', PRIVATE_FILE);
    const hash = createHash('sha256');
    let size = 0;
    try {
      await fill(async (b) => {
        let off = 0;
        while (off < b.length) off += (await out.write(b, off, b.length - off)).bytesWritten;
        size += b.length;
      }, hash);
      await out.sync();
    } catch (err) {
      await out.close();
      await unlink(tmpPath).catch(() => {});
      throw err;
    }
    await out.close();
    return this.publish(tmpPath, target, sha256, hash.digest('hex'), size);
  }

  /** Renames a fsynced temp file into place once its bytes proved to hash to `sha256`. */
  private async publish(tmpPath: string, target: string, sha256: string, actual: string, size: number): Promise<BlobInfo> {
    if (actual !== sha256) {
      await unlink(tmpPath).catch(() => {});
      throw digestMismatch(sha256, actual);
    }
    const dir = join(target, '..');
    const created = !existsSync(dir);
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIR });
    await rename(tmpPath, target);
    await fsyncDir(dir);
    // A new ab/cd directory must itself be durable in its parents.
    if (created) {
      await fsyncDir(join(dir, '..'));
      await fsyncDir(this.root);
    }
    return { sha256, size };
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.stat(sha256)) !== undefined;
  }

  async stat(sha256: string): Promise<BlobInfo | undefined> {
    try {
      const st = await stat(this.path(sha256));
      return { sha256, size: st.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async read(sha256: string): Promise<Uint8Array> {
    try {
      return await readFile(this.path(sha256));
    } catch (err) {
      throw missing(sha256, err);
    }
  }

  createReadStream(sha256: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.path(sha256), range);
  }

  async *list(): AsyncIterable<BlobInfo & { storedAt: Date }> {
    const hex2 = /^[0-9a-f]{2}$/;
    for (const a of (await readdir(this.root)).filter((n) => hex2.test(n)).sort()) {
      for (const b of (await readdir(join(this.root, a))).filter((n) => hex2.test(n)).sort()) {
        for (const name of (await readdir(join(this.root, a, b))).sort()) {
          if (!SHA256.test(name) || name.slice(0, 2) !== a || name.slice(2, 4) !== b) continue;
          const st = await stat(join(this.root, a, b, name)).catch(() => undefined);
          // ctime: a rename into place sets it, whereas mtime may be a download's, days older.
          if (st?.isFile()) yield { sha256: name, size: st.size, storedAt: st.ctime };
        }
      }
    }
  }

  async delete(sha256: string, opts: { storedBefore?: Date } = {}): Promise<boolean> {
    const path = this.path(sha256);
    if (opts.storedBefore) {
      const st = await stat(path).catch(() => undefined);
      if (!st || st.ctime >= opts.storedBefore) return false;
    }
    try {
      await unlink(path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return false;
    }
  }
}

function digestMismatch(expected: string, actual: string): PyvetError {
  return new PyvetError('BLOB_DIGEST_MISMATCH', 'integrity', `bytes hash to sha256 ${actual}, not the promised ${expected}`, {
    expected,
    actual,
  });
}

/** The sha256 of a file, read front to back (any store's caller may need it). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function fsyncDir(dir: string): Promise<void> {
  const fd = await open(dir, 'r');
  try {
    await fd.sync();
  } finally {
    await fd.close();
  }
}

function missing(sha256: string, err: unknown): PyvetError {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
    return new PyvetError('BLOB_NOT_FOUND', 'not_found', `no blob ${sha256}`, { sha256 });
  }
  return new PyvetError('BLOB_READ_FAILED', 'unavailable', `cannot read blob ${sha256}: ${(err as Error).message}`, {
    sha256,
  });
}
