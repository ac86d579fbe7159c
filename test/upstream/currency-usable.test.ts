// Currency, what an upgrade plan may move to, on loopback: a project published here is never bound
// to a same-name public package (nor brought in as a new dependency), one of mixed origins only when
// named; a fix with no wheel, a fix yanked here, and a fix whose new dependency is itself known to
// be vulnerable are stepped past, saying why; and a newer quarantined version affected by another
// advisory does not hide the fix of the version in use.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { importAdvisories } from '../../src/advisories/import.js';
import { approveFiles, ingestFile, initRepository, openRepository, yankFiles } from '../../src/repository/index.js';
import type { Repository } from '../../src/repository/types.js';
import { getTargets } from '../../src/resolve/targets.js';
import { outdated, planUpgrades } from '../../src/upstream/currency.js';
import { mirror } from '../../src/upstream/mirror.js';
import { addUpstream } from '../../src/upstream/upstreams.js';
import { buildSdist, buildWheel } from '../helpers/archives.js';
import { runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { type StaticServer, startStaticServer } from '../helpers/static-server.js';
import { ADMIN, TARGET } from './currency-support.js';

type Dist = { name: string; version: string; requires?: string[]; sdist?: boolean };

/** A PEP 503 tree of wheels (or sdists) under root. */
async function writeTree(root: string, dists: Dist[]): Promise<void> {
  mkdirSync(join(root, 'files'), { recursive: true });
  const pages = new Map<string, string[]>();
  for (const d of dists) {
    const { filename, bytes } = d.sdist
      ? await buildSdist({ name: d.name.replace(/-/g, '_'), version: d.version })
      : buildWheel({ name: d.name, version: d.version, metadataLines: (d.requires ?? []).map((r) => `Requires-Dist: ${r}`) });
    writeFileSync(join(root, 'files', filename), bytes);
    const sha = createHash('sha256').update(bytes).digest('hex');
    pages.set(d.name, [...(pages.get(d.name) ?? []), `<a href="../../files/${filename}#sha256=${sha}">${filename}</a>`]);
  }
  for (const [project, links] of pages) {
    mkdirSync(join(root, 'simple', project), { recursive: true });
    writeFileSync(join(root, 'simple', project, 'index.html'), links.join('\n'));
  }
}

/** One OSV advisory; `fixed` null: no fix known. */
async function advise(repo: Repository, dir: string, id: string, name: string, introduced: string, fixed: string | null, vector?: string): Promise<void> {
  const events = fixed ? [{ introduced }, { fixed }] : [{ introduced }];
  const record = {
    id,
    modified: '2026-11-01T00:00:00Z',
    summary: `test advisory for ${name}`,
    severity: [{ type: 'CVSS_V3', score: vector ?? 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    affected: [{ package: { ecosystem: 'PyPI', name }, ranges: [{ type: 'ECOSYSTEM', events }] }],
  };
  const file = join(dir, `${id}.jsonl`);
  writeFileSync(file, `${JSON.stringify(record)}\n`);
  await importAdvisories(repo, file, ADMIN);
}

describe('what an upgrade plan may move to', () => {
  const tmp = tempDir();
  const data = join(tmp.path, 'data');
  let up: StaticServer;
  let repo: Repository;

  before(async () => {
    await writeTree(join(tmp.path, 'up'), [
      // A public namesake of a project published here, and a project whose new version needs it.
      { name: 'cv-corp-tool', version: '9.9' },
      { name: 'cv-user', version: '1.0' },
      { name: 'cv-user', version: '1.5' },
      { name: 'cv-user', version: '2.0', requires: ['cv-corp-tool>=9'] },
      // Mirrored, and a version added here besides.
      { name: 'cv-mixed', version: '1.0' },
      { name: 'cv-mixed', version: '2.0' },
      // The lowest fix is an sdist only.
      { name: 'cv-vulnb', version: '1.0' },
      { name: 'cv-vulnb', version: '1.1', sdist: true },
      { name: 'cv-vulnb', version: '2.0' },
      // A newer version (kept in quarantine) is affected by another advisory.
      { name: 'cv-vulnc', version: '1.0' },
      { name: 'cv-vulnc', version: '1.1' },
      { name: 'cv-vulnc', version: '2.0' },
      // The lowest fix needs a library with an unfixed critical advisory.
      { name: 'cv-vulnd', version: '1.0' },
      { name: 'cv-vulnd', version: '1.1', requires: ['cv-badlib>=1'] },
      { name: 'cv-vulnd', version: '1.2' },
      { name: 'cv-badlib', version: '1.0' },
      // The lowest fix was yanked here.
      { name: 'cv-vulne', version: '1.0' },
      { name: 'cv-vulne', version: '1.1' },
      { name: 'cv-vulne', version: '1.2' },
    ]);
    up = await startStaticServer(join(tmp.path, 'up'));
    await initRepository(data, { logLevel: 'warn' });
    repo = await openRepository({ dataDir: data, logLevel: 'warn' });
    await addUpstream(repo, { name: 'up', url: `${up.url}/simple/` }, ADMIN);
    const policy = join(tmp.path, 'policy.yaml');
    writeFileSync(policy, 'typosquat:\n  enabled: false\n');
    const { setPolicy } = await import('../../src/vetting/policy.js');
    await setPolicy(repo, policy, ADMIN);

    const local = (name: string, version: string) => {
      const { filename, bytes } = buildWheel({ name, version });
      const path = join(tmp.path, filename);
      writeFileSync(path, bytes);
      return ingestFile(repo, path, { actor: ADMIN, origin: 'local' });
    };
    await local('cv-corp-tool', '1.0');
    await local('cv-mixed', '1.1');
    const targets = getTargets(repo.config, [TARGET]);
    await mirror(repo, {
      actor: ADMIN,
      requirements: ['cv-user==1.0', 'cv-mixed==1.0', 'cv-vulnb==1.0', 'cv-vulnc==1.0', 'cv-vulnd==1.0', 'cv-vulne==1.0', 'cv-vulne==1.1'],
      targets,
    });
    await approveFiles(repo, 'all waiting', ADMIN, 'baseline');
    await yankFiles(repo, 'cv-vulne==1.1', ADMIN, 'breaks the build');
    await mirror(repo, { actor: ADMIN, requirements: ['cv-vulnc==2.0'], targets });
    await advise(repo, tmp.path, 'PYSEC-CV-B', 'cv-vulnb', '0', '1.1');
    await advise(repo, tmp.path, 'PYSEC-CV-C1', 'cv-vulnc', '0', '1.1');
    await advise(repo, tmp.path, 'PYSEC-CV-C2', 'cv-vulnc', '2.0', null);
    await advise(repo, tmp.path, 'PYSEC-CV-D', 'cv-vulnd', '0', '1.1');
    await advise(repo, tmp.path, 'PYSEC-CV-BAD', 'cv-badlib', '0', null);
    await advise(repo, tmp.path, 'PYSEC-CV-E', 'cv-vulne', '0', '1.1');
  });
  after(async () => {
    await repo.close();
    await up.close();
    tmp.cleanup();
  });

  test('outdated: a project added here is compared but flagged (its namesake need not be it); mixed origins too', async () => {
    const r = await outdated(repo);
    const corp = r.projects.find((p) => p.project === 'cv-corp-tool')!;
    assert.equal(corp.origin, 'local');
    assert.equal(corp.newest, '9.9');
    assert.equal(corp.upstream, 'up');
    assert.equal(corp.behind, 1);
    assert.match(corp.note ?? '', /added or uploaded here, compared with upstream 'up', whose project of that name need not be this one: .*--project/);
    const mixed = r.projects.find((p) => p.project === 'cv-mixed')!;
    assert.equal(mixed.origin, 'mixed');
    assert.equal(mixed.newest, '2.0');
    assert.match(mixed.note ?? '', /--project/);
    // The fix of the version in use, not one above the newer quarantined version.
    assert.equal(r.projects.find((p) => p.project === 'cv-vulnc')!.lowestFix, '1.1');
    // The version yanked here is no fix.
    const e = r.projects.find((p) => p.project === 'cv-vulne')!;
    assert.equal(e.lowestFix, '1.2');
  });

  test('upgrade-plan: never onto a public namesake, a wheel-less, yanked or vulnerable-dependency fix', async () => {
    const plan = await planUpgrades(repo, { actor: ADMIN });
    const to = new Map(plan.upgrades.map((u) => [u.project, u]));
    assert.equal(to.has('cv-corp-tool'), false, JSON.stringify(plan.upgrades));
    assert.match(plan.skipped.find((s) => s.project === 'cv-corp-tool')?.reason ?? '', /added or uploaded here.*--project/);
    // 2.0 would fetch cv-corp-tool 9.9 from upstream as a dependency.
    assert.equal(to.get('cv-user')?.to, '1.5', JSON.stringify(plan, null, 1));
    assert.match(to.get('cv-user')!.reasons.join('\n'), /2\.0 not taken: .*cv-corp-tool was added or uploaded here, so it is not fetched from an upstream as a dependency/);
    assert.ok(!plan.newFiles.some((f) => f.filename.startsWith('cv_corp_tool')), JSON.stringify(plan.newFiles));
    assert.equal(to.has('cv-mixed'), false);
    assert.match(plan.skipped.find((s) => s.project === 'cv-mixed')?.reason ?? '', /--project/);

    const sec = await planUpgrades(repo, { actor: ADMIN, securityOnly: true });
    const fix = new Map(sec.upgrades.map((u) => [u.project, u]));
    assert.equal(fix.get('cv-vulnb')?.to, '2.0', JSON.stringify(sec, null, 1));
    assert.match(fix.get('cv-vulnb')!.reasons.join('\n'), /1\.1 not taken: 1\.1 has no wheel for cp311-manylinux_x86_64 \(only an sdist/);
    assert.equal(fix.get('cv-vulnc')?.to, '1.1', JSON.stringify(sec.skipped));
    assert.deepEqual(fix.get('cv-vulnc')?.from, ['1.0']);
    assert.equal(fix.get('cv-vulnd')?.to, '1.2', JSON.stringify(sec, null, 1));
    assert.match(fix.get('cv-vulnd')!.reasons.join('\n'), /1\.1 not taken: .*cv-badlib 1\.0, affected by PYSEC-CV-BAD/);
    assert.equal(fix.get('cv-vulne')?.to, '1.2');
    assert.match(fix.get('cv-vulne')!.reasons.join('\n'), /1\.1 not taken: 1\.1 is yanked here: breaks the build/);
  });

  test('projects of mixed or local origin are planned only when named', async () => {
    const plan = await planUpgrades(repo, { actor: ADMIN, projects: ['CV_Mixed', 'cv-corp-tool'] });
    assert.deepEqual(plan.upgrades.map((u) => [u.project, u.to]).sort(), [['cv-corp-tool', '9.9'], ['cv-mixed', '2.0']]);
  });

  test('mirror never fetches a project added here as a dependency; named on the command line, it does', async () => {
    const targets = getTargets(repo.config, [TARGET]);
    const deps = await mirror(repo, { actor: ADMIN, requirements: ['cv-user==2.0'], withDeps: true, targets, dryRun: true });
    assert.deepEqual(deps.fetched.map((f) => f.filename), ['cv_user-2.0-py3-none-any.whl']);
    const refusal = deps.refused.find((r) => r.project === 'cv-corp-tool');
    assert.equal(refusal?.code, 'PUBLISHED_HERE', JSON.stringify(deps.refused));
    assert.match(refusal!.reason, /added or uploaded here .*never fetched .*mirror it by name .*owned_names/);
    const named = await mirror(repo, { actor: ADMIN, requirements: ['cv-corp-tool==9.9'], targets, dryRun: true });
    assert.deepEqual(named.fetched.map((f) => f.filename), ['cv_corp_tool-9.9-py3-none-any.whl']);
    assert.deepEqual(named.refused, []);
  });

  test('the text plan lists skipped projects on their own lines after the table', async () => {
    const r = await runCliAsync(data, ['upgrade-plan']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\n\nskipped cv-corp-tool: .*\nskipped cv-mixed: /);
    assert.doesNotMatch(r.stderr, /skipped/);
  });
});

describe('the audit entry of a mirror after a dry run', () => {
  const tmp = tempDir();
  let up: StaticServer;
  let repo: Repository;
  before(async () => {
    await writeTree(join(tmp.path, 'up'), [{ name: 'cv-audited', version: '1.0' }]);
    up = await startStaticServer(join(tmp.path, 'up'));
    const data = join(tmp.path, 'data');
    await initRepository(data, { logLevel: 'warn' });
    repo = await openRepository({ dataDir: data, logLevel: 'warn' });
    await addUpstream(repo, { name: 'up', url: `${up.url}/simple/` }, ADMIN);
  });
  after(async () => {
    await repo.close();
    await up.close();
    tmp.cleanup();
  });

  test('records the bytes stored, though the dry run (an upgrade plan) downloaded them', async () => {
    const targets = getTargets(repo.config, [TARGET]);
    await mirror(repo, { actor: ADMIN, requirements: ['cv-audited==1.0'], targets, dryRun: true });
    const r = await mirror(repo, { actor: ADMIN, requirements: ['cv-audited==1.0'], targets });
    const size = (await repo.catalog.files.getByFilename('cv_audited-1.0-py3-none-any.whl'))!.size;
    assert.equal(r.storedBytes, size);
    const entry = (await repo.catalog.audit.list()).filter((e) => e.action === 'upstream.mirror').pop()!;
    assert.equal((entry.details as { storedBytes: number }).storedBytes, size);
  });
});
