// Currency, the patch release an applied plan drafts, on loopback: it pins every project the
// upgraded versions need that the base release lacks, whether those files were just mirrored or
// were hosted already (at the version the resolver picks); the plan shows those new
// dependencies and the hosted versions it upgrades from; an --apply that drafts no release
// exits non-zero with the plan, the mirror summary and a next step that works; and a fix for a
// project the release does not contain is said plainly, with a command that works to add it.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRelease, showRelease } from '../../src/releases/service.js';
import { approveFiles, openRepository } from '../../src/repository/index.js';
import type { Repository } from '../../src/repository/types.js';
import { getTargets } from '../../src/resolve/targets.js';
import { mirror } from '../../src/upstream/mirror.js';
import { setPolicy } from '../../src/vetting/policy.js';
import { runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import type { StaticServer, } from '../helpers/static-server.js';
import { ADMIN, advise, TARGET, withUpstream } from './currency-support.js';

async function autoApprove(repo: Repository, dir: string): Promise<void> {
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, 'auto_approve: true\ntyposquat:\n  enabled: false\n');
  await setPolicy(repo, policy, ADMIN);
}

/** The table row of a project in a text output. */
function row(text: string, project: string): string | undefined {
  return text.split('\n').find((l) => l.startsWith(`│ ${project} `));
}

/** The `pyvet release patch …` command a text output suggests after `prefix`, as arguments. */
function suggested(text: string, prefix: RegExp): string[] {
  const m = new RegExp(`${prefix.source}.*?pyvet (release patch [^\\n]*?)(?:\\)|$)`, 'm').exec(text);
  assert.ok(m, `no suggested command after ${prefix} in:\n${text}`);
  return m[1]!.trim().split(/\s+/);
}

describe('a security fix whose new dependency is hosted already', () => {
  const tmp = tempDir();
  const data = join(tmp.path, 'data');
  let up: StaticServer;

  before(async () => {
    const started = await withUpstream(tmp.path, [
      { name: 'ph-app', version: '1.0', requires: ['ph-black>=22'] },
      { name: 'ph-black', version: '22.12.0', requires: ['ph-click>=8'] },
      { name: 'ph-black', version: '26.5.1', requires: ['ph-click>=8', 'ph-tokens~=0.4.0'] },
      { name: 'ph-click', version: '8.0' },
      { name: 'ph-tokens', version: '0.4.0' },
      { name: 'ph-tokens', version: '0.4.1' },
      { name: 'ph-tokens', version: '0.5.0' },
    ], data);
    up = started.up;
    const repo = started.repo;
    try {
      const targets = getTargets(repo.config, [TARGET]);
      await mirror(repo, { actor: ADMIN, requirements: ['ph-app==1.0', 'ph-black==22.12.0'], targets, withDeps: true });
      await approveFiles(repo, 'all waiting', ADMIN, 'baseline');
      await createRelease(repo, { name: 'ph-1', targets: [TARGET], requirements: ['ph-app'], indexUrl: 'http://127.0.0.1:1/simple/' }, ADMIN);
      // The fix and its new dependency come in later and are approved; a newer pytokens the fix does not accept too.
      await mirror(repo, { actor: ADMIN, requirements: ['ph-black==26.5.1', 'ph-tokens==0.4.0', 'ph-tokens==0.4.1', 'ph-tokens==0.5.0'], targets });
      await approveFiles(repo, 'all waiting', ADMIN, 'the fix');
      await advise(repo, tmp.path, 'PYSEC-PH-1', 'ph-black', [{ introduced: '0', fixed: '26.5.1' }]);
      await autoApprove(repo, tmp.path);
    } finally {
      await repo.close();
    }
  });
  after(async () => {
    await up.close();
    tmp.cleanup();
  });

  test('the plan shows the new dependency and upgrades only from the hosted versions below the fix', async () => {
    const r = await runCliAsync(data, ['upgrade-plan', '--security-only']);
    assert.equal(r.status, 0, r.stderr);
    const black = row(r.stdout, 'ph-black');
    assert.ok(black, r.stdout);
    const cells = black.split('│').map((c) => c.trim());
    assert.equal(cells[2], '22.12.0', 'from: only the hosted version upgraded from, not the one moved to');
    assert.equal(cells[3], '26.5.1 (hosted)');
    const dep = row(r.stdout, 'ph-tokens');
    assert.ok(dep, `the new dependency is shown:\n${r.stdout}`);
    assert.match(dep, /0\.4\.1/);
    assert.match(dep, /new dependency/);
    assert.match(dep, /ph-black/);

    const json = await runCliAsync(data, ['--json', 'upgrade-plan', '--security-only']);
    const plan = JSON.parse(json.stdout) as { upgrades: { project: string; from: string[] }[]; patch: { base: string; upgrades: string[] } };
    assert.deepEqual(plan.upgrades.map((u) => [u.project, u.from]), [['ph-black', ['22.12.0']]]);
    assert.deepEqual(plan.patch.base, 'ph-1');
    assert.deepEqual(plan.patch.upgrades, ['ph-black==26.5.1', 'ph-tokens==0.4.1']);
  });

  test('--apply drafts the patch with the hosted new dependency at the version the resolver picks', async () => {
    const r = await runCliAsync(data, ['upgrade-plan', '--security-only', '--apply']);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /drafted release ph-1\.post1/);
    const repo = await openRepository({ dataDir: data, logLevel: 'warn' });
    try {
      const release = await showRelease(repo, 'ph-1.post1');
      assert.equal(release.base, 'ph-1');
      assert.deepEqual(release.pins.map((p) => `${p.project}==${p.version}`).sort(), [
        'ph-app==1.0',
        'ph-black==26.5.1',
        'ph-click==8.0',
        'ph-tokens==0.4.1',
      ]);
    } finally {
      await repo.close();
    }
  });

  test('once the latest release pins the fix, --apply drafts nothing more and says why', async () => {
    const r = await runCliAsync(data, ['upgrade-plan', '--security-only', '--apply']);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /no release drafted/);
    assert.match(r.stdout, /ph-1\.post1 pins ph-black==26\.5\.1 already/);
    const repo = await openRepository({ dataDir: data, logLevel: 'warn' });
    try {
      assert.equal(await repo.catalog.releaseSets.get('ph-1.post2'), undefined);
    } finally {
      await repo.close();
    }
  });
});

describe('an applied plan that drafts no release, and a fix for a project the release lacks', () => {
  const tmp = tempDir();
  const data = join(tmp.path, 'data');
  let up: StaticServer;

  before(async () => {
    const started = await withUpstream(tmp.path, [
      { name: 'pn-app', version: '1.0', requires: ['pn-lib>=1'] },
      { name: 'pn-lib', version: '1.0' },
      { name: 'pn-lib', version: '2.0', requires: ['pn-new>=1'] },
      { name: 'pn-new', version: '1.0' },
      // Hosted, vulnerable, but in no release.
      { name: 'pn-black', version: '22.12.0', requires: ['pn-click>=8'] },
      { name: 'pn-black', version: '26.5.1', requires: ['pn-click>=8', 'pn-tokens~=0.4.0', 'pn-paths>=0.9'] },
      { name: 'pn-click', version: '8.0' },
      { name: 'pn-tokens', version: '0.4.1' },
      { name: 'pn-paths', version: '1.0' },
    ], data);
    up = started.up;
    const repo = started.repo;
    try {
      const targets = getTargets(repo.config, [TARGET]);
      await mirror(repo, { actor: ADMIN, requirements: ['pn-app==1.0', 'pn-lib==1.0', 'pn-black==22.12.0'], targets, withDeps: true });
      await approveFiles(repo, 'all waiting', ADMIN, 'baseline');
      await createRelease(repo, { name: 'pn-1', targets: [TARGET], requirements: ['pn-app'], indexUrl: 'http://127.0.0.1:1/simple/' }, ADMIN);
      await advise(repo, tmp.path, 'PYSEC-PN-1', 'pn-lib', [{ introduced: '0', fixed: '2.0' }]);
      await advise(repo, tmp.path, 'PYSEC-PN-2', 'pn-black', [{ introduced: '0', fixed: '26.5.1' }]);
      // No auto-approval: what is mirrored waits for review.
    } finally {
      await repo.close();
    }
  });
  after(async () => {
    await up.close();
    tmp.cleanup();
  });

  test('--apply exits non-zero with the plan, the mirror summary and next steps that work', async () => {
    const r = await runCliAsync(data, ['upgrade-plan', '--security-only', '--apply']);
    assert.equal(r.status, 7, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /UPGRADE_PATCH_NOT_DRAFTED/);
    assert.ok(row(r.stdout, 'pn-lib'), `the plan is printed:\n${r.stdout}`);
    assert.match(row(r.stdout, 'pn-new') ?? '', /new dependency/, 'with its new dependency');
    assert.match(r.stdout, /mirrored 5 files; no release drafted/);
    assert.match(r.stdout, /pn-black.*not in release pn-1/, 'the project the release lacks is said plainly');
    const patch = suggested(r.stderr, /approve/);
    assert.deepEqual(patch, ['release', 'patch', 'pn-1', '--upgrade', 'pn-lib==2.0', '--upgrade', 'pn-new==1.0']);
    const add = suggested(r.stdout, /not in release pn-1/);
    const json = await runCliAsync(data, ['--json', 'upgrade-plan', '--security-only', '--apply']);
    assert.equal(json.status, 7, json.stderr);
    const err = (JSON.parse(json.stdout) as { error: { code: string; details: { plan: { applied: { release: null; waiting: string[] } } } } }).error;
    assert.equal(err.code, 'UPGRADE_PATCH_NOT_DRAFTED');
    assert.equal(err.details.plan.applied.release, null);
    assert.equal(err.details.plan.applied.waiting.length, 5);

    const repo = await openRepository({ dataDir: data, logLevel: 'warn' });
    try {
      await approveFiles(repo, 'all waiting', ADMIN, 'reviewed');
    } finally {
      await repo.close();
    }
    const drafted = await runCliAsync(data, patch);
    assert.equal(drafted.status, 0, drafted.stderr);
    const added = await runCliAsync(data, add);
    assert.equal(added.status, 0, `${add.join(' ')}\n${added.stderr}`);
    const check = await openRepository({ dataDir: data, logLevel: 'warn' });
    try {
      const release = await showRelease(check, 'pn-1.post2');
      assert.deepEqual(release.pins.map((p) => `${p.project}==${p.version}`).sort(), [
        'pn-app==1.0',
        'pn-black==26.5.1',
        'pn-click==8.0',
        'pn-lib==2.0',
        'pn-new==1.0',
        'pn-paths==1.0',
        'pn-tokens==0.4.1',
      ]);
    } finally {
      await check.close();
    }
  });
});
