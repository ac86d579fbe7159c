// A small static file server on 127.0.0.1 for upstream tests: serves a directory (e.g. /opt/pypi,
// so that /simple/<project>/ pages and their ../../files/ links resolve), logs every request,
// honours Range, and can inject faults (503s, connection resets) to exercise retries.
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';

export interface StaticServer {
  url: string;
  /** Paths requested so far, in order. */
  log: string[];
  /**
   * Fail the next `n` requests whose path matches: with this status, 'reset' (drop the socket
   * before answering), 'truncate' (send half the body, then drop the socket) or 'stall' (send
   * half the body, then go silent with the connection open).
   */
  injectFaults(match: RegExp, n: number, fault: Fault): void;
  /** Delay every response whose path matches by `ms` (to interrupt transfers half-way); 0 stops it. */
  throttle(match: RegExp, ms: number): void;
  /** File bodies sent (200 or 206), in order: from which byte, and when all of it went out. */
  bodies: { path: string; start: number; finished: boolean; finishedAt?: number }[];
  /** Called when a body has gone out whole (handed to the kernel, not yet read by the client). */
  onBodySent?: (path: string) => void;
  close(): Promise<void>;
}

export type Fault = number | 'reset' | 'truncate' | 'stall';

export async function startStaticServer(root: string): Promise<StaticServer> {
  const log: string[] = [];
  const bodies: StaticServer['bodies'] = [];
  const faults: { match: RegExp; left: number; fault: Fault }[] = [];
  const delays: { match: RegExp; ms: number }[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const delay = delays.find((d) => d.match.test(req.url ?? ''));
    if (delay) setTimeout(() => handle(req, res), delay.ms);
    else handle(req, res);
  });
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    log.push(path);
    const f = faults.find((x) => x.left > 0 && x.match.test(path));
    if (f) {
      f.left--;
      if (f.fault === 'reset') {
        req.socket.destroy();
        return;
      }
      if (f.fault === 'truncate' || f.fault === 'stall') {
        const file = join(root, path);
        const size = statSync(file).size;
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
        const half = createReadStream(file, { end: Math.floor(size / 2) - 1 });
        half.on('data', (c) => res.write(c));
        half.on('end', () => {
          if (f.fault === 'truncate') setTimeout(() => req.socket.destroy(), 20);
        });
        return;
      }
      res.writeHead(f.fault).end();
      return;
    }
    let file = normalize(join(root, path));
    if (!file.startsWith(normalize(root + sep)) && file !== normalize(root)) {
      res.writeHead(403).end();
      return;
    }
    try {
      let st = statSync(file);
      if (st.isDirectory()) {
        file = join(file, 'index.html');
        st = statSync(file);
      }
      const type = file.endsWith('.html') ? 'text/html' : file.endsWith('.json') ? 'application/json' : 'application/octet-stream';
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const track = (start: number) => {
        if (file.endsWith('.html')) return;
        const body: StaticServer['bodies'][number] = { path, start, finished: false };
        bodies.push(body);
        res.on('finish', () => {
          body.finished = true;
          body.finishedAt = performance.now();
          self.onBodySent?.(path);
        });
      };
      if (range) {
        const start = Number(range[1]);
        if (start >= st.size) {
          res.writeHead(416, { 'content-range': `bytes */${st.size}` }).end();
          return;
        }
        res.writeHead(206, {
          'content-type': type,
          'content-length': st.size - start,
          'content-range': `bytes ${start}-${st.size - 1}/${st.size}`,
        });
        track(start);
        createReadStream(file, { start }).pipe(res);
        return;
      }
      res.writeHead(200, { 'content-type': type, 'content-length': st.size, 'accept-ranges': 'bytes' });
      if (req.method === 'HEAD') res.end();
      else {
        track(0);
        createReadStream(file).pipe(res);
      }
    } catch {
      res.writeHead(404).end();
    }
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const self: StaticServer = {
    url: `http://127.0.0.1:${port}`,
    log,
    bodies,
    injectFaults(match, n, fault) {
      faults.push({ match, left: n, fault });
    },
    throttle(match, ms) {
      // A new delay for the same pattern replaces the old one (0 removes it).
      const same = delays.findIndex((d) => d.match.source === match.source);
      if (same >= 0) delays.splice(same, 1);
      if (ms > 0) delays.push({ match, ms });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return self;
}
