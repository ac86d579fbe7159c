// `pyvet targets NAME --tags N` through the real CLI: N must be a positive whole number.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

describe('pyvet targets --tags', () => {
  const tmp = tempDir('pyvet-targets-cli-');
  after(() => tmp.cleanup());

  it('refuses what is not a positive whole number, and shows that many tags otherwise', () => {
    for (const bad of ['abc', '-1', '0', '1.5']) {
      const r = runCli(tmp.path, ['targets', 'cp311-manylinux_x86_64', '--tags', bad]);
      assert.equal(r.status, 2, `${bad}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /TAGS_COUNT_INVALID/);
      assert.ok(r.stderr.includes(`'${bad}'`));
    }
    const ok = runCli(tmp.path, ['targets', 'cp311-manylinux_x86_64', '--tags', '2']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /supported tags \(\d+\): \S+ \S+ …/);
  });
});
