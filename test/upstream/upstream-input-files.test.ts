// Files named on the mirror command line that cannot be read (-r, a file it includes, --release-key)
// are invalid input naming the file (exit 2), never an internal error.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initRepository } from '../../src/repository/index.js';
import { runCli, runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { type StaticServer, startStaticServer } from '../helpers/static-server.js';

describe('mirror: input files that cannot be read', () => {
  const tmp = tempDir();
  const data = join(tmp.path, 'data');
  const missing = join(tmp.path, 'nonexistent.txt');
  let up: StaticServer;

  before(async () => {
    await initRepository(data, { logLevel: 'warn' });
    // A release to mirror: its manifest and signature are found, so the key is what fails.
    mkdirSync(join(tmp.path, 'www', 'releases', 'r1'), { recursive: true });
    writeFileSync(join(tmp.path, 'www', 'releases', 'r1', 'manifest.json'), '{}');
    writeFileSync(join(tmp.path, 'www', 'releases', 'r1', 'manifest.json.sig'), 'AAAA');
    up = await startStaticServer(join(tmp.path, 'www'));
  });
  after(async () => {
    await up.close();
    tmp.cleanup();
  });

  test('-r FILE that does not exist, or is a directory', () => {
    for (const path of [missing, tmp.path]) {
      const r = runCli(data, ['mirror', '-r', path, '--from', 'http://127.0.0.1:1/simple/']);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /FILE_UNREADABLE/);
      assert.ok(r.stderr.includes(`cannot read the requirements file ${path}: E`), r.stderr);
    }
  });

  test('a file that -r FILE includes (-r or -c) names the line that includes it', () => {
    for (const option of ['-r', '-c']) {
      const req = join(tmp.path, `req${option}.txt`);
      writeFileSync(req, `foo==1.0\n${option} nonexistent.txt\n`);
      const r = runCli(data, ['mirror', '-r', req, '--from', 'http://127.0.0.1:1/simple/']);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /REQUIREMENTS_INCLUDE_UNREADABLE/);
      assert.ok(r.stderr.includes(`${req}:2: cannot read 'nonexistent.txt'`), r.stderr);
    }
  });

  test('--release-key FILE that does not exist', async () => {
    const key = join(tmp.path, 'nonexistent.pub');
    const r = await runCliAsync(data, ['mirror', '--release', `${up.url}/releases/r1/`, '--release-key', key]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /FILE_UNREADABLE/);
    assert.ok(r.stderr.includes(`cannot read the release key file ${key}: ENOENT`), r.stderr);
  });
});
