// `pyvet serve` as a user runs it: the repository is created on first start and the admin token
// written to a file only its user reads, never printed (serve's output is a log under systemd);
// --workers 2 shares one port between two processes; SIGTERM stops everything.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, spawnCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { type ServeProcess, spawnServe } from './support.js';

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

  it('creates the repository on first start, writes the admin token to a file, and stops on SIGTERM', async () => {
    const tmp = tempDir('pyvet-serve-');
    const dataDir = join(tmp.path, 'data');
    // Stopped whatever fails: a server left running would keep the test process alive.
    const running: ServeProcess[] = [];
    try {
      const first = await spawnServe(dataDir, {}, ['--workers', '2']);
      running.push(first);
      assert.equal(first.started.workers, 2);
      const tokenFile = join(dataDir, 'initial-admin-token');
      assert.equal(first.started.adminTokenFile, tokenFile);
      assert.equal('adminToken' in first.started, false);
      const adminToken = readFileSync(tokenFile, 'utf8').trim();
      assert.match(adminToken, /^pyvet_[0-9a-f]{16}_/);
      assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
      assert.equal(statSync(dataDir).mode & 0o777, 0o700);
      assert.ok(existsSync(join(dataDir, 'catalog.sqlite')) && existsSync(join(dataDir, 'pyvet.toml')));
      const workers = childrenOf(first.pid);
      assert.equal(workers.length, 2, 'two worker processes');
      for (let i = 0; i < 6; i++) assert.equal((await fetch(`${first.url}/healthz`)).status, 200);
      const auth = { authorization: `Basic ${Buffer.from(`__token__:${adminToken}`).toString('base64')}` };
      const verify = await fetch(`${first.url}/api/audit/verify`, { headers: auth });
      assert.equal(verify.status, 200, 'the token in the file is the admin token');
      await first.stop();
      assert.equal(first.exitCode(), 0);
      for (const w of workers) assert.equal(existsSync(`/proc/${w}`), false, `worker ${w} exited`);

      rmSync(tokenFile);
      const again = await spawnServe(dataDir);
      running.push(again);
      assert.equal(again.started.adminTokenFile, null, 'the token is written only when the repository is created');
      assert.equal(existsSync(tokenFile), false);
      assert.equal((await fetch(`${again.url}/api/audit/verify`, { headers: auth })).status, 200);
      await again.stop();
      assert.equal(again.exitCode(), 0);
    } finally {
      for (const r of running) await r.stop();
      tmp.cleanup();
    }
  });

  it('never prints the token: the human output names its file, and a later start reminds of it', async () => {
    const tmp = tempDir('pyvet-serve-human-');
    const dataDir = join(tmp.path, 'data');
    // Human output, as systemd or docker would log it: stdout and stderr until it serves.
    const start = async () => {
      const child = spawnCli(dataDir, ['serve', '--host', '127.0.0.1', '--port', '0'], { PYVET_LOG_LEVEL: 'info' });
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const read = (d: Buffer) => {
          out += d.toString();
          if (/pyvet serving/.test(out)) resolve();
        };
        child.stdout!.on('data', read);
        child.stderr!.on('data', read);
        child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
      });
      child.kill('SIGTERM');
      await once(child, 'exit');
      return out;
    };
    try {
      const out = await start();
      const token = readFileSync(join(dataDir, 'initial-admin-token'), 'utf8').trim();
      assert.equal(out.includes(token), false, out);
      assert.doesNotMatch(out, /pyvet_[0-9a-f]{16}_/);
      assert.ok(out.includes(`the first admin token is in ${join(dataDir, 'initial-admin-token')}`), out);
      assert.match(out, /read it, keep it in a safe place, then delete the file/);
      const later = await start();
      assert.equal(later.includes(token), false, later);
      assert.match(later, /initial-admin-token still holds the first admin token/);
    } finally {
      tmp.cleanup();
    }
  });
});
