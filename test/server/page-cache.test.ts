// The page cache over real HTTP: a page survives changes to other projects (the cache counters
// show it is not rendered again) while a change to its own project shows at once; and a page
// that only gzip clients asked for is held in its gzip form alone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { approveFiles, yankFiles } from '../../src/repository/states.js';
import { newFile } from '../repository/support.js';
import { ADMIN, startTestServer, type TestServer } from './support.js';

const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';

interface ProjectJson {
  files: { filename: string; yanked: boolean | string }[];
}

describe('page cache', () => {
  let s: TestServer;
  const page = async (name: string, headers: Record<string, string> = {}) => {
    const r = await fetch(`${s.url}/simple/${name}/`, { headers: { accept: JSON_TYPE, ...headers } });
    assert.equal(r.status, 200, name);
    return (await r.json()) as ProjectJson;
  };
  const counter = async (name: string) => {
    const text = await (await fetch(`${s.url}/metrics`)).text();
    return Number(new RegExp(`^${name}\\{cache="pages"\\} (\\d+)$`, 'm').exec(text)![1]);
  };

  before(async () => {
    s = await startTestServer();
    await s.repo.catalog.transaction(async (tx) => {
      for (const project of ['alpha', 'beta']) await tx.files.insert(newFile({ project, version: '1.0', state: 'approved' }));
    });
  });
  after(() => s?.stop());

  it('keeps a page while other projects change, and shows a change to its own project at once', async () => {
    const alpha = await page('alpha');
    await page('beta');
    const misses = await counter('pyvet_cache_misses_total');

    // Another project changes: an upload lands in quarantine, then a yank.
    await s.repo.catalog.transaction((tx) => tx.files.insert(newFile({ project: 'beta', version: '2.0' })));
    assert.deepEqual(await page('alpha'), alpha);
    assert.equal(await counter('pyvet_cache_misses_total'), misses, 'alpha is not rendered again');
    assert.equal((await page('beta')).files.length, 1, 'a quarantined file stays invisible');
    assert.equal(await counter('pyvet_cache_misses_total'), misses + 1, 'beta is rendered again');

    await yankFiles(s.repo, 'beta==1.0', ADMIN, 'broken build');
    assert.equal((await page('beta')).files[0]!.yanked, 'broken build');
    await approveFiles(s.repo, 'beta==2.0', ADMIN, 'reviewed', { force: true });
    assert.equal((await page('beta')).files.length, 2);
    assert.deepEqual(await page('alpha'), alpha);
    assert.equal(await counter('pyvet_cache_misses_total'), misses + 3, 'only beta was rendered again, once per change');
  });

  it('holds only the gzip form of a page that only gzip clients asked for', async () => {
    await s.repo.catalog.transaction(async (tx) => {
      for (let i = 0; i < 20; i++) await tx.files.insert(newFile({ project: 'gamma', version: `1.${i}`, state: 'approved' }));
    });
    const bytes = () => counter('pyvet_cache_bytes');
    const before = await bytes();
    await page('gamma', { 'accept-encoding': 'gzip' });
    const gzipOnly = (await bytes()) - before;
    const plain = Buffer.from(await (await fetch(`${s.url}/simple/gamma/`, { headers: { accept: JSON_TYPE, 'accept-encoding': 'identity' } })).arrayBuffer());
    const both = (await bytes()) - before;
    assert.ok(plain.length > 4000, `a page of some size (${plain.length} bytes)`);
    assert.ok(gzipOnly < plain.length / 2, `gzip only: ${gzipOnly} bytes held for a ${plain.length}-byte page`);
    assert.equal(both - gzipOnly, plain.length, 'the plain form is added once a client asks for it');
  });
});
