// `pyvet release` through the real CLI.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCliAsync } from '../helpers/cli.js';
import { repoWith } from '../resolve/support.js';

const URL = 'https://p.example/simple/';

describe('pyvet release create --all', () => {
  let t: Awaited<ReturnType<typeof repoWith>>;
  before(async () => {
    t = await repoWith([
      { name: 'pandas', version: '2.2.0', tags: ['cp311-cp311-manylinux_2_17_x86_64'] },
      { name: 'requests', version: '2.32.0' },
      { name: 'pywin32', version: '306', tags: ['cp312-cp312-win_amd64'] },
    ]);
  });
  after(() => t.cleanup());

  it('says which approved projects it left out per target', async () => {
    const args = ['release', 'create', 'r1', '--all', '-t', 'cp312-manylinux_x86_64', '-t', 'cp311-manylinux_x86_64', '--index-url', URL];
    const r = await runCliAsync(t.dataDir, ['--json', ...args]);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { leftOut: Record<string, { project: string; why: string }[]> };
    assert.deepEqual(
      Object.fromEntries(Object.entries(out.leftOut).map(([k, v]) => [k, v.map((u) => `${u.project}: ${u.why}`)])),
      {
        'cp312-manylinux_x86_64': ['pandas: no file with a compatible tag', 'pywin32: no file with a compatible tag'],
        'cp311-manylinux_x86_64': ['pywin32: no file with a compatible tag'],
      },
    );
    const text = await runCliAsync(t.dataDir, ['release', 'create', 'r2', '--all', '-t', 'cp312-manylinux_x86_64', '--index-url', URL]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stderr, /cp312-manylinux_x86_64: left out 2 approved project\(s\) with no file that installs there: pandas 2\.2\.0 \(no file with a compatible tag\); pywin32 306/);
  });
});
