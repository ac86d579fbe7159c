// `pyvet serve` as a user runs it: the repository is created on first start and the admin token
// printed once; --workers 2 shares one port between two processes; SIGTERM stops everything.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { spawnServe } from './support.js';

const childrenOf = (pid: number) =>
  existsSync(`/proc/${pid}/task/${pid}/children`)
    ? readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
    : [];

describe('pyvet serve', () => {
  it('documents its options', () => {
    const r = runCli('/nonexistent', ['serve', '--help']);
    assert.equal(r.status, 0);
    for (const opt of ['--host', '--port', '--workers']) assert.ok(r.stdout.includes(opt), opt);
    const bad = runCli('/nonexistent', ['serve', '--port', '70000']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /OPTION_INVALID/);
  });

  it('creates the repository on first start, prints the admin token once, and stops on SIGTERM', async () => {
    const tmp = tempDir('pyvet-serve-');
    const dataDir = join(tmp.path, 'data');
    try {
      const first = await spawnServe(dataDir, {}, ['--workers', '2']);
      assert.equal(first.started.workers, 2);
      assert.match(first.started.adminToken ?? '', /^pyvet_[0-9a-f]{16}_/);
      assert.ok(existsSync(join(dataDir, 'catalog.sqlite')) && existsSync(join(dataDir, 'pyvet.toml')));
      const workers = childrenOf(first.pid);
      assert.equal(workers.length, 2, 'two worker processes');
      for (let i = 0; i < 6; i++) assert.equal((await fetch(`${first.url}/healthz`)).status, 200);
      const auth = { authorization: `Basic ${Buffer.from(`__token__:${first.started.adminToken}`).toString('base64')}` };
      const verify = await fetch(`${first.url}/api/audit/verify`, { headers: auth });
      assert.equal(verify.status, 200, 'the printed token is the admin token');
      await first.stop();
      assert.equal(first.exitCode(), 0);
      for (const w of workers) assert.equal(existsSync(`/proc/${w}`), false, `worker ${w} exited`);

      const again = await spawnServe(dataDir);
      assert.equal(again.started.adminToken, null, 'the token is printed only when the repository is created');
      assert.equal((await fetch(`${again.url}/api/audit/verify`, { headers: auth })).status, 200);
      await again.stop();
      assert.equal(again.exitCode(), 0);
    } finally {
      tmp.cleanup();
    }
  });
});
