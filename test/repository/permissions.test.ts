// A repository is private to its user: `pyvet init` creates the data directory and its blob
// directories 0700, the catalog (and so its -wal and -shm) and pyvet.toml 0600, and blobs are
// written 0600. An existing repository with looser modes keeps them: pyvet changes no mode.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ingestFile } from '../../src/repository/ingest.js';
import { openRepository } from '../../src/repository/open.js';
import { buildWheel, writeArchive as writeInto } from '../helpers/archives.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

/** writeArchive into a folder created as needed. */
function writeArchive(dir: string, filename: string, bytes: Buffer): string {
  mkdirSync(dir, { recursive: true });
  return writeInto(dir, filename, bytes);
}

const mode = (path: string) => statSync(path).mode & 0o777;
const admin = { name: 'cli:test', role: 'admin' as const };

describe('permissions', () => {
  const tmp = tempDir('pyvet-perms-');
  after(() => tmp.cleanup());

  it('pyvet init makes the data directory 0700, the catalog and pyvet.toml 0600', () => {
    const data = join(tmp.path, 'nested', 'data');
    const r = runCli(data, ['init']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(mode(data).toString(8), '700');
    for (const dir of ['blobs', 'blobs/tmp']) assert.equal(mode(join(data, dir)).toString(8), '700', dir);
    for (const file of ['catalog.sqlite', 'pyvet.toml']) assert.equal(mode(join(data, file)).toString(8), '600', file);
  });

  it('the catalog journal and the blobs are 0600 too, in 0700 directories', async () => {
    const data = join(tmp.path, 'nested', 'data');
    const repo = await openRepository({ dataDir: data, logLevel: 'silent' });
    try {
      const w = buildWheel({ name: 'private', version: '1.0' });
      const path = writeArchive(join(tmp.path, 'in'), w.filename, w.bytes);
      chmodSync(path, 0o644);
      const { file } = await ingestFile(repo, path, { actor: admin, origin: 'local' });
      // Open and written: SQLite's journal files exist now.
      for (const f of ['catalog.sqlite-wal', 'catalog.sqlite-shm']) {
        assert.ok(existsSync(join(data, f)), f);
        assert.equal(mode(join(data, f)).toString(8), '600', f);
      }
      for (const sha of [file.sha256, file.metadataSha256!]) {
        const blob = repo.blobs.localPath(sha)!;
        assert.equal(mode(blob).toString(8), '600', 'blob copied from a 0644 file');
        assert.equal(mode(join(blob, '..')).toString(8), '700');
        assert.equal(mode(join(blob, '..', '..')).toString(8), '700');
      }
    } finally {
      await repo.close();
    }
  });

  it('an existing repository with looser modes keeps them', async () => {
    const data = join(tmp.path, 'old');
    assert.equal(runCli(data, ['init']).status, 0);
    chmodSync(data, 0o755);
    chmodSync(join(data, 'catalog.sqlite'), 0o644);
    chmodSync(join(data, 'pyvet.toml'), 0o644);
    const w = buildWheel({ name: 'loose', version: '1.0' });
    const r = runCli(data, ['add', writeArchive(join(tmp.path, 'old-in'), w.filename, w.bytes)]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(mode(data).toString(8), '755');
    assert.equal(mode(join(data, 'catalog.sqlite')).toString(8), '644');
    assert.equal(mode(join(data, 'pyvet.toml')).toString(8), '644');
    assert.equal(runCli(data, ['init']).status, 5, 'init of an existing repository changes nothing');
    assert.equal(mode(data).toString(8), '755');
  });
});
