// pyvet scan exits 1 when any gate blocks, not only an advisory: here an approved file the
// policy's deny list now refuses; a file that only waits for an approver does not count.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initRepository } from '../../src/repository/open.js';
import { buildWheel, writeArchive } from '../helpers/archives.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

describe('pyvet scan and the policy gates', () => {
  const tmp = tempDir();
  const data = join(tmp.path, 'data');
  before(async () => {
    await initRepository(data);
    for (const name of ['oldtab', 'waiter']) {
      const w = buildWheel({ name, version: '0.8', metadataLines: ['License: MIT'] });
      assert.equal(runCli(data, ['add', writeArchive(tmp.path, w.filename, w.bytes)]).status, 0);
    }
    assert.equal(runCli(data, ['approve', 'oldtab', '--reason', 'in use']).status, 0);
  });
  after(() => tmp.cleanup());

  test('waiting for an approver is not blocking; a deny entry on an approved file is, and is shown', () => {
    const clean = runCli(data, ['scan']);
    assert.equal(clean.status, 0, clean.stdout + clean.stderr);
    const policy = join(tmp.path, 'policy.yaml');
    writeFileSync(policy, 'deny: ["oldtab<0.9"]\n');
    runCli(data, ['policy', 'set', policy]);
    const r = runCli(data, ['scan', '--project', 'oldtab']);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /deny: oldtab 0\.8 matches 'oldtab<0\.9'/);
  });
});
