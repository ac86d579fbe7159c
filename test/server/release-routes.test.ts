// /releases/… over real HTTP: caching rules that follow anonymous reading, and the `latest` alias.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRelease } from '../../src/releases/service.js';
import { verifyRelease } from '../../src/releases/verify.js';
import { runCliAsync } from '../helpers/cli.js';
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

describe('the latest alias', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
    await s.repo.catalog.files.insert(newRow({ name: 'one', version: '1.0' }));
    await s.repo.catalog.files.insert(newRow({ name: 'one', version: '2.0' }));
  });
  after(() => s.stop());

  it('is 404 until there is a release, then serves the newest release, which verifies', async () => {
    assert.equal((await fetch(`${s.url}/releases/latest/manifest.json`)).status, 404);
    const release = (name: string, req: string, created: string) =>
      createRelease(s.repo, { name, targets: [TARGET], requirements: [req], indexUrl: `${s.url}/simple/`, created }, ADMIN);
    await release('2026.11.30', 'one==2.0', '2026-11-30T00:00:00Z');
    await release('2026.11.01', 'one==1.0', '2026-11-01T00:00:00Z');
    const page = await fetch(`${s.url}/releases/latest/?format=json`);
    assert.equal(page.status, 200);
    assert.equal(((await page.json()) as { name: string }).name, '2026.11.30');
    const alias = await fetch(`${s.url}/releases/latest/manifest.json`);
    assert.equal(alias.status, 200);
    // The alias moves with the next release: revalidated, never immutable.
    assert.equal(alias.headers.get('cache-control'), 'no-cache');
    const dated = await fetch(`${s.url}/releases/2026.11.30/manifest.json`);
    assert.equal(await alias.text(), await dated.text());
    const report = await verifyRelease(`${s.url}/releases/latest/`);
    assert.deepEqual([report.ok, report.release], [true, '2026.11.30'], JSON.stringify(report));
    const shown = await runCliAsync(s.dataDir, ['--json', 'release', 'show', 'latest']);
    assert.equal(shown.status, 0, shown.stderr);
    const details = JSON.parse(shown.stdout) as { name: string; pins: { version: string }[]; signingKey: { signsThisRelease: boolean } };
    assert.deepEqual([details.name, details.pins[0]!.version, details.signingKey.signsThisRelease], ['2026.11.30', '2.0', true]);
  });
});
