// Currency end to end on loopback: what is outdated, what is vulnerable and which upstream
// version fixes it, and the 'patch a high-severity problem quickly' path: upgrade-plan
// --security-only --apply mirrors the fix and drafts a patch release that keeps closure.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRelease, showRelease } from '../../src/releases/service.js';
import { approveFiles, } from '../../src/repository/index.js';
import type { Repository } from '../../src/repository/types.js';
import { getTargets } from '../../src/resolve/targets.js';
import { outdated, planUpgrades } from '../../src/upstream/currency.js';
import { mirror } from '../../src/upstream/mirror.js';
import { setPolicy } from '../../src/vetting/policy.js';
import { tempDir } from '../helpers/paths.js';
import type { StaticServer, } from '../helpers/static-server.js';
import { ADMIN, advise, TARGET, withUpstream, } from './currency-support.js';

describe('currency: outdated, vulnerable, and a security patch release', () => {
  const tmp = tempDir();
  let up: StaticServer;
  let repo: Repository;

  before(async () => {
    ({ up, repo } = await withUpstream(tmp.path, [
      { name: 'curr-app', version: '1.0', requires: ['curr-lib>=1.0'] },
      { name: 'curr-lib', version: '1.0' },
      { name: 'curr-lib', version: '1.5' },
      { name: 'curr-lib', version: '2.0', requires: ['curr-extra'] },
      { name: 'curr-lib', version: '2.1rc1' },
      { name: 'curr-extra', version: '0.1' },
    ], join(tmp.path, 'data')));
    const targets = getTargets(repo.config, [TARGET]);
    await mirror(repo, { actor: ADMIN, requirements: ['curr-app==1.0', 'curr-lib==1.0'], targets, withDeps: true });
    await approveFiles(repo, 'all waiting', ADMIN, 'baseline');
    await createRelease(repo, { name: 'base-1', targets: [TARGET], requirements: ['curr-app'], indexUrl: 'http://127.0.0.1:1/simple/' }, ADMIN);
    // A newly published advisory: curr-lib before 1.5 is critically vulnerable (named as written upstream).
    await advise(repo, tmp.path, 'PYSEC-TEST-1', 'Curr_Lib', [{ introduced: '0', fixed: '1.5' }]);
  });
  after(async () => {
    await repo.close();
    await up.close();
    tmp.cleanup();
  });

  test('outdated: newest stable upstream, how far behind, the advisory and the lowest fix', async () => {
    const r = await outdated(repo);
    const lib = r.projects.find((p) => p.project === 'curr-lib')!;
    assert.deepEqual(lib.hosted, ['1.0']);
    assert.equal(lib.newest, '2.0', 'pre-releases are not offered unless asked for');
    assert.equal(lib.behind, 2);
    assert.deepEqual(lib.vulnerable, [{ version: '1.0', advisories: ['PYSEC-TEST-1'], fix: { version: '1.5', hosted: false } }]);
    assert.equal(lib.lowestFix, '1.5');
    assert.equal(lib.lowestFixHosted, false);
    const app = r.projects.find((p) => p.project === 'curr-app')!;
    assert.equal(app.behind, 0);
    assert.equal((await outdated(repo, { prereleases: true })).projects.find((p) => p.project === 'curr-lib')?.newest, '2.1rc1');
  });

  test('upgrade-plan: all upgrades follow new dependencies; security-only picks the lowest fix', async () => {
    const full = await planUpgrades(repo, { actor: ADMIN });
    assert.deepEqual(full.upgrades.map((u) => [u.project, u.to]), [['curr-lib', '2.0']]);
    assert.ok(full.newFiles.some((f) => f.filename.startsWith('curr_extra-0.1')), 'the new dependency is part of the plan');
    assert.ok(full.closure.every((t) => t.closed));
    // Planning stores nothing.
    assert.equal(await repo.catalog.files.getByFilename('curr_lib-2.0-py3-none-any.whl'), undefined);

    const sec = await planUpgrades(repo, { actor: ADMIN, securityOnly: true });
    assert.deepEqual(sec.upgrades.map((u) => [u.project, u.to]), [['curr-lib', '1.5']]);
    assert.deepEqual(sec.closure.map((t) => [t.target, t.closed]), [[TARGET, true]]);
  });

  test('--apply mirrors the fix and, with auto-approval, drafts the patch release', async () => {
    const policy = join(tmp.path, 'policy.yaml');
    writeFileSync(policy, 'auto_approve: true\ntyposquat:\n  enabled: false\n');
    await setPolicy(repo, policy, ADMIN);
    const plan = await planUpgrades(repo, { actor: ADMIN, securityOnly: true, apply: true });
    assert.deepEqual(plan.applied?.waiting, []);
    assert.ok(plan.applied?.release, JSON.stringify(plan.skipped));
    const release = await showRelease(repo, plan.applied!.release!);
    assert.equal(release.base, 'base-1');
    const pins = release.pins.map((p) => `${p.project}==${p.version}`).sort();
    assert.deepEqual(pins, ['curr-app==1.0', 'curr-lib==1.5']);
  });
});
