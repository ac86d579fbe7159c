// Currency with one upstream page that cannot be read (a permanent 500): as in `mirror`, it
// fails only its own project. `outdated` reports every other project (here a security fix) and
// says in that project's row, and in --json, why it could not be read; `upgrade-plan` plans the
// others and lists the project it could not assess; both exit 1 (the answer is incomplete).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { approveFiles } from '../../src/repository/index.js';
import { getTargets } from '../../src/resolve/targets.js';
import { mirror } from '../../src/upstream/mirror.js';
import { runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import type { StaticServer } from '../helpers/static-server.js';
import { ADMIN, advise, TARGET, withUpstream } from './currency-support.js';

const ENV = { PYVET_MIRROR__RETRIES: '1' };

describe('currency with an upstream page that cannot be read', () => {
  const tmp = tempDir();
  const data = join(tmp.path, 'data');
  let up: StaticServer;

  before(async () => {
    const started = await withUpstream(
      tmp.path,
      [
        { name: 'ur-foolib', version: '1.0' },
        { name: 'ur-foolib', version: '2.0' },
        { name: 'ur-jinja', version: '2.10' },
        { name: 'ur-jinja', version: '3.1.6' },
      ],
      data,
    );
    up = started.up;
    const repo = started.repo;
    try {
      await mirror(repo, { actor: ADMIN, requirements: ['ur-foolib==1.0', 'ur-jinja==2.10'], targets: getTargets(repo.config, [TARGET]) });
      await approveFiles(repo, 'all waiting', ADMIN, 'baseline');
      await advise(repo, tmp.path, 'GHSA-UR-1', 'ur-jinja', [{ introduced: '0', fixed: '3.1.6' }]);
    } finally {
      await repo.close();
    }
    up.injectFaults(/^\/simple\/ur-foolib\//, 1_000_000, 500);
  });
  after(async () => {
    await up.close();
    tmp.cleanup();
  });

  test('outdated reports the others and says why the project could not be read', async () => {
    const r = await runCliAsync(data, ['outdated'], ENV);
    assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
    const foo = r.stdout.split('\n').find((l) => l.startsWith('│ ur-foolib '));
    assert.ok(foo, r.stdout);
    assert.match(foo, /UPSTREAM_HTTP_ERROR/);
    assert.match(foo, /HTTP 500/);
    const jinja = r.stdout.split('\n').find((l) => l.startsWith('│ ur-jinja '));
    assert.match(jinja ?? '', /GHSA-UR-1 → 3\.1\.6/, r.stdout);

    const json = await runCliAsync(data, ['--json', 'outdated'], ENV);
    assert.equal(json.status, 1, json.stderr);
    const projects = (JSON.parse(json.stdout) as { projects: { project: string; error: { code: string; message: string } | null; lowestFix: string | null }[] })
      .projects;
    const f = projects.find((p) => p.project === 'ur-foolib')!;
    assert.equal(f.error?.code, 'UPSTREAM_HTTP_ERROR');
    assert.match(f.error?.message ?? '', /\/simple\/ur-foolib\/: HTTP 500/);
    const j = projects.find((p) => p.project === 'ur-jinja')!;
    assert.equal(j.error, null);
    assert.equal(j.lowestFix, '3.1.6');
  });

  test('upgrade-plan plans the others and lists the project it could not assess', async () => {
    const r = await runCliAsync(data, ['upgrade-plan', '--security-only'], ENV);
    assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout.split('\n').find((l) => l.startsWith('│ ur-jinja ')) ?? '', /3\.1\.6/, r.stdout);
    assert.match(r.stdout, /\nnot assessed ur-foolib: .*HTTP 500.*UPSTREAM_HTTP_ERROR/);

    const json = await runCliAsync(data, ['--json', 'upgrade-plan'], ENV);
    assert.equal(json.status, 1, json.stderr);
    const plan = JSON.parse(json.stdout) as { upgrades: { project: string; to: string }[]; unassessed: { project: string; code: string; message: string }[] };
    assert.deepEqual(plan.upgrades.map((u) => [u.project, u.to]), [['ur-jinja', '3.1.6']]);
    assert.deepEqual(plan.unassessed.map((u) => [u.project, u.code]), [['ur-foolib', 'UPSTREAM_HTTP_ERROR']]);
  });
});
