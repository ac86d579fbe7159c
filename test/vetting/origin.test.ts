// The origin gate: a project mirrored so far from an upstream is not taken over by an upload or a
// local add (nor a project published here by an upstream's file of the same name) without a
// person saying so with --force. Real uploads over HTTP on 127.0.0.1, the real CLI.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ingestFile } from '../../src/repository/ingest.js';
import { openRepository } from '../../src/repository/open.js';
import { approveFiles } from '../../src/repository/states.js';
import { rescanAll, setPolicy } from '../../src/vetting/index.js';
import { buildWheel, writeArchive } from '../helpers/archives.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { ADMIN, startTestServer, type TestServer } from '../server/support.js';

const basic = (token: string) => ({ authorization: `Basic ${Buffer.from(`__token__:${token}`).toString('base64')}` });

describe('origin gate', () => {
  let s: TestServer;
  let stopped = false;
  const tmp = tempDir();
  const wheel = (name: string, version: string) => {
    const w = buildWheel({ name, version, metadataLines: ['License: MIT'] });
    return { filename: w.filename, path: writeArchive(tmp.path, w.filename, w.bytes), bytes: w.bytes };
  };

  before(async () => {
    s = await startTestServer();
    const flask = wheel('flask', '3.1.3');
    await ingestFile(s.repo, flask.path, { actor: ADMIN, origin: 'upstream:pypi' });
    await approveFiles(s.repo, flask.filename, ADMIN, 'mirrored');
  });
  after(async () => {
    if (!stopped) await s?.stop();
    tmp.cleanup();
  });

  test('an upload of a name mirrored from an upstream is held, naming both origins', async () => {
    const w = wheel('flask', '99.0');
    const form = new FormData();
    const fields = { ':action': 'file_upload', protocol_version: '1', name: 'flask', version: '99.0', filetype: 'bdist_wheel', pyversion: 'py3' };
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('sha256_digest', createHash('sha256').update(w.bytes).digest('hex'));
    form.append('content', new Blob([w.bytes]), w.filename);
    const res = await fetch(`${s.url}/legacy/`, { method: 'POST', headers: basic(s.tokens.publisher), body: form });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { file: { state: string; origin: string }; decision: { verdict: string; reasons: string[] } };
    assert.equal(body.file.origin, 'upload:publisher-token');
    assert.equal(body.file.state, 'quarantined');
    assert.equal(body.decision.verdict, 'hold');
    assert.deepEqual(body.decision.reasons, ["origin: flask so far came only from upstream 'pypi'; this file comes from upload:publisher-token"]);
  });

  test('with auto_approve on, a local add of it is held too; review and evidence say why', async () => {
    const policy = join(tmp.path, 'auto.yaml');
    writeFileSync(policy, 'auto_approve: true\n');
    await setPolicy(s.repo, policy, ADMIN);
    await s.server.close();
    await s.repo.close();
    stopped = true;
    const w = wheel('flask', '98.0');
    const add = runCli(s.dataDir, ['--json', 'add', w.path]);
    assert.equal(add.status, 0, add.stderr);
    const added = runCli(s.dataDir, ['--json', 'files', 'flask']);
    const states = Object.fromEntries((JSON.parse(added.stdout) as { filename: string; state: string }[]).map((f) => [f.filename, f.state]));
    assert.deepEqual(states, {
      'flask-3.1.3-py3-none-any.whl': 'approved',
      'flask-98.0-py3-none-any.whl': 'quarantined',
      'flask-99.0-py3-none-any.whl': 'quarantined',
    });
    const review = runCli(s.dataDir, ['review']);
    assert.match(review.stdout, /flask so far came only from upstream 'pypi'; this file comes from local/);
    const ev = runCli(s.dataDir, ['evidence', 'flask-99.0-py3-none-any.whl']);
    assert.match(ev.stdout, /origin: flask so far came only from upstream 'pypi'; this file comes from upload:publisher-token/);
    assert.doesNotMatch(ev.stdout, /every gate passed/);
  });

  test("'all waiting', NAME and NAME==VERSION do not let it through; --force does, recorded", async () => {
    for (const selector of ['all waiting', 'flask', 'flask==99.0', 'flask-99.0-py3-none-any.whl']) {
      const r = runCli(s.dataDir, ['approve', selector, '--reason', 'looks fine']);
      assert.equal(r.status, 7, `${selector}: ${r.stderr}`);
      assert.match(r.stderr, /APPROVAL_BLOCKED.*origin: flask so far came only from upstream 'pypi'/);
      assert.match(r.stderr, /approve with --force if that is intended/);
      assert.doesNotMatch(r.stderr, /pyvet waive/, 'no waiver answers an origin');
    }
    const forced = runCli(s.dataDir, ['approve', 'flask-99.0-py3-none-any.whl', '--reason', 'flask moved to our CI, ticket 7', '--force']);
    assert.equal(forced.status, 0, forced.stderr);
    const repo = await openRepository({ dataDir: s.dataDir, logLevel: 'warn' });
    try {
      const entry = (await repo.catalog.audit.list()).find((e) => e.action === 'file.approve' && e.subject === 'flask-99.0-py3-none-any.whl');
      assert.match(JSON.stringify(entry?.details.overriddenBlockers), /this file comes from upload:publisher-token/);
    } finally {
      await repo.close();
    }
  });

  test('a rescan reports nothing about the approved file; a project published here holds an upstream file of its name', async () => {
    const repo = await openRepository({ dataDir: s.dataDir, logLevel: 'warn' });
    try {
      const r = await rescanAll(repo, ADMIN);
      assert.deepEqual(r.newlyBlocked, []);
      // The approved upload now counts among flask's origins: the local 98.0 waits for no gate.
      assert.deepEqual(r.approved, ['flask-98.0-py3-none-any.whl']);

      const mine = wheel('mypkg', '1.0');
      assert.equal((await ingestFile(repo, mine.path, { actor: ADMIN, origin: 'upload:ci' })).file.state, 'approved');
      const theirs = wheel('mypkg', '2.0');
      const d = await ingestFile(repo, theirs.path, { actor: ADMIN, origin: 'upstream:pypi' });
      assert.equal(d.file.state, 'quarantined');
      assert.deepEqual(d.decision?.reasons, ["origin: mypkg so far came only from here (upload:ci); this file comes from upstream 'pypi'"]);
    } finally {
      await repo.close();
    }
  });
});
