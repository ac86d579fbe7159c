// `release verify` against a server without anonymous reading: refused without a token, verified
// with a reader token; and the key can be given instead of fetched.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PyvetError } from '../../src/errors.js';
import { createRelease } from '../../src/releases/service.js';
import { verifyRelease } from '../../src/releases/verify.js';
import { buildWheel } from '../helpers/archives.js';
import { runCliAsync } from '../helpers/cli.js';
import { newRow } from '../resolve/support.js';
import { startLoopback } from '../upstream/loopback.js';
import { ADMIN, addFiles, startTestServer, type TestServer, withServerConfig } from '../server/support.js';

describe('release verify with credentials', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer((repo) => withServerConfig(repo, { anonymous_read: false }));
    for (const r of [{ name: 'one', version: '1.0', deps: ['two'] }, { name: 'two', version: '2.0' }]) {
      await s.repo.catalog.files.insert(newRow(r));
    }
    await createRelease(s.repo, { name: 'locked', targets: ['cp313-win_amd64'], requirements: ['one'], indexUrl: `${s.url}/simple/` }, ADMIN);
  });
  after(() => s.stop());

  it('needs a token where anonymous reading is off', async () => {
    await assert.rejects(verifyRelease(`${s.url}/releases/locked/`), (e: PyvetError) => e.code === 'VERIFY_FETCH_FAILED' && /401/.test(e.message));
    const ok = await verifyRelease(`${s.url}/releases/locked/`, { token: s.tokens.reader });
    assert.equal(ok.ok, true, JSON.stringify(ok));
    assert.equal(ok.keySource, `${s.url}/releases/signing-key.pub`);
    const given = await verifyRelease(`${s.url}/releases/locked/manifest.json`, {
      token: s.tokens.reader,
      publicKey: readFileSync(join(s.dataDir, 'keys', 'release-signing.pub'), 'utf8'),
    });
    assert.deepEqual([given.ok, given.keySource, given.files.unavailable], [true, 'given', 2]);
  });
});

describe('release verify sends the token only to the location it was given', () => {
  let s: TestServer;
  let cliData: string;
  before(async () => {
    s = await startTestServer((repo) => withServerConfig(repo, { anonymous_read: false }));
    cliData = mkdtempSync(join(tmpdir(), 'pyvet-verify-cli-'));
    const { filename, bytes } = buildWheel({ name: 'vone', version: '1.0' });
    writeFileSync(join(cliData, filename), bytes);
    await addFiles(s.repo, [join(cliData, filename)], true);
  });
  after(async () => {
    await s.stop();
    rmSync(cliData, { recursive: true, force: true });
  });

  it('fetches files on another origin without the token, and says so when that fails', async () => {
    // The manifest's index_url names another listener: it must never see the reader token.
    const other = await startLoopback((_req, res) => res.writeHead(401).end());
    try {
      await createRelease(s.repo, { name: 'elsewhere', targets: ['cp313-win_amd64'], requirements: ['vone'], indexUrl: `${other.url}/simple/` }, ADMIN);
      const r = await runCliAsync(cliData, ['release', 'verify', '--token', s.tokens.reader, '--fetch-files', `${s.url}/releases/elsewhere/`]);
      assert.ok(other.requests.length > 0, 'the file was asked for on the other origin');
      assert.deepEqual(
        other.requests.map((q) => q.headers.authorization),
        other.requests.map(() => undefined),
      );
      assert.equal(r.status, 9, r.stderr);
      assert.match(r.stderr, /VERIFY_FETCH_FAILED/);
      assert.match(r.stderr, /answered 401 \(the token was not sent: .* is not on http:\/\/127\.0\.0\.1:\d+, the origin of the location given/);
      assert.ok(!`${r.stdout}${r.stderr}`.includes(s.tokens.reader));
    } finally {
      await other.close();
    }
  });

  it('still sends it to files on the same origin', async () => {
    await createRelease(s.repo, { name: 'here', targets: ['cp313-win_amd64'], requirements: ['vone'], indexUrl: `${s.url}/simple/` }, ADMIN);
    const report = await verifyRelease(`${s.url}/releases/here/`, { token: s.tokens.reader, fetchFiles: true });
    assert.deepEqual([report.ok, report.files.checked, report.files.ok], [true, 1, 1], JSON.stringify(report));
  });

  it('refuses a token in the URL without printing it', async () => {
    await createRelease(s.repo, { name: 'userinfo', targets: ['cp313-win_amd64'], requirements: ['vone'], indexUrl: `${s.url}/simple/` }, ADMIN);
    const url = `${s.url.replace('http://', `http://__token__:${s.tokens.reader}@`)}/releases/userinfo/`;
    for (const json of [false, true]) {
      const r = await runCliAsync(cliData, [...(json ? ['--json'] : []), 'release', 'verify', url]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(`${r.stdout}${r.stderr}`, /VERIFY_LOCATION_INVALID/);
      assert.match(`${r.stdout}${r.stderr}`, /--token/);
      assert.ok(!`${r.stdout}${r.stderr}`.includes(s.tokens.reader), `${r.stdout}${r.stderr}`);
      assert.ok(!`${r.stdout}${r.stderr}`.includes('__token__'), `${r.stdout}${r.stderr}`);
    }
  });
});
