// The mirror against hostile or failing upstreams on loopback: credentials stay with the index's
// origin, downloads are bounded, links cannot reach local files, one failing page does not sink
// the run, and a requirements file means what pip says it means.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initRepository, openRepository } from '../../src/repository/index.js';
import type { Repository } from '../../src/repository/types.js';
import { getTargets } from '../../src/resolve/targets.js';
import { mirror } from '../../src/upstream/mirror.js';
import { addUpstream } from '../../src/upstream/upstreams.js';
import { tempDir } from '../helpers/paths.js';
import { type Loopback, serveDir, startLoopback, wheel, writeIndex } from './loopback.js';

const ADMIN = { name: 'cli:test', role: 'admin' as const };
const TARGET = 'cp311-manylinux_x86_64';

async function newRepo(dir: string): Promise<Repository> {
  await initRepository(dir);
  return openRepository({ dataDir: dir, logLevel: 'warn' });
}

describe('upstream credentials go only to the index origin', () => {
  const tmp = tempDir();
  const creds = { username: 'alice', password: 's3cret-token' };
  let index: Loopback;
  let cdn: Loopback;
  let repo: Repository;

  before(async () => {
    const local = wheel('on-index', '1.0');
    const remote = wheel('on-cdn', '1.0');
    // The CDN serves its files to anyone, and records what it is sent.
    writeIndex(join(tmp.path, 'cdn'), [remote]);
    cdn = await startLoopback(serveDir(join(tmp.path, 'cdn')));
    writeIndex(join(tmp.path, 'index'), [local]);
    writeIndex(join(tmp.path, 'index'), [remote], `${cdn.url}/files/`);
    index = await startLoopback(serveDir(join(tmp.path, 'index')), { basic: creds });
    repo = await newRepo(join(tmp.path, 'data'));
    process.env.PYVET_TEST_UPSTREAM_TOKEN = creds.password;
    await addUpstream(repo, { name: 'private', url: `${index.url}/simple/`, username: creds.username, passwordEnv: 'PYVET_TEST_UPSTREAM_TOKEN' }, ADMIN);
  });
  after(async () => {
    delete process.env.PYVET_TEST_UPSTREAM_TOKEN;
    await repo.close();
    await index.close();
    await cdn.close();
    tmp.cleanup();
  });

  test('a file linked on another host is fetched without the Authorization header', async () => {
    const r = await mirror(repo, { actor: ADMIN, requirements: ['on-index', 'on-cdn'], targets: getTargets(repo.config, [TARGET]) });
    assert.deepEqual(r.failed, []);
    assert.deepEqual(r.fetched.map((f) => f.filename).sort(), ['on_cdn-1.0-py3-none-any.whl', 'on_index-1.0-py3-none-any.whl']);
    assert.ok(cdn.requests.some((q) => q.path.endsWith('on_cdn-1.0-py3-none-any.whl')));
    for (const q of cdn.requests) assert.equal(q.headers.authorization, undefined, `${q.path} was sent the upstream's credentials`);
    // The index's own files still get them (it answers 401 otherwise).
    assert.ok(index.requests.some((q) => q.path.endsWith('on_index-1.0-py3-none-any.whl') && q.headers.authorization));
  });
});
