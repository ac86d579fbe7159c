// Loopback upstreams for the mirror's hardening tests: HTTP servers on 127.0.0.1 that record
// every request with its headers, can require HTTP Basic, and serve a directory or answer from a
// handler (an endless body, a lying size). Real sockets, never a mock of our own code.
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';
import { buildWheel } from '../helpers/archives.js';

export interface Recorded {
  path: string;
  headers: IncomingHttpHeaders;
}

export interface Loopback {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, path: string) => void;

export async function startLoopback(handle: Handler, opts: { basic?: { username: string; password: string } } = {}): Promise<Loopback> {
  const requests: Recorded[] = [];
  const expected = opts.basic ? `Basic ${Buffer.from(`${opts.basic.username}:${opts.basic.password}`).toString('base64')}` : undefined;
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push({ path, headers: req.headers });
    if (expected && req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
      return;
    }
    handle(req, res, path);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serves files under `root` (a directory's index.html for a directory). */
export function serveDir(root: string): Handler {
  return (_req, res, path) => {
    let file = normalize(join(root, path));
    if (!file.startsWith(normalize(root + sep)) && file !== normalize(root)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const size = statSync(file).size;
      const type = file.endsWith('.html') ? 'text/html' : file.endsWith('.json') ? 'application/vnd.pypi.simple.v1+json' : 'application/octet-stream';
      res.writeHead(200, { 'content-type': type, 'content-length': size });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404).end();
    }
  };
}

export interface BuiltWheel {
  name: string;
  filename: string;
  bytes: Buffer;
  sha256: string;
}

/** A real wheel, with its sha256. */
export function wheel(name: string, version: string, requires: string[] = []): BuiltWheel {
  const { filename, bytes } = buildWheel({ name, version, metadataLines: requires.map((r) => `Requires-Dist: ${r}`) });
  return { name, filename, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * Writes `<root>/simple/<project>/index.html` linking each wheel at `fileBase + filename`
 * (a URL, absolute or relative to the page), and the wheels' bytes under `<root>/files/`.
 */
export function writeIndex(root: string, wheels: BuiltWheel[], fileBase = '../../files/'): void {
  mkdirSync(join(root, 'files'), { recursive: true });
  const pages = new Map<string, string[]>();
  for (const w of wheels) {
    writeFileSync(join(root, 'files', w.filename), w.bytes);
    const project = w.name.toLowerCase().replace(/[-_.]+/g, '-');
    const links = pages.get(project) ?? [];
    links.push(`<a href="${fileBase}${w.filename}#sha256=${w.sha256}">${w.filename}</a>`);
    pages.set(project, links);
  }
  for (const [project, links] of pages) {
    mkdirSync(join(root, 'simple', project), { recursive: true });
    writeFileSync(join(root, 'simple', project, 'index.html'), `<!DOCTYPE html><html><body>\n${links.join('\n')}\n</body></html>\n`);
  }
}
