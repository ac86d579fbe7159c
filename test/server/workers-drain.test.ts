// Shutting down with a slow client: SIGTERM stops accepting at once, lets the download run until
// server.drain_timeout_ms, then closes its connection and exits, single process or --workers.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildWheel, writeArchive } from '../helpers/archives.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { spawnServe } from './support.js';

const DRAIN_MS = 1500;
// Far more than the socket buffers of both ends hold, so that the download is still running.
const SIZE = 48 * 1024 * 1024;

/** Connects and resolves with the error code, or 'connected'. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('serve drains with a deadline', () => {
  const tmp = tempDir('pyvet-drain-');
  const dataDir = join(tmp.path, 'data');
  let filePath = '';

  before(() => {
    assert.equal(runCli(dataDir, ['init']).status, 0);
    const { filename, bytes } = buildWheel({ name: 'bulky', version: '1.0', files: { 'bulky/data.bin': randomBytes(SIZE) } });
    const wheel = writeArchive(tmp.path, filename, bytes);
    const added = runCli(dataDir, ['add', wheel, '--approve', '--reason', 'drain test']);
    assert.equal(added.status, 0, added.stderr);
  });
  after(() => tmp.cleanup());

  for (const args of [[], ['--workers', '2']]) {
    it(`closes a slow download at the deadline and exits${args.length ? ' (--workers 2)' : ''}`, async () => {
      const server = await spawnServe(dataDir, { PYVET_LOG_LEVEL: 'warn', PYVET_SERVER__DRAIN_TIMEOUT_MS: String(DRAIN_MS) }, args);
      let slow: Socket | undefined;
      try {
        const page = await (await fetch(`${server.url}/simple/bulky/`)).text();
        const href = /href="([^"#]+)#sha256=/.exec(page)?.[1];
        assert.ok(href, page);
        if (!filePath) filePath = new URL(href, `${server.url}/simple/bulky/`).pathname;
        const port = Number(new URL(server.url).port);

        // A client that reads the first bytes and then nothing more.
        slow = connect(port, '127.0.0.1');
        slow.write(`GET ${filePath} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
        let received = 0;
        const first = once(slow, 'data');
        slow.on('data', (d: Buffer) => {
          received += d.length;
        });
        await first;
        slow.pause();
        assert.match(String((await first)[0]).split('\r\n')[0]!, /^HTTP\/1\.1 200/);
        const closed = once(slow, 'close');

        const t0 = Date.now();
        process.kill(server.pid, 'SIGTERM');
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(await tryConnect(port), 'ECONNREFUSED', 'no new connection during the drain');
        assert.ok(received < SIZE, 'the download is still running');

        // Polled: server.stop() would send a second SIGTERM, which kills outright.
        while (server.exitCode() === null && Date.now() - t0 < DRAIN_MS + 8000) await new Promise((r) => setTimeout(r, 50));
        assert.notEqual(server.exitCode(), null, `still running ${Date.now() - t0} ms after SIGTERM`);
        const took = Date.now() - t0;
        assert.ok(took >= DRAIN_MS - 100, `waited for the drain (${took} ms)`);
        assert.equal(server.exitCode(), 0);
        slow.resume(); // read what the kernel still holds, up to the server's close
        await closed;
        assert.ok(received < SIZE, `the slow download was cut (${received} of ${SIZE} bytes)`);
      } finally {
        slow?.destroy();
        try {
          process.kill(server.pid, 'SIGKILL'); // a server that did not stop (its workers follow it)
        } catch {}
      }
    });
  }
});
