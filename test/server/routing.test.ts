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
