// The hot path (src/server/hot-path.ts) against Fastify alone: the same repository served twice,
// once with the hot path in front and once without, must give the same status, headers and bytes
// for every request pip (or anyone) may send to the index and files: negotiation with q-values and
// ?format=, redirects, 404/406 bodies, gzip, ETag/304, If-Modified-Since, Range/If-Range/416,
// HEAD, streamed files, and reads with tokens when anonymous reading is off. The access log and
// the metrics show that the hot path really answered.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { FileRecord } from '../../src/catalog/types.js';
import { rejectFiles } from '../../src/repository/states.js';
import { type RunningServer, type ServerOptions, startServer } from '../../src/server/index.js';
import { clientAvailable } from '../helpers/python.js';
import { ADMIN, addFiles, builtProject, startTestServer, type TestServer, withServerConfig } from './support.js';

const skip = clientAvailable('build');
const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';
const PIP_ACCEPT = `${JSON_TYPE}, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01`;
const WRONG = `pyvet_0123456789abcdef_${'A'.repeat(43)}`;
// Set by the connection, not by either server's answer.
const TRANSPORT = new Set(['date', 'connection', 'keep-alive']);

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request through node:http, which neither decompresses nor follows redirects. */
function raw(base: string, method: string, path: string, headers: Record<string, string>): Promise<Raw> {
  return new Promise((resolve, reject) => {
    request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}

function comparable(r: Raw): { status: number; headers: Record<string, unknown>; body: string } {
  const headers = Object.fromEntries(Object.entries(r.headers).filter(([k]) => !TRANSPORT.has(k)));
  return { status: r.status, headers, body: r.body.toString('base64') };
}

const basic = (token: string) => `Basic ${Buffer.from(`__token__:${token}`).toString('base64')}`;
const fileUrl = (f: FileRecord) => `/files/${f.sha256.slice(0, 2)}/${f.sha256.slice(2, 4)}/${f.sha256}/${f.filename}`;

describe('hot path', { skip: skip === true ? false : skip }, () => {
  let s: TestServer;
  let files: FileRecord[];
  const servers: RunningServer[] = [];
  /** A server with the hot path and one without, on the same repository and options. */
  const pair = async (config: Parameters<typeof withServerConfig>[1], opts: ServerOptions = {}) => {
    const repo = withServerConfig(s.repo, config);
    const hot = await startServer(repo, { host: '127.0.0.1', port: 0 }, opts);
    const plain = await startServer(repo, { host: '127.0.0.1', port: 0 }, { ...opts, hotPath: false });
    servers.push(hot, plain);
    return { hot: hot.url, plain: plain.url };
  };

  before(async () => {
    s = await startTestServer();
    const lib = builtProject({ name: 'pyvet_demo_lib', version: '1.0', requiresPython: '>=3.8' });
    const lib2 = builtProject({ name: 'pyvet_demo_lib', version: '2.0' });
    const hidden = builtProject({ name: 'pyvet_hidden', version: '1.0' });
    await addFiles(s.repo, [lib.wheel, lib.sdist, lib2.wheel], true);
    await addFiles(s.repo, [hidden.wheel, lib2.sdist], false);
    await rejectFiles(s.repo, lib2.sdist.split('/').pop()!, ADMIN, 'not wanted');
    files = await s.repo.catalog.files.list();
  });
  after(async () => {
    for (const srv of servers) await srv.close();
    await s?.stop();
  });

  const file = (suffix: string) => files.find((f) => f.filename.endsWith(suffix))!;

  /** Every request of the table against both servers; the answers must be identical. */
  const compare = async (urls: { hot: string; plain: string }, requests: [string, string, Record<string, string>][]) => {
    for (const [method, path, headers] of requests) {
      // Twice: the first may render or read, the second is answered from memory.
      for (const round of [1, 2]) {
        const [h, p] = [await raw(urls.hot, method, path, headers), await raw(urls.plain, method, path, headers)];
        assert.deepEqual(comparable(h), comparable(p), `${method} ${path} ${JSON.stringify(headers)} (round ${round})`);
      }
    }
  };

  /** Requests for pages, with the ETags of what both servers send. */
  const pageRequests = async (base: string, auth: Record<string, string> = {}) => {
    const paths = [
      '/simple/',
      '/simple/?format=json',
      `/simple/?format=${encodeURIComponent(JSON_TYPE)}`,
      '/simple/?format=text/plain',
      '/simple/?format=json&format=html',
      '/simple/?probe=1',
      '/simple/pyvet-demo-lib/',
      '/simple/pyvet-demo-lib/?format=json',
      '/simple/PyVet_Demo.Lib/',
      '/simple/pyvet-demo-lib',
      '/simple/pyvet%2Ddemo-lib/',
      '/simple/pyvet-hidden/',
      '/simple/no-such-project/',
      '/simple//',
      '/simple/pyvet-demo-lib/extra/',
      '/simple',
    ];
    const variants: Record<string, string>[] = [
      {},
      { accept: JSON_TYPE },
      { accept: PIP_ACCEPT, 'accept-encoding': 'gzip, deflate' },
      { accept: 'text/html', 'accept-encoding': 'gzip;q=0, identity' },
      { accept: 'application/json' },
      { accept: '*/*', 'accept-encoding': 'gzip' },
    ];
    const out: [string, string, Record<string, string>][] = [];
    for (const path of paths) {
      for (const v of variants) {
        const headers = { ...auth, ...v };
        out.push(['GET', path, headers], ['HEAD', path, headers]);
        const first = await raw(base, 'GET', path, headers);
        const etag = first.headers.etag as string | undefined;
        if (etag) {
          out.push(['GET', path, { ...headers, 'if-none-match': etag }]);
          out.push(['GET', path, { ...headers, 'if-none-match': `W/${etag}, "other"` }]);
          out.push(['GET', path, { ...headers, 'if-none-match': '"other"' }]);
        }
      }
    }
    out.push(['POST', '/simple/', auth]);
    return out;
  };

  const fileRequests = (auth: Record<string, string> = {}) => {
    const wheel = file('1.0-py3-none-any.whl');
    const sdist = file('1.0.tar.gz');
    const other = file('2.0-py3-none-any.whl');
    const paths = [
      fileUrl(wheel),
      `${fileUrl(wheel)}.metadata`,
      fileUrl(sdist),
      `${fileUrl(sdist)}.metadata`,
      `${fileUrl(wheel)}?x=1`,
      fileUrl(file('pyvet_hidden-1.0-py3-none-any.whl')),
      fileUrl(file('2.0.tar.gz')),
      `/files/${other.sha256.slice(0, 2)}/${other.sha256.slice(2, 4)}/${other.sha256}/${wheel.filename}`,
      `/files/00/00/${wheel.sha256}/${wheel.filename}`,
      `/files/${wheel.sha256.slice(0, 2)}/${wheel.sha256.slice(2, 4)}/${wheel.sha256.toUpperCase()}/${wheel.filename}`,
      fileUrl(wheel).replace('.whl', '%2Ewhl'),
      `/files/${wheel.sha256.slice(0, 2)}/${wheel.sha256.slice(2, 4)}/${wheel.sha256}/`,
    ];
    const lastModified = new Date(wheel.uploadedAt).toUTCString();
    const variants: Record<string, string>[] = [
      {},
      { 'if-none-match': `"${wheel.sha256}"` },
      { 'if-none-match': '*' },
      { 'if-modified-since': lastModified },
      { 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' },
      { 'if-none-match': '"other"', 'if-modified-since': lastModified },
      { range: 'bytes=0-9' },
      { range: 'bytes=-5' },
      { range: 'bytes=10-' },
      { range: 'bytes=99999999-' },
      { range: 'bytes=9-2' },
      { range: 'bytes=0-1,5-6' },
      { range: 'bytes=0-9', 'if-range': `"${wheel.sha256}"` },
      { range: 'bytes=0-9', 'if-range': '"other"' },
    ];
    const out: [string, string, Record<string, string>][] = [];
    for (const path of paths) {
      for (const v of variants) out.push(['GET', path, { ...auth, ...v }], ['HEAD', path, { ...auth, ...v }]);
    }
    return out;
  };

  it('answers pages exactly as Fastify does', async () => {
    const urls = await pair({});
    await compare(urls, await pageRequests(urls.plain));
  });

  it('answers files and metadata exactly as Fastify does, from memory and streamed', async () => {
    await compare(await pair({}), fileRequests());
    // Every file larger than 1 KiB streams from disk instead of memory.
    await compare(await pair({}, { fileCacheEntryBytes: 1024 }), fileRequests());
  });

  it('keeps the read decision when anonymous reading is off: 401 without or with a wrong token, 200 with one', async () => {
    const urls = await pair({ anonymous_read: false });
    const auths: Record<string, string>[] = [{}, { authorization: basic(WRONG) }, { authorization: basic(s.tokens.reader) }, { authorization: 'Bearer nonsense' }];
    for (const auth of auths) {
      await compare(urls, [...(await pageRequests(urls.plain, auth)).slice(0, 40), ...fileRequests(auth).slice(0, 8)]);
    }
    const anon = await raw(urls.hot, 'GET', '/simple/', {});
    assert.equal(anon.status, 401);
    assert.equal(anon.headers['www-authenticate'], 'Basic realm="pyvet"');
    assert.equal((await raw(urls.hot, 'GET', '/simple/', { authorization: basic(s.tokens.reader) })).status, 200);
    // A wrong token is refused even when anonymous reading is on.
    assert.equal((await raw((await pair({})).hot, 'GET', '/simple/', { authorization: basic(WRONG) })).status, 401);
  });

  it('answers the common requests itself, with an access-log line and metrics for each', async () => {
    const wheel = file('1.0-py3-none-any.whl');
    const hot = servers[0]!.url;
    const paths = ['/simple/', '/simple/pyvet-demo-lib/', `${fileUrl(wheel)}.metadata`, fileUrl(wheel)];
    for (const path of paths) assert.equal((await raw(hot, 'GET', `${path}${path.startsWith('/simple') ? '?format=json' : ''}`, {})).status, 200);
    assert.equal((await raw(hot, 'HEAD', fileUrl(wheel), { range: 'bytes=0-9' })).status, 206);
    const lines = s.logs
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.includes('"msg":"request"'))
      .map((l) => JSON.parse(l) as { method: string; url: string; status: number; ms: number; reqId?: string });
    for (const path of paths) {
      const url = `${path}${path.startsWith('/simple') ? '?format=json' : ''}`;
      const line = lines.find((l) => l.url === url && !l.reqId);
      // Fastify's lines carry its request id; the hot path's do not.
      assert.ok(line, `the hot path answered and logged ${url}`);
      assert.equal(line.method, 'GET');
      assert.equal(line.status, 200);
      assert.equal(typeof line.ms, 'number');
    }
    const metrics = await (await fetch(`${hot}/metrics`)).text();
    assert.match(metrics, /^pyvet_http_requests_total\{route="\/simple\/",method="GET",status="200"\} [1-9]\d*$/m);
    assert.match(metrics, /^pyvet_http_requests_total\{route="\/files\/:a\/:b\/:sha256\/:filename",method="HEAD",status="206"\} [1-9]\d*$/m);
  });
});
