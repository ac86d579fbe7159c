// `pyvet resolve` through the real CLI.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { yankFiles } from '../../src/repository/states.js';
import { runCliAsync } from '../helpers/cli.js';
import { repoWith } from '../resolve/support.js';
import { ADMIN } from '../server/support.js';

const LINUX = 'cp311-manylinux_x86_64';

describe('pyvet resolve', () => {
  let t: Awaited<ReturnType<typeof repoWith>>;
  before(async () => {
    t = await repoWith([
      { name: 'urllib3', version: '2.7.0' },
      { name: 'urllib3', version: '2.8.0' },
      { name: 'requests', version: '2.32.0', extras: ['socks'], deps: ['urllib3<3', 'PySocks!=1.5.7,>=1.5.6; extra == "socks"'] },
    ]);
    await yankFiles(t.repo, 'urllib3-2.8.0-py3-none-any.whl', ADMIN, 'regression');
  });
  after(() => t.cleanup());

  it('says a requested version is yanked, and how to unyank it, rather than that nothing is approved', async () => {
    const r = await runCliAsync(t.dataDir, ['resolve', 'urllib3==2.8.0', '-t', LINUX]);
    assert.equal(r.status, 5, r.stderr);
    assert.match(r.stderr, /urllib3: 2\.7\.0; yanked: 2\.8\.0/);
    assert.match(r.stderr, /pyvet unyank urllib3-2\.8\.0-py3-none-any\.whl/);
    const rel = await runCliAsync(t.dataDir, ['release', 'create', 'r', 'urllib3==2.8.0', '-t', LINUX, '--index-url', 'https://p.example/simple/']);
    assert.notEqual(rel.status, 0);
    assert.match(rel.stderr, /yanked: 2\.8\.0/);
  });

  it('calls a requirement with no approved candidate at all missing, not a conflict, and says how to mirror it', async () => {
    const r = await runCliAsync(t.dataDir, ['resolve', 'requests[socks]', '-t', LINUX]);
    assert.equal(r.status, 5, r.stderr);
    assert.match(r.stderr, /missing: PySocks \(nothing approved for this target\)/);
    assert.match(r.stderr, /requests\[socks\] 2\.32\.0 depends on PySocks!=1\.5\.7,>=1\.5\.6/);
    assert.match(r.stderr, new RegExp(`pyvet mirror 'PySocks' --with-deps --target ${LINUX}`));
    assert.doesNotMatch(r.stderr, /conflict/);
    const direct = await runCliAsync(t.dataDir, ['resolve', 'nothere>=1', '-t', LINUX]);
    assert.equal(direct.status, 5, direct.stderr);
    assert.match(direct.stderr, /missing: nothere \(nothing approved for this target\)/);
    assert.match(direct.stderr, new RegExp(`pyvet mirror 'nothere' --with-deps --target ${LINUX}`));
  });

  it('counts one project in the singular', async () => {
    const r = await runCliAsync(t.dataDir, ['resolve', 'urllib3', '-t', LINUX]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${LINUX}: 1 project\\n`));
  });
});
