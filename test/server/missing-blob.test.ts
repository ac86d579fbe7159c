// When the store has lost the bytes of a file the catalog serves (a bad restore, a damaged disk)
// the answer is a 500 BLOB_MISSING and an error line for the operator, never a client's 404 nor
// a 200 that breaks off; a download the client abandons is recorded as 499, not as a 200.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { buildWheel, writeArchive } from '../helpers/archives.js';
import { tempDir } from '../helpers/paths.js';
import { addFiles, startTestServer, type TestServer } from './support.js';

for (const hotPath of [true, false]) describe(`files whose bytes are missing, and abandoned downloads (${hotPath ? 'hot path' : 'Fastify only'})`, () => {
  let s: TestServer;
  const tmp = tempDir();
  const wheels = {
    small: buildWheel({ name: 'lost-small', version: '1.0' }),
    // Read for the first time while damaged (never cached whole before).
    tiny: buildWheel({ name: 'lost-tiny', version: '1.0' }),
    // Streamed (over the 64 KiB cache entry limit below) and larger than socket buffers.
    large: buildWheel({ name: 'lost-large', version: '1.0', files: { 'lost_large/data.bin': randomBytes(16 * 1024 * 1024) } }),
  };
  const sha = (f: { sha256: string }) => f.sha256;
  const url = (f: { sha256: string; filename: string }) => `/files/${f.sha256.slice(0, 2)}/${f.sha256.slice(2, 4)}/${f.sha256}/${f.filename}`;

  before(async () => {
    s = await startTestServer(undefined, { fileCacheEntryBytes: 64 * 1024, hotPath });
    await addFiles(
      s.repo,
      Object.values(wheels).map((w) => writeArchive(tmp.path, w.filename, w.bytes)),
      true,
    );
  });
  after(async () => {
    await s?.stop();
    tmp.cleanup();
  });

  const record = async (filename: string) => (await s.repo.catalog.files.getByFilename(filename))!;

  it('answers 500 BLOB_MISSING, before any header, and logs it as an error', async () => {
    for (const w of [wheels.small, wheels.large]) {
      const f = await record(w.filename);
      const path = s.repo.blobs.localPath(sha(f))!;
      renameSync(path, `${path}.away`);
      try {
        // Twice: the second time the file's lookup is cached (the hot path's turn).
        for (let i = 0; i < 2; i++) {
          const r = await fetch(`${s.url}${url(f)}`);
          assert.equal(r.status, 500, w.filename);
          assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'BLOB_MISSING', w.filename);
        }
      } finally {
        renameSync(`${path}.away`, path);
      }
      const errors = s.logs.flatMap((l) => l.split('\n')).filter((l) => l.includes('"level":50') && l.includes(sha(f)));
      assert.ok(errors.length > 0, `an error line names ${sha(f)}`);
      // Restored, it is served again (the body read, so that the connection is free again).
      const again = await fetch(`${s.url}${url(f)}`);
      assert.equal(again.status, 200);
      assert.equal((await again.arrayBuffer()).byteLength, f.size);
    }
  });

  it('answers 500 BLOB_DAMAGED for a blob shorter than the catalog says, before any header', async () => {
    // A small one read for the first time while damaged, and a large one (streamed from disk);
    // restored, both are served again: damaged bytes are never kept in memory.
    for (const w of [wheels.tiny, wheels.large]) {
      const f = await record(w.filename);
      const path = s.repo.blobs.localPath(sha(f))!;
      renameSync(path, `${path}.away`);
      writeFileSync(path, readFileSync(`${path}.away`).subarray(0, Math.floor(f.size / 2)));
      try {
        for (let i = 0; i < 2; i++) {
          const r = await fetch(`${s.url}${url(f)}`);
          assert.equal(r.status, 500, w.filename);
          assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'BLOB_DAMAGED', w.filename);
        }
      } finally {
        renameSync(`${path}.away`, path);
      }
      const again = await fetch(`${s.url}${url(f)}`);
      assert.equal(again.status, 200, `${w.filename} restored`);
      assert.equal((await again.arrayBuffer()).byteLength, f.size);
    }
  });

  it('records a download the client abandons as 499', async () => {
    const f = await record(wheels.large.filename);
    const before = s.accessLog().length;
    await new Promise<void>((resolve, reject) => {
      // Gone as soon as the status line arrives: loopback receive buffers grow to tens of MB,
      // and a client that read first could let the server hand over every byte before it left.
      get(`${s.url}${url(f)}`, (res) => {
        assert.equal(res.statusCode, 200);
        res.destroy();
        resolve();
      }).on('error', reject);
    });
    let line: { url: string; status: number } | undefined;
    for (let i = 0; i < 50 && !line; i++) {
      await new Promise((r) => setTimeout(r, 20));
      // Access lines are written asynchronously: an earlier test's 200 for this URL may land after
      // `before`; the abandoned request is the one that is not a 200 (the old code logged 200).
      line = s.accessLog().slice(before).find((l) => l.url === url(f) && l.status !== 200);
    }
    assert.equal(line?.status, 499);
  });
});
