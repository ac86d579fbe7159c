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
  // The current decision, that is: the history keeps the vetting entry of when it did wait.
  const [now, history] = r.stdout.split('history (audit log):');
  assert.doesNotMatch(now!, /waiting for an approver/);
  assert.match(history!, /file\.vet\n.*\n.*\n {6}reasons: .*waiting for an approver/);
});

test('a file still in quarantine keeps its hold and why', () => {
  const r = runCli(data, ['evidence', 'mypkg==1.1']);
  assert.match(r.stdout, /decision now: hold\n {2}- auto_approve: off; every gate passed, waiting for an approver/);
});

test('the history shows every entry whole (a long approval reason is not cut), findings with their aliases', () => {
  const reason = `approved after review of the full diff, ticket SEC-4242, ${'signed off by the security team; '.repeat(4)}end`;
  const w = buildWheel({ name: 'searchor', version: '2.4.1', metadataLines: ['License: MIT'] });
  assert.equal(runCli(data, ['add', writeArchive(tmp.path, w.filename, w.bytes)]).status, 0);
  assert.equal(runCli(data, ['approve', w.filename, '--reason', reason, '--force']).status, 0);
  const r = runCli(data, ['evidence', 'searchor==2.4.1']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.includes(`reason: ${reason}`), r.stdout);
  assert.match(r.stdout, /overriddenBlockers: .*PYSEC-2023-262/);
  assert.match(r.stdout, /PYSEC-2023-262 \(.*CVE-2023-43364.*\): .*✗ blocking/);
  assert.match(r.stdout, /fixed in 2\.4\.2/);
});
