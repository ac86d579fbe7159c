// `release verify` against a server without anonymous reading: refused without a token, verified
// with a reader token; and the key can be given instead of fetched.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PyvetError } from '../../src/errors.js';
import { createRelease } from '../../src/releases/service.js';
import { verifyRelease } from '../../src/releases/verify.js';
import { newRow } from '../resolve/support.js';
import { ADMIN, startTestServer, type TestServer, withServerConfig } from '../server/support.js';

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
