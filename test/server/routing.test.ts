// Answers that depend on the URL alone: redirects under a base_url with a path prefix.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer, withServerConfig } from './support.js';

for (const hotPath of [true, false]) describe(`redirects behind a path prefix (${hotPath ? 'hot path' : 'Fastify only'})`, () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer((repo) => withServerConfig(repo, { base_url: 'https://pypi.example.com/pypi/' }), { hotPath });
  });
  after(() => s?.stop());

  it('builds the Location from base_url, keeping its path and the query', async () => {
    for (const [path, to] of [
      ['/simple/Zipp/', 'https://pypi.example.com/pypi/simple/zipp/'],
      ['/simple/zipp', 'https://pypi.example.com/pypi/simple/zipp/'],
      ['/simple/Zipp?format=json', 'https://pypi.example.com/pypi/simple/zipp/?format=json'],
      ['/simple', 'https://pypi.example.com/pypi/simple/'],
      ['/simple?format=json', 'https://pypi.example.com/pypi/simple/?format=json'],
      ['/releases', 'https://pypi.example.com/pypi/releases/'],
      ['/releases/2026.01.01', 'https://pypi.example.com/pypi/releases/2026.01.01/'],
    ]) {
      const r = await fetch(`${s.url}${path}`, { redirect: 'manual' });
      assert.equal(r.status, 301, path);
      assert.equal(r.headers.get('location'), to, path);
    }
  });
});

describe('methods, malformed and over-long URLs', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s?.stop());

  const errorOf = async (r: Response) => ((await r.json()) as { error: { code: string; message: string } }).error;

  it('answers a wrong method on a known path with 405 and Allow, in the error envelope', async () => {
    const file = `/files/ab/cd/ab${'0'.repeat(62)}/x-1.0-py3-none-any.whl`;
    for (const [method, path, allow] of [
      ['POST', '/simple/', 'GET, HEAD'],
      ['PUT', '/simple/', 'GET, HEAD'],
      ['DELETE', '/simple/', 'GET, HEAD'],
      ['PATCH', '/simple/', 'GET, HEAD'],
      ['POST', '/simple/zipp/', 'GET, HEAD'],
      ['DELETE', '/simple/zipp', 'GET, HEAD'],
      ['POST', '/simple', 'GET, HEAD'],
      ['POST', file, 'GET, HEAD'],
      ['DELETE', `${file}.metadata`, 'GET, HEAD'],
      ['GET', '/legacy/', 'POST'],
      ['PUT', '/legacy', 'POST'],
      ['DELETE', '/api/tokens', 'GET, HEAD, POST'],
      ['GET', '/api/tokens/0123456789abcdef/revoke', 'POST'],
      ['DELETE', '/api/files', 'GET, HEAD'],
      ['POST', '/healthz', 'GET, HEAD'],
      ['POST', '/metrics', 'GET, HEAD'],
      ['POST', '/releases/', 'GET, HEAD'],
    ]) {
      // A body of a type nobody parses must not turn it into a 415.
      const r = await fetch(`${s.url}${path}`, {
        method,
        ...(method === 'GET' ? {} : { headers: { 'content-type': 'application/xml' }, body: '<x/>' }),
      });
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.equal(r.headers.get('allow'), allow, `${method} ${path}`);
      assert.equal((await errorOf(r)).code, 'METHOD_NOT_ALLOWED', `${method} ${path}`);
    }
    for (const [method, path] of [
      ['POST', '/nothing/'],
      ['GET', '/nothing'],
      ['DELETE', '/simple/a/b/'],
    ]) {
      const r = await fetch(`${s.url}${path}`, { method });
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal((await errorOf(r)).code, 'NOT_FOUND');
    }
  });

  it('answers malformed and over-long URLs in the envelope, without echoing them, with an access line and a metric', async () => {
    const long = 'x'.repeat(2000);
    for (const [path, status, code] of [
      ['/simple/%zz/', 400, 'URL_INVALID'],
      ['/files/ab/cd/%zz/x.whl', 400, 'URL_INVALID'],
      [`/simple/${long}/`, 414, 'URL_TOO_LONG'],
      [`/simple/${long}`, 414, 'URL_TOO_LONG'],
      [`/files/ab/cd/ef/${long}.whl`, 414, 'URL_TOO_LONG'],
    ] as const) {
      const r = await fetch(`${s.url}${path}`);
      assert.equal(r.status, status, path.slice(0, 40));
      assert.match(r.headers.get('content-type')!, /^application\/json/);
      const text = await r.text();
      const body = JSON.parse(text) as { error: { code: string; message: string } };
      assert.deepEqual(Object.keys(body), ['error']);
      assert.equal(body.error.code, code);
      assert.equal(text.includes('%zz') || text.includes('xxxxxxxxxx'), false, `the URL is not echoed: ${text}`);
      const lines = s.accessLog().filter((l) => l.url === path);
      assert.equal(lines.length, 1, `one access line for ${path.slice(0, 40)}`);
      assert.equal(lines[0]!.status, status);
    }
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(metrics, /^pyvet_http_requests_total\{route="unmatched",method="GET",status="400"\} 2$/m);
    assert.match(metrics, /^pyvet_http_requests_total\{route="unmatched",method="GET",status="414"\} 3$/m);
    assert.deepEqual(
      s.logs.filter((l) => /"level":(50|60)/.test(l)),
      [],
    );
  });
});
