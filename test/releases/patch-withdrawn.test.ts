// The security fast path: patching a release whose pinned file of the project being upgraded
// was yanked or rejected; only carried-over pins must still be approved.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PyvetError } from '../../src/errors.js';
import { createRelease, patchRelease } from '../../src/releases/service.js';
import { rejectFiles, yankFiles } from '../../src/repository/states.js';
import { repoWith } from '../resolve/support.js';
import { ADMIN } from '../server/support.js';

const LINUX = 'cp311-manylinux_x86_64';
const URL = 'https://p.example/simple/';

describe('release patch of a withdrawn pin', () => {
  let t: Awaited<ReturnType<typeof repoWith>>;
  before(async () => {
    t = await repoWith([
      { name: 'acme-app', version: '1.0', deps: ['zipp>=3', 'acme-lib'] },
      { name: 'zipp', version: '3.23.0' },
      { name: 'zipp', version: '4.1.0' },
      { name: 'acme-lib', version: '1.0' },
    ]);
    await createRelease(t.repo, { name: 'base', targets: [LINUX], requirements: ['acme-app', 'zipp==3.23.0'], indexUrl: URL }, ADMIN);
  });
  after(() => t.cleanup());
  const fn = (name: string, version: string) => t.files.find((f) => f.project === name && f.version === version)!.filename;

  it('upgrading the project whose pinned file was yanked is accepted', async () => {
    await yankFiles(t.repo, fn('zipp', '3.23.0'), ADMIN, 'newly vulnerable');
    const p = await patchRelease(t.repo, 'base', { upgrades: ['zipp==4.1.0'], name: 'p-yank' }, ADMIN);
    assert.deepEqual(p.pins.map((x) => `${x.project}==${x.version}`), ['acme-app==1.0', 'acme-lib==1.0', 'zipp==4.1.0']);
  });

  it('and when it was rejected', async () => {
    await rejectFiles(t.repo, fn('zipp', '3.23.0'), ADMIN, 'malicious');
    const p = await patchRelease(t.repo, 'base', { upgrades: ['zipp==4.1.0'], name: 'p-reject' }, ADMIN);
    assert.equal(p.pins.find((x) => x.project === 'zipp')!.version, '4.1.0');
  });

  it('a carried-over pin that is withdrawn still refuses the patch', async () => {
    await yankFiles(t.repo, fn('acme-lib', '1.0'), ADMIN, 'broken');
    await assert.rejects(patchRelease(t.repo, 'base', { upgrades: ['zipp==4.1.0'], name: 'p-lib' }, ADMIN), (e: PyvetError) => {
      assert.equal(e.code, 'PATCH_REFUSED');
      assert.match(e.message, /acme_lib-1\.0-py3-none-any\.whl of the base is no longer approved/);
      assert.doesNotMatch(e.message, /zipp/);
      return true;
    });
  });
});
