// `pyvet evidence` on an approved file: "waiting for an approver" is not said of a file already
// approved; it says the gates pass and who approved it, and why. The real CLI.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { initRepository } from '../../src/repository/open.js';
import { buildWheel, writeArchive } from '../helpers/archives.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

const tmp = tempDir();
const data = join(tmp.path, 'data');

before(async () => {
  await initRepository(data);
  for (const version of ['1.0', '1.1']) {
    const w = buildWheel({ name: 'mypkg', version, metadataLines: ['License: MIT'] });
    assert.equal(runCli(data, ['add', writeArchive(tmp.path, w.filename, w.bytes)]).status, 0);
  }
  assert.equal(runCli(data, ['approve', 'mypkg==1.0', '--reason', 'read the diff']).status, 0);
});
after(() => tmp.cleanup());

test('an approved file that passes every gate says so, with its approval', () => {
  const r = runCli(data, ['evidence', 'mypkg==1.0']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /state approved/);
  assert.match(r.stdout, /decision now: every gate passes \(approved by \S+: read the diff\)/);
  assert.doesNotMatch(r.stdout, /waiting for an approver/);
});

test('a file still in quarantine keeps its hold and why', () => {
  const r = runCli(data, ['evidence', 'mypkg==1.1']);
  assert.match(r.stdout, /decision now: hold\n {2}- auto_approve: off; every gate passed, waiting for an approver/);
});
