// /releases/… over real HTTP: caching rules that follow anonymous reading, and the `latest` alias.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRelease } from '../../src/releases/service.js';
import { newRow } from '../resolve/support.js';
import { ADMIN, startTestServer, type TestServer, withServerConfig } from './support.js';

const TARGET = 'cp313-win_amd64';

describe('release documents where reading needs a token', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer((repo) => withServerConfig(repo, { anonymous_read: false }));
    await s.repo.catalog.files.insert(newRow({ name: 'one', version: '1.0' }));
    await createRelease(s.repo, { name: 'locked', targets: [TARGET], requirements: ['one'], indexUrl: `${s.url}/simple/` }, ADMIN);
  });
  after(() => s.stop());

  it('are private to the browser cache, never public', async () => {
    const res = await fetch(`${s.url}/releases/locked/manifest.json`, { headers: { authorization: `Bearer ${s.tokens.reader}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'private, max-age=31536000, immutable');
  });
});

describe('release documents anyone may read', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
    await s.repo.catalog.files.insert(newRow({ name: 'one', version: '1.0' }));
    await createRelease(s.repo, { name: 'open', targets: [TARGET], requirements: ['one'], indexUrl: `${s.url}/simple/` }, ADMIN);
  });
  after(() => s.stop());

  it('are public and immutable', async () => {
    const res = await fetch(`${s.url}/releases/open/manifest.json`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  });
});
