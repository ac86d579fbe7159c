// `serve --workers N` when workers cannot run: a port already in use stops the primary with the
// error a single process gives (once, same exit code) instead of hanging, and workers that keep
// dying right after they start make it give up after a few backed-off restarts.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type CliResult, runCli, spawnCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

const childrenOf = (pid: number) =>
  existsSync(`/proc/${pid}/task/${pid}/children`)
    ? readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
    : [];

/** Waits for the child to exit, killing it (and failing) after `ms`: a hang must not hang the suite. */
async function exitOf(child: ChildProcess, ms: number): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const timer = setTimeout(() => {
    for (const pid of childrenOf(child.pid!)) process.kill(pid, 'SIGKILL');
    child.kill('SIGKILL');
  }, ms);
  const [code] = await once(child, 'close');
  clearTimeout(timer);
  assert.notEqual(code, null, `still running after ${ms} ms; stderr: ${stderr}`);
  return { status: code as number, stdout, stderr };
}

describe('serve --workers when workers fail', () => {
  it('exits with the single-process error and exit code when the port is in use, without hanging', async () => {
    const tmp = tempDir('pyvet-workers-');
    const dataDir = join(tmp.path, 'data');
    const taken: Server = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const port = String((taken.address() as { port: number }).port);
    try {
      assert.equal(runCli(dataDir, ['init']).status, 0);
      const single = runCli(dataDir, ['serve', '--host', '127.0.0.1', '--port', port]);
      assert.notEqual(single.status, 0);
      const child = spawnCli(dataDir, ['serve', '--host', '127.0.0.1', '--port', port, '--workers', '2'], {
        PYVET_LOG_LEVEL: 'warn',
      });
      const r = await exitOf(child, 20_000);
      assert.equal(r.status, single.status, r.stderr);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('error '));
      assert.equal(errors.length, 1, `the error once: ${r.stderr}`);
      assert.match(errors[0]!, /^error \[INTERNAL\] .*EADDRINUSE/);
      assert.doesNotMatch(r.stdout, /pyvet serving/);
      assert.deepEqual(childrenOf(child.pid!), [], 'no worker left behind');
    } finally {
      taken.close();
      tmp.cleanup();
    }
  });

  it('backs off restarting workers that keep dying, then gives up with an error', async () => {
    const tmp = tempDir('pyvet-workers-');
    const child = spawnCli(join(tmp.path, 'data'), ['serve', '--host', '127.0.0.1', '--port', '0', '--workers', '2'], {
      PYVET_LOG_LEVEL: 'warn',
    });
    try {
      const result = exitOf(child, 30_000);
      await once(child.stdout!, 'data'); // the banner: both workers listen
      // Kill every worker as soon as it appears, as a crash on start would.
      const killed = new Set<number>();
      const started: number[] = [];
      const reaper = setInterval(() => {
        for (const pid of childrenOf(child.pid!)) {
          if (killed.has(pid)) continue;
          killed.add(pid);
          started.push(Date.now());
          process.kill(pid, 'SIGKILL');
        }
      }, 20);
      const r = await result;
      clearInterval(reaper);
      assert.equal(r.status, 10, r.stderr);
      assert.match(r.stderr, /error \[WORKERS_FAILING\] 6 workers in a row exited within 10 s of starting/);
      assert.match(r.stderr, /starting another in 250 ms[\s\S]*in 500 ms[\s\S]*in 1000 ms[\s\S]*in 2000 ms[\s\S]*in 4000 ms/);
      // Backed off: the replacements came over seconds (250 + 500 + 1000 + 2000 ms after the
      // first two, which died together), not in a tight loop.
      assert.equal(started.length, 6);
      assert.ok(started.at(-1)! - started[0]! >= 2400, `${started.length} starts in ${started.at(-1)! - started[0]!} ms`);
    } finally {
      child.kill('SIGKILL');
      tmp.cleanup();
    }
  });
});
