// `pyvet closure` through the real CLI: never a silent pass for want of a target, and approved
// projects with nothing installable for a target are listed, not dropped.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRelease } from '../../src/releases/service.js';
import { runCliAsync } from '../helpers/cli.js';
import { repoWith } from '../resolve/support.js';
import { ADMIN } from '../server/support.js';

const LINUX = 'cp311-manylinux_x86_64';

describe('pyvet closure', () => {
  let t: Awaited<ReturnType<typeof repoWith>>;
  before(async () => {
    t = await repoWith([
      { name: 'acme-app', version: '1.0', deps: ['acme-lib>=1'] },
      { name: 'acme-lib', version: '0.5' },
      { name: 'acme-native', version: '1.0', tags: ['cp311-cp311-manylinux_2_17_x86_64'] },
      { name: 'acme-new', version: '2.0', requiresPython: '>=3.12' },
    ]);
  });
  after(() => t.cleanup());

  it('without --target: refused while there is no release, then the newest release’s targets', async () => {
    const none = await runCliAsync(t.dataDir, ['closure']);
    assert.equal(none.status, 2, none.stdout + none.stderr);
    assert.match(none.stderr, /TARGET_REQUIRED|--target/);
    const json = await runCliAsync(t.dataDir, ['--json', 'closure']);
    assert.equal(json.status, 2);
    await createRelease(t.repo, { name: 'r1', targets: [LINUX], requirements: ['acme-lib'], indexUrl: 'https://p.example/simple/' }, ADMIN);
    const r = await runCliAsync(t.dataDir, ['--json', 'closure']);
    // acme-app needs acme-lib>=1, only 0.5 is approved: not closed, on the release's target.
    assert.equal(r.status, 1, r.stderr);
    const report = JSON.parse(r.stdout) as { closed: boolean; targets: { target: string }[] };
    assert.equal(report.closed, false);
    assert.deepEqual(report.targets.map((x) => x.target), [LINUX]);
    const text = await runCliAsync(t.dataDir, ['closure']);
    assert.equal(text.status, 1);
    assert.match(text.stderr, /newest release r1/);
    assert.match(text.stdout, new RegExp(`${LINUX}: NOT CLOSED`));
  });

  it('after the table, names the mirror command that fills what is missing, per group of targets', async () => {
    const m = await repoWith([
      { name: 'requests', version: '2.32.0', extras: ['socks'], deps: ['charset_normalizer<4,>=2', 'urllib3<3,>=1.21.1', 'PySocks>=1.5.6; extra == "socks"'] },
      { name: 'urllib3', version: '1.0' },
      { name: 'winlib', version: '1.0', deps: ['pywin-helper'], tags: ['cp311-cp311-win_amd64'] },
    ]);
    try {
      const r = await runCliAsync(m.dataDir, ['closure', '-t', 'cp311-manylinux_x86_64', '-t', 'cp312-manylinux_x86_64', '-t', 'cp311-win_amd64', '--extras']);
      assert.equal(r.status, 1, r.stderr);
      const lines = r.stdout.split('\n').filter((l) => l.startsWith('to bring in what is missing'));
      assert.deepEqual(lines, [
        "to bring in what is missing: pyvet mirror 'PySocks>=1.5.6' 'charset_normalizer<4,>=2' 'urllib3<3,>=1.21.1' --with-deps --target cp311-manylinux_x86_64 --target cp312-manylinux_x86_64",
        "to bring in what is missing: pyvet mirror 'PySocks>=1.5.6' 'charset_normalizer<4,>=2' 'pywin-helper' 'urllib3<3,>=1.21.1' --with-deps --target cp311-win_amd64",
      ]);
      // Unsatisfiable (a version too old) is filled the same way.
      const old = await runCliAsync(t.dataDir, ['closure', '-t', 'cp312-manylinux_x86_64']);
      assert.match(old.stdout, /\nto bring in what is missing: pyvet mirror 'acme-lib>=1' --with-deps --target cp312-manylinux_x86_64\n/);
    } finally {
      m.cleanup();
    }
  });

  it('lists approved projects with nothing installable for the target, without failing closure for them', async () => {
    const r = await runCliAsync(t.dataDir, ['--json', 'closure', '-t', 'cp312-manylinux_x86_64']);
    const report = JSON.parse(r.stdout) as { targets: { unavailable: { project: string; versions: string[]; why: string }[] }[] };
    assert.deepEqual(report.targets[0]!.unavailable, [{ project: 'acme-native', versions: ['1.0'], why: 'no file with a compatible tag' }]);
    const text = await runCliAsync(t.dataDir, ['closure', '-t', 'cp312-manylinux_x86_64']);
    assert.match(text.stdout, /1 approved project\(s\) have no file that installs here/);
    assert.match(text.stdout, /unavailable acme-native 1\.0: no file with a compatible tag/);
    const py = await runCliAsync(t.dataDir, ['--json', 'closure', '-t', LINUX]);
    const on311 = JSON.parse(py.stdout) as { targets: { unavailable: { project: string; why: string }[] }[] };
    assert.deepEqual(on311.targets[0]!.unavailable, [{ project: 'acme-new', versions: ['2.0'], why: 'Requires-Python excludes the target' }]);
  });
});
