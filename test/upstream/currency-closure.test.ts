// Currency, the plan's two promises on loopback: an upgrade plan keeps closure (a newest version
// whose dependencies no upstream has gives way to the newest one that closes, and --apply of a
// plan that is not closed mirrors nothing), and a fix that is already hosted counts as a fix
// (outdated names it per affected version; the security plan moves to it without a download).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRelease, showRelease } from '../../src/releases/service.js';
import { approveFiles, openRepository } from '../../src/repository/index.js';
import type { Repository } from '../../src/repository/types.js';
import { getTargets } from '../../src/resolve/targets.js';
import { outdated, planUpgrades } from '../../src/upstream/currency.js';
import { mirror } from '../../src/upstream/mirror.js';
import { setPolicy } from '../../src/vetting/policy.js';
import { runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import type { StaticServer, } from '../helpers/static-server.js';
import { ADMIN, advise, TARGET, withUpstream, } from './currency-support.js';

async function autoApprove(repo: Repository, dir: string): Promise<void> {
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, 'auto_approve: true\ntyposquat:\n  enabled: false\n');
  await setPolicy(repo, policy, ADMIN);
}

describe('upgrade-plan keeps closure', () => {
  const tmp = tempDir();
  let up: StaticServer;
  let repo: Repository;

  before(async () => {
    ({ up, repo } = await withUpstream(tmp.path, [
      { name: 'cc-app', version: '1.0', requires: ['cc-requests>=1'] },
      { name: 'cc-requests', version: '1.0', requires: ['cc-urllib>=1'] },
      { name: 'cc-requests', version: '1.5', requires: ['cc-urllib>=1'] },
      // The newest release needs a project no upstream has.
      { name: 'cc-requests', version: '2.0', requires: ['cc-urllib>=1', 'ghostdep>=1'] },
      { name: 'cc-urllib', version: '1.0' },
      { name: 'cc-urllib', version: '2.0' },
    ], join(tmp.path, 'data')));
    await mirror(repo, { actor: ADMIN, requirements: ['cc-app==1.0', 'cc-requests==1.0', 'cc-urllib==1.0'], targets: getTargets(repo.config, [TARGET]), withDeps: true });
    await approveFiles(repo, 'all waiting', ADMIN, 'baseline');
    await createRelease(repo, { name: 'cc-1', targets: [TARGET], requirements: ['cc-app'], indexUrl: 'http://127.0.0.1:1/simple/' }, ADMIN);
    await advise(repo, tmp.path, 'PYSEC-CC-1', 'cc-requests', [{ introduced: '0', fixed: '1.5' }]);
  });
  after(async () => {
    await repo.close();
    await up.close();
    tmp.cleanup();
  });

  test('the newest version that keeps closure, and why the newer one was passed over', async () => {
    const plan = await planUpgrades(repo, { actor: ADMIN });
    assert.deepEqual(
      plan.upgrades.map((u) => [u.project, u.to]),
      [
        ['cc-requests', '1.5'],
        ['cc-urllib', '2.0'],
      ],
    );
    assert.deepEqual(plan.closure, [{ target: TARGET, closed: true, problems: [] }]);
    const requests = plan.upgrades.find((u) => u.project === 'cc-requests')!;
    assert.ok(requests.reasons.some((r) => r.includes('2.0') && r.includes('ghostdep')), requests.reasons.join('; '));
    assert.ok(!plan.newFiles.some((f) => f.filename.startsWith('cc_requests-2.0')));

    const sec = await planUpgrades(repo, { actor: ADMIN, securityOnly: true });
    assert.deepEqual(sec.upgrades.map((u) => [u.project, u.to]), [['cc-requests', '1.5']]);
    assert.ok(sec.closure.every((t) => t.closed));
  });

  test('--apply mirrors the closed plan and drafts the patch release', async () => {
    await autoApprove(repo, tmp.path);
    const plan = await planUpgrades(repo, { actor: ADMIN, apply: true });
    assert.deepEqual(plan.applied?.mirror.failed, []);
    assert.equal(await repo.catalog.files.getByFilename('cc_requests-2.0-py3-none-any.whl'), undefined, 'the version that breaks closure is not mirrored');
    assert.ok(plan.applied?.release, JSON.stringify(plan.skipped));
    const release = await showRelease(repo, plan.applied!.release!);
    assert.equal(release.base, 'cc-1');
    assert.deepEqual(release.pins.map((p) => `${p.project}==${p.version}`).sort(), ['cc-app==1.0', 'cc-requests==1.5', 'cc-urllib==2.0']);
  });
});

describe('upgrade-plan --apply refuses a plan that is not closed', () => {
  const tmp = tempDir();
  const data = join(tmp.path, 'data');
  let up: StaticServer;

  before(async () => {
    const started = await withUpstream(tmp.path, [
      { name: 'cx-orphan', version: '1.0', requires: ['ghostdep>=1'] },
      { name: 'cx-lib', version: '1.0' },
      { name: 'cx-lib', version: '2.0' },
    ], data);
    up = started.up;
    const repo = started.repo;
    // Hosted without its dependency: whatever is upgraded, the set stays open.
    await mirror(repo, { actor: ADMIN, requirements: ['cx-orphan==1.0', 'cx-lib==1.0'], targets: getTargets(repo.config, [TARGET]) });
    await approveFiles(repo, 'all waiting', ADMIN, 'baseline');
    await autoApprove(repo, tmp.path);
    await repo.close();
  });
  after(async () => {
    await up.close();
    tmp.cleanup();
  });

  test('nothing is mirrored; the plan and the reason are shown', async () => {
    const r = await runCliAsync(data, ['upgrade-plan', '--apply']);
    assert.equal(r.status, 7, r.stderr);
    assert.match(r.stdout, /cx-lib/, 'the refused plan is printed');
    assert.match(r.stderr, /UPGRADE_PLAN_NOT_CLOSED/);
    assert.match(r.stderr, /ghostdep>=1 \(needed by cx-orphan==1\.0\)/);
    const json = await runCliAsync(data, ['--json', 'upgrade-plan', '--apply']);
    assert.equal(json.status, 7, json.stderr);
    const err = (JSON.parse(json.stdout) as { error: { code: string; details: { plan: { upgrades: { to: string }[] } } } }).error;
    assert.equal(err.code, 'UPGRADE_PLAN_NOT_CLOSED');
    assert.deepEqual(err.details.plan.upgrades.map((u) => u.to), ['2.0']);
    const repo = await openRepository({ dataDir: data, logLevel: 'warn' });
    try {
      assert.equal(await repo.catalog.files.getByFilename('cx_lib-2.0-py3-none-any.whl'), undefined);
    } finally {
      await repo.close();
    }
  });
});

describe('a fix that is already hosted', () => {
  const tmp = tempDir();
  let up: StaticServer;
  let repo: Repository;

  before(async () => {
    ({ up, repo } = await withUpstream(tmp.path, [
      { name: 'hf-app', version: '1.0', requires: ['hf-urllib>=1'] },
      { name: 'hf-urllib', version: '1.26.4' },
      { name: 'hf-urllib', version: '1.26.18' },
      { name: 'hf-urllib', version: '2.0.5' },
      { name: 'hf-urllib', version: '2.0.7' },
    ], join(tmp.path, 'data')));
    const targets = getTargets(repo.config, [TARGET]);
    await mirror(repo, { actor: ADMIN, requirements: ['hf-app==1.0', 'hf-urllib==1.26.4', 'hf-urllib==2.0.5'], targets, withDeps: true });
    await approveFiles(repo, 'all waiting', ADMIN, 'baseline');
    await createRelease(repo, { name: 'hf-1', targets: [TARGET], requirements: ['hf-app'], indexUrl: 'http://127.0.0.1:1/simple/' }, ADMIN);
    // The fix comes in later, and is the newest upstream version.
    await mirror(repo, { actor: ADMIN, requirements: ['hf-urllib==2.0.7'], targets });
    await approveFiles(repo, 'all waiting', ADMIN, 'the fix');
    await advise(repo, tmp.path, 'PYSEC-HF-1', 'hf-urllib', [
      { introduced: '0', fixed: '1.26.18' },
      { introduced: '2.0.0', fixed: '2.0.7' },
    ]);
  });
  after(async () => {
    await repo.close();
    await up.close();
    tmp.cleanup();
  });

  test('outdated: per affected version its lowest fix, and whether it is hosted', async () => {
    const lib = (await outdated(repo)).projects.find((p) => p.project === 'hf-urllib')!;
    assert.deepEqual(lib.hosted, ['2.0.7', '2.0.5', '1.26.4']);
    assert.equal(lib.behind, 0);
    assert.deepEqual(lib.vulnerable, [
      { version: '2.0.5', advisories: ['PYSEC-HF-1'], fix: { version: '2.0.7', hosted: true } },
      { version: '1.26.4', advisories: ['PYSEC-HF-1'], fix: { version: '1.26.18', hosted: false } },
    ]);
    assert.equal(lib.lowestFix, '2.0.7');
    assert.equal(lib.lowestFixHosted, true);
  });

  test('upgrade-plan --security-only moves to the hosted fix; --apply downloads nothing', async () => {
    const plan = await planUpgrades(repo, { actor: ADMIN, securityOnly: true });
    assert.deepEqual(plan.upgrades.map((u) => [u.project, u.to, u.hosted]), [['hf-urllib', '2.0.7', true]]);
    assert.deepEqual(plan.skipped, []);
    assert.deepEqual(plan.newFiles, []);
    assert.ok(plan.closure.every((t) => t.closed));

    await autoApprove(repo, tmp.path);
    const downloads = () => up.log.filter((p) => p.startsWith('/files/')).length;
    const before = downloads();
    const applied = await planUpgrades(repo, { actor: ADMIN, securityOnly: true, apply: true });
    assert.equal(downloads(), before, 'nothing is downloaded for a hosted fix');
    assert.ok(applied.applied?.release, JSON.stringify(applied.skipped));
    const release = await showRelease(repo, applied.applied!.release!);
    assert.equal(release.base, 'hf-1');
    assert.deepEqual(release.pins.map((p) => `${p.project}==${p.version}`).sort(), ['hf-app==1.0', 'hf-urllib==2.0.7']);
  });
});
