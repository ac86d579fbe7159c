// `pyvet mirror -r FILE` promises exactly the hashes the file pins: a file (with what it includes)
// that pins none is mirrored by version, and the command says so, on stderr and in --json.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initRepository } from '../../src/repository/index.js';
import { runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { type StaticServer, startStaticServer } from '../helpers/static-server.js';

describe('mirror -r FILE that pins no hashes', () => {
  const tmp = tempDir('pyvet-mirror-warn-');
  const data = join(tmp.path, 'data');
  const file = (name: string, text: string) => {
    const path = join(tmp.path, name);
    writeFileSync(path, text);
    return path;
  };
  let up: StaticServer;
  // An empty upstream: every project is unsatisfied at once (exit 1), but the run completes.
  const mirror = (args: string[]) => runCliAsync(data, ['mirror', ...args, '--from', `${up.url}/simple/`, '--dry-run']);

  before(async () => {
    await initRepository(data, { logLevel: 'warn' });
    mkdirSync(join(tmp.path, 'www', 'simple'), { recursive: true });
    up = await startStaticServer(join(tmp.path, 'www'));
  });
  after(async () => {
    await up.close();
    tmp.cleanup();
  });

  it('warns on stderr and in --json', async () => {
    const unpinned = file('unpinned.txt', 'foo==1.0\nbar>=2\n');
    const r = await mirror(['-r', unpinned]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /warning .*unpinned\.txt pins no hashes \(no --hash on any line\): its versions are honoured, but not the bytes/);
    const json = await mirror(['--json', '-r', unpinned]);
    const out = JSON.parse(json.stdout) as { warnings: string[]; unsatisfied: unknown[] };
    assert.equal(out.unsatisfied.length, 2);
    assert.equal(out.warnings.length, 1);
    assert.match(out.warnings[0]!, /pins no hashes/);
    // Through an include too.
    const top = file('top.txt', '-r unpinned.txt\n');
    assert.match((await mirror(['-r', top])).stderr, /pins no hashes/);
  });

  it('says nothing for a file with hashes (in it or in what it includes), nor without -r', async () => {
    const sha = 'a'.repeat(64);
    const hashed = file('hashed.txt', `foo==1.0 --hash=sha256:${sha}\n`);
    const top = file('top-hashed.txt', 'bar>=2\n-r hashed.txt\n');
    const required = file('required.txt', '--require-hashes\n');
    for (const args of [['-r', hashed], ['-r', top], ['-r', required, 'foo==1.0'], ['foo==1.0']]) {
      const r = await mirror(['--json', ...args]);
      assert.doesNotMatch(r.stderr, /pins no hashes/, args.join(' '));
      assert.deepEqual((JSON.parse(r.stdout) as { warnings: string[] }).warnings, [], args.join(' '));
    }
  });
});
