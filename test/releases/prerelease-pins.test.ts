// A pinned pre-release chosen by the resolver (one requirement names a pre-release) satisfies
// the other requirements on its project when the pinned set is re-checked, as in pip.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRelease, patchRelease } from '../../src/releases/service.js';
import { resolveIn } from '../../src/resolve/resolver.js';
import { getTargets } from '../../src/resolve/targets.js';
import { buildUniverse } from '../../src/resolve/universe.js';
import { repoWith } from '../resolve/support.js';
import { ADMIN } from '../server/support.js';

const LINUX = 'cp311-manylinux_x86_64';
const URL = 'https://p.example/simple/';

describe('releases pinning a pre-release', () => {
  let t: Awaited<ReturnType<typeof repoWith>>;
  before(async () => {
    t = await repoWith([
      { name: 'acme-app', version: '1.0', deps: ['acme-c>=2'] },
      { name: 'acme-pre', version: '1.0', deps: ['acme-c>=3.0rc1'] },
      { name: 'acme-c', version: '2.0' },
      { name: 'acme-c', version: '3.0rc1' },
    ]);
  });
  after(() => t.cleanup());

  it('create: the set the resolver picks is released', async () => {
    const files = await t.repo.catalog.files.list({ states: ['approved'] });
    const universe = buildUniverse(files, getTargets(t.repo.config, [LINUX])[0]!);
    const resolved = resolveIn(universe, ['acme-app', 'acme-pre']).pins.map((p) => `${p.project}==${p.version}`);
    assert.deepEqual(resolved, ['acme-app==1.0', 'acme-c==3.0rc1', 'acme-pre==1.0']);
    const r = await createRelease(t.repo, { name: 'r', targets: [LINUX], requirements: ['acme-app', 'acme-pre'], indexUrl: URL }, ADMIN);
    assert.deepEqual(r.pins.map((p) => `${p.project}==${p.version}`), resolved);
  });

  it('patch: upgrading to the pre-release is accepted', async () => {
    await createRelease(t.repo, { name: 'base', targets: [LINUX], requirements: ['acme-app'], indexUrl: URL }, ADMIN);
    const p = await patchRelease(t.repo, 'base', { upgrades: ['acme-c==3.0rc1'] }, ADMIN);
    assert.deepEqual(p.pins.map((x) => `${x.project}==${x.version}`), ['acme-app==1.0', 'acme-c==3.0rc1']);
  });
});
