// Currency: an upgrade whose file cannot be fetched (its sha256 does not match what the index
// promises, the upstream answers with an error) is passed over like one that breaks closure: the
// plan moves on to the next version that fixes it, and says why; when no fixing version can be
// fetched (its own file, or a new dependency's) the project is reported as not upgradable, with
// the reasons, and nothing is planned.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRelease, showRelease } from '../../src/releases/service.js';
import { approveFiles, openRepository } from '../../src/repository/index.js';
import type { Repository } from '../../src/repository/types.js';
import { getTargets } from '../../src/resolve/targets.js';
import { planUpgrades } from '../../src/upstream/currency.js';
import { mirror } from '../../src/upstream/mirror.js';
import { setPolicy } from '../../src/vetting/policy.js';
import { runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import type { StaticServer } from '../helpers/static-server.js';
import { ADMIN, advise, TARGET, withUpstream } from './currency-support.js';

const ENV = { PYVET_MIRROR__RETRIES: '0' };

/** Makes the index promise another sha256 for `filename` than its bytes have. */
function corruptHash(root: string, project: string, filename: string): void {
  const page = join(root, 'up', 'simple', project, 'index.html');
  const html = readFileSync(page, 'utf8');
  const changed = html.replace(new RegExp(`(${filename.replace(/\./g, '\\.')}#sha256=)[0-9a-f]{64}`), `$1${'0'.repeat(64)}`);
  assert.notEqual(changed, html);
  writeFileSync(page, changed);
}

async function setUp(dir: string, data: string): Promise<StaticServer> {
  const { up, repo } = await withUpstream(
    dir,
    [
      // Nothing depends on cf-jinja: only the failed download can stop its upgrade.
      { name: 'cf-app', version: '1.0' },
      { name: 'cf-jinja', version: '2.10' },
      { name: 'cf-jinja', version: '2.11.3' },
      { name: 'cf-jinja', version: '3.1.6', requires: ['cf-markup>=2'] },
      { name: 'cf-markup', version: '2.0' },
    ],
    data,
  );
  try {
    await mirror(repo, { actor: ADMIN, requirements: ['cf-app==1.0', 'cf-jinja==2.10'], targets: getTargets(repo.config, [TARGET]), withDeps: true });
    await approveFiles(repo, 'all waiting', ADMIN, 'baseline');
    await createRelease(repo, { name: 'cf-1', targets: [TARGET], requirements: ['cf-app', 'cf-jinja'], indexUrl: 'http://127.0.0.1:1/simple/' }, ADMIN);
    await advise(repo, dir, 'PYSEC-CF-1', 'cf-jinja', [{ introduced: '0', fixed: '2.11.3' }]);
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, 'auto_approve: true\ntyposquat:\n  enabled: false\n');
    await setPolicy(repo, policy, ADMIN);
  } finally {
    await repo.close();
  }
  corruptHash(dir, 'cf-jinja', 'cf_jinja-2.11.3-py3-none-any.whl');
  return up;
}

describe('a fix whose file cannot be fetched gives way to the next fix', () => {
  const tmp = tempDir();
  const data = join(tmp.path, 'data');
  let up: StaticServer;

  before(async () => {
    up = await setUp(tmp.path, data);
  });
  after(async () => {
    await up.close();
    tmp.cleanup();
  });

  test('the plan moves to 3.1.6 and says why 2.11.3 was not taken', async () => {
    const r = await runCliAsync(data, ['--json', 'upgrade-plan', '--security-only'], ENV);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const plan = JSON.parse(r.stdout) as { upgrades: { project: string; to: string; reasons: string[] }[]; skipped: unknown[] };
    assert.deepEqual(plan.upgrades.map((u) => [u.project, u.to]), [['cf-jinja', '3.1.6']]);
    const why = plan.upgrades[0]!.reasons.find((x) => x.startsWith('2.11.3 not taken'));
    assert.match(why ?? '', /cf_jinja-2\.11\.3-py3-none-any\.whl.*UPSTREAM_HASH_MISMATCH/, plan.upgrades[0]!.reasons.join('\n'));
    assert.deepEqual(plan.skipped, []);
  });

  test('--apply mirrors 3.1.6 and drafts the patch release', async () => {
    const r = await runCliAsync(data, ['upgrade-plan', '--security-only', '--apply'], ENV);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /drafted release cf-1\.post1/);
    const repo = await openRepository({ dataDir: data, logLevel: 'warn' });
    try {
      const release = await showRelease(repo, 'cf-1.post1');
      assert.deepEqual(release.pins.map((p) => `${p.project}==${p.version}`).sort(), ['cf-app==1.0', 'cf-jinja==3.1.6', 'cf-markup==2.0']);
      assert.equal(await repo.catalog.files.getByFilename('cf_jinja-2.11.3-py3-none-any.whl'), undefined);
    } finally {
      await repo.close();
    }
  });
});

describe('no fixing version can be fetched', () => {
  const tmp = tempDir();
  const data = join(tmp.path, 'data');
  let up: StaticServer;
  let repo: Repository;

  before(async () => {
    up = await setUp(tmp.path, data);
    // 3.1.6 itself is fine, but its new dependency cannot be downloaded.
    up.injectFaults(/cf_markup-2\.0/, 1_000_000, 500);
    repo = await openRepository({ dataDir: data, logLevel: 'warn' });
  });
  after(async () => {
    await repo.close();
    await up.close();
    tmp.cleanup();
  });

  test('the project is reported as not upgradable, with each reason, and nothing is planned', async () => {
    repo.config.mirror.retries = 0;
    const plan = await planUpgrades(repo, { actor: ADMIN, securityOnly: true });
    assert.deepEqual(plan.upgrades, []);
    assert.deepEqual(plan.newFiles, []);
    const skipped = plan.skipped.find((s) => s.project === 'cf-jinja');
    assert.ok(skipped, JSON.stringify(plan.skipped));
    assert.match(skipped.reason, /2\.11\.3 not taken: .*UPSTREAM_HASH_MISMATCH/);
    assert.match(skipped.reason, /3\.1\.6 not taken: .*cf_markup-2\.0-py3-none-any\.whl could not be fetched: .*HTTP 500/);
    assert.equal(plan.skipped.length, 1, JSON.stringify(plan.skipped));
  });
});
