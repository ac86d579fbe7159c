import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { hashFile } from '../../src/artifacts/index.js';
import { PyvetError } from '../../src/errors.js';
import { download, fetchText } from '../../src/upstream/http.js';
import { fetchProjectPage, parseHtmlProjectPage, parseJsonProjectPage } from '../../src/upstream/simple-client.js';
import { tempDir } from '../helpers/paths.js';
import { LOCAL_PYPI, localPypiAvailable } from '../helpers/python.js';
import { type StaticServer, startStaticServer } from '../helpers/static-server.js';

describe('simple index parsing', () => {
  test('PEP 503 HTML with PEP 592/658/714 attributes and escaped Requires-Python', () => {
    const html = `<!DOCTYPE html><html><head><meta name="pypi:repository-version" content="1.1"></head><body>
<a href="../../files/a/demo-1.0-py3-none-any.whl#sha256=ABCDEF0123" data-requires-python="&gt;=3.8,&lt;4" data-dist-info-metadata="sha256=11aa" data-core-metadata="sha256=11aa">demo-1.0-py3-none-any.whl</a>
<a href='https://cdn.example/demo-0.9.tar.gz#md5=00ff' data-yanked="broken &amp; bad">demo-0.9.tar.gz</a>
<a href="demo-0.8.tar.gz" data-yanked>demo-0.8.tar.gz</a>
</body></html>`;
    const page = parseHtmlProjectPage(html, 'https://idx.example/simple/demo/', 'demo');
    assert.equal(page.apiVersion, '1.1');
    assert.equal(page.files.length, 3);
    const [w, s, t] = page.files;
    assert.equal(w!.url, 'https://idx.example/files/a/demo-1.0-py3-none-any.whl');
    assert.deepEqual(w!.hashes, { sha256: 'abcdef0123' });
    assert.equal(w!.requiresPython, '>=3.8,<4');
    assert.deepEqual(w!.coreMetadata, { sha256: '11aa' });
    assert.equal(s!.yanked, 'broken & bad');
    assert.deepEqual(s!.hashes, { md5: '00ff' });
    assert.equal(t!.yanked, true);
    assert.equal(t!.coreMetadata, false);
  });

  test('PEP 691 JSON with PEP 700 fields', () => {
    const page = parseJsonProjectPage(
      JSON.stringify({
        meta: { 'api-version': '1.1' },
        name: 'demo',
        versions: ['1.0'],
        files: [
          {
            filename: 'demo-1.0-py3-none-any.whl',
            url: '../../f/demo-1.0-py3-none-any.whl',
            hashes: { sha256: 'AB' },
            'requires-python': '>=3.9',
            'core-metadata': { sha256: 'CD' },
            yanked: 'oops',
            size: 12,
            'upload-time': '2024-01-01T00:00:00.000000Z',
          },
        ],
      }),
      'http://127.0.0.1:1/simple/demo/',
    );
    assert.equal(page.files[0]!.url, 'http://127.0.0.1:1/f/demo-1.0-py3-none-any.whl');
    assert.deepEqual(page.files[0]!.coreMetadata, { sha256: 'cd' });
    assert.equal(page.files[0]!.yanked, 'oops');
    assert.equal(page.files[0]!.size, 12);
    assert.deepEqual(page.versions, ['1.0']);
  });

  test('an index declaring API version 2 is refused', () => {
    assert.throws(
      () => parseJsonProjectPage(JSON.stringify({ meta: { 'api-version': '2.0' }, name: 'x', files: [] }), 'http://h/'),
      (e: unknown) => e instanceof PyvetError && e.code === 'UPSTREAM_BAD_INDEX',
    );
  });
});

/** Serves `payload` in `parts` pieces, `gapMs` apart. */
async function startSlowServer(payload: Buffer, parts: number, gapMs: number): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': payload.length });
    const step = Math.ceil(payload.length / parts);
    let at = 0;
    const next = () => {
      res.write(payload.subarray(at, at + step));
      at += step;
      if (at < payload.length) setTimeout(next, gapMs);
      else res.end();
    };
    next();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/blob.bin`, close: () => new Promise((r) => server.close(() => r())) };
}

describe('downloads', () => {
  let server: StaticServer;
  const dir = tempDir();
  const payload = Buffer.alloc(256 * 1024, 7);
  const sha = createHash('sha256').update(payload).digest('hex');
  before(async () => {
    writeFileSync(join(dir.path, 'blob.bin'), payload);
    server = await startStaticServer(dir.path);
  });
  after(async () => {
    await server.close();
    dir.cleanup();
  });

  test('retries a 503 and a reset, then checks the hash', async () => {
    server.injectFaults(/blob\.bin/, 1, 503);
    server.injectFaults(/blob\.bin/, 1, 'reset');
    const dest = join(dir.path, 'out', 'a.bin');
    const r = await download(`${server.url}/blob.bin`, dest, { expectedSha256: sha, retries: 3 });
    assert.equal(r.digests?.sha256, sha);
    assert.equal(r.size, payload.length);
    assert.deepEqual(readFileSync(dest), payload);
  });

  test('a hash mismatch leaves nothing behind', async () => {
    const dest = join(dir.path, 'out', 'b.bin');
    await assert.rejects(
      download(`${server.url}/blob.bin`, dest, { expectedSha256: '0'.repeat(64) }),
      (e: unknown) => e instanceof PyvetError && e.code === 'UPSTREAM_HASH_MISMATCH',
    );
    assert.equal(existsSync(dest), false);
    assert.equal(existsSync(`${dest}.part`), false);
  });

  test('resumes a partial download with Range, with every digest of the whole file', async () => {
    const dest = join(dir.path, 'out', 'c.bin');
    writeFileSync(`${dest}.part`, payload.subarray(0, 100_000));
    const r = await download(`${server.url}/blob.bin`, dest, { expectedSha256: sha });
    assert.equal(r.transferred, payload.length - 100_000);
    assert.deepEqual(readFileSync(dest), payload);
    assert.deepEqual(r.digests, await hashFile(dest));
  });

  test('a connection dropped half-way through the body resumes from where it broke', async () => {
    server.injectFaults(/blob\.bin/, 1, 'truncate');
    const before = server.log.length;
    const dest = join(dir.path, 'out', 'd.bin');
    const r = await download(`${server.url}/blob.bin`, dest, { expectedSha256: sha, retries: 2 });
    assert.deepEqual(readFileSync(dest), payload);
    assert.deepEqual(r.digests, await hashFile(dest));
    // Half arrived in the first response, the rest in the second: nothing was fetched twice.
    assert.equal(r.transferred, payload.length);
    assert.equal(server.log.length - before, 2);
  });

  test('the timeout is one of silence: a stalled body is abandoned and resumed', async () => {
    server.injectFaults(/blob\.bin/, 1, 'stall');
    const dest = join(dir.path, 'out', 'e.bin');
    const r = await download(`${server.url}/blob.bin`, dest, { expectedSha256: sha, retries: 2, timeoutMs: 300 });
    assert.deepEqual(readFileSync(dest), payload);
    assert.equal(r.transferred, payload.length);
  });

  test('a body still arriving is never cut off by the timeout', async () => {
    // 20 ms between chunks, 150 ms of silence allowed, about 1 s in all: only an idle timer passes.
    const slow = await startSlowServer(payload, 16, 20);
    try {
      const dest = join(dir.path, 'out', 'f.bin');
      const r = await download(slow.url, dest, { expectedSha256: sha, retries: 0, timeoutMs: 150 });
      assert.equal(r.digests?.sha256, sha);
    } finally {
      await slow.close();
    }
  });

  test('out of retries, a broken body keeps what arrived for the next run', async () => {
    server.injectFaults(/blob\.bin/, 1, 'truncate');
    const dest = join(dir.path, 'out', 'g.bin');
    await assert.rejects(
      download(`${server.url}/blob.bin`, dest, { expectedSha256: sha, retries: 0 }),
      (e: unknown) => e instanceof PyvetError && e.code === 'UPSTREAM_TRANSFER_FAILED',
    );
    assert.equal(readFileSync(`${dest}.part`).length, payload.length / 2);
    const r = await download(`${server.url}/blob.bin`, dest, { expectedSha256: sha });
    assert.equal(r.transferred, payload.length / 2);
  });
});

describe('real upstream tree (/opt/pypi)', { skip: !localPypiAvailable() && 'needs /opt/pypi (local PEP 503 tree)' }, () => {
  let server: StaticServer;
  before(async () => {
    server = await startStaticServer(LOCAL_PYPI);
  });
  after(() => server.close());

  test('reads a real project page over HTTP and as file://', async () => {
    const viaHttp = await fetchProjectPage(`${server.url}/simple/`, 'NumPy');
    const viaFile = await fetchProjectPage(pathToFileURL(`${LOCAL_PYPI}/simple/`).toString(), 'numpy');
    assert.ok(viaHttp && viaFile);
    assert.ok(viaHttp.files.length > 0);
    assert.deepEqual(
      viaHttp.files.map((f) => [f.filename, f.hashes.sha256]),
      viaFile.files.map((f) => [f.filename, f.hashes.sha256]),
    );
    assert.ok(viaHttp.files.every((f) => /^[0-9a-f]{64}$/.test(f.hashes.sha256 ?? '')));
    assert.equal(await fetchProjectPage(`${server.url}/simple/`, 'no-such-project-here'), null);
  });
});

describe('http transfers', () => {
  const seen: { path: string; authorization: string | undefined; port: number }[] = [];
  const servers: Server[] = [];
  const listen = async (handler: (req: IncomingMessage, res: ServerResponse, port: number) => void): Promise<number> => {
    const server = createServer((req, res) => {
      const port = (server.address() as AddressInfo).port;
      seen.push({ path: req.url ?? '', authorization: req.headers.authorization, port });
      handler(req, res, port);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as AddressInfo).port;
  };
  const page = Buffer.from('<html><body><a href="x-1.0.tar.gz#sha256=00">x-1.0.tar.gz</a></body></html>');
  const tarball = gzipSync(Buffer.from('not really a tar, but gzip bytes that must stay gzip'));
  let other = 0;
  let main = 0;
  before(async () => {
    other = await listen((req, res) => {
      if (req.url === '/page') res.writeHead(200, { 'content-type': 'text/html' }).end(page);
      else res.writeHead(404).end();
    });
    main = await listen((req, res, port) => {
      if (req.url === '/cross') res.writeHead(302, { location: `http://127.0.0.1:${other}/page` }).end();
      else if (req.url === '/same') res.writeHead(301, { location: `http://127.0.0.1:${port}/gz-page` }).end();
      else if (req.url === '/gz-page') {
        assert.match(String(req.headers['accept-encoding']), /gzip/);
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }).end(gzipSync(page));
      } else if (req.url === '/x-1.0.tar.gz') res.writeHead(200, { 'content-encoding': 'gzip' }).end(tarball);
      else res.writeHead(404).end();
    });
  });
  after(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
  });
  const creds = { username: 'alice', password: 's3cret' };

  test('credentials follow a redirect within the origin, never to another one', async () => {
    seen.length = 0;
    const same = await fetchText(`http://127.0.0.1:${main}/same`, { credentials: creds });
    assert.equal(same?.text, page.toString(), 'a gzip page is decompressed');
    assert.deepEqual(
      seen.map((x) => Boolean(x.authorization)),
      [true, true],
    );
    seen.length = 0;
    const cross = await fetchText(`http://127.0.0.1:${main}/cross`, { credentials: creds });
    assert.equal(cross?.text, page.toString());
    assert.deepEqual(
      seen.map((x) => [x.port, Boolean(x.authorization)]),
      [
        [main, true],
        [other, false],
      ],
    );
  });

  test('a download keeps the bytes as served, whatever Content-Encoding says', async () => {
    const dir = tempDir();
    try {
      const r = await download(`http://127.0.0.1:${main}/x-1.0.tar.gz`, join(dir.path, 'x-1.0.tar.gz'));
      assert.equal(r.digests?.sha256, createHash('sha256').update(tarball).digest('hex'));
    } finally {
      dir.cleanup();
    }
  });

  test('a refused connection is UPSTREAM_UNREACHABLE naming the cause, after the retries', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    await assert.rejects(
      fetchText(`http://127.0.0.1:${port}/simple/`, { retries: 1 }),
      (e: unknown) => e instanceof PyvetError && e.code === 'UPSTREAM_UNREACHABLE' && /ECONNREFUSED after 2 attempts/.test(e.message),
    );
  });
});

