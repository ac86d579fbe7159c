// Tokens over the admin API on a real server: an admin lists them (never a secret or a hash)
// and revokes one, which the next request already feels; no other role may do either, and a
// malformed id is a 400, not a lookup.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Role } from '../../src/catalog/types.js';
import { startTestServer, type TestServer } from './support.js';

const basic = (token: string) => ({ authorization: `Basic ${Buffer.from(`__token__:${token}`).toString('base64')}` });

interface Listed {
  tokens: { id: string; name: string; role: Role; revokedAt: string | null }[];
}

describe('tokens over the admin API', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.stop());

  const call = (method: string, path: string, token?: string) => fetch(`${s.url}${path}`, { method, headers: token ? basic(token) : {} });

  it('an admin lists tokens without secrets and revokes one; the revoked token fails at once', async () => {
    const created = await fetch(`${s.url}/api/tokens`, {
      method: 'POST',
      headers: { ...basic(s.tokens.admin), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci-bot', role: 'reader' }),
    });
    assert.equal(created.status, 201);
    const { token } = (await created.json()) as { token: string };
    const list = await call('GET', '/api/tokens', s.tokens.admin);
    assert.equal(list.status, 200);
    const text = await list.text();
    // pyvet_<id>_<secret>: the secret may itself hold '_', so it is everything after the id.
    const secret = token.slice(token.indexOf('_', 'pyvet_'.length) + 1);
    assert.ok(secret.length >= 40 && !text.includes(secret), 'no secret in the listing');
    assert.doesNotMatch(text, /"hash"/);
    const bot = (JSON.parse(text) as Listed).tokens.find((t) => t.name === 'ci-bot');
    assert.ok(bot && bot.role === 'reader' && bot.revokedAt === null, text);
    assert.equal((await call('GET', '/metrics', token)).status, 200, 'the token works');

    const revoked = await call('POST', `/api/tokens/${bot.id}/revoke`, s.tokens.admin);
    assert.equal(revoked.status, 200);
    assert.ok(((await revoked.json()) as { revokedAt: string | null }).revokedAt);
    assert.equal((await call('GET', '/api/tokens', token)).status, 401, 'revoked: refused on the next request');
    const again = await call('POST', `/api/tokens/${bot.id}/revoke`, s.tokens.admin);
    assert.equal(again.status, 200, 'revoking twice changes nothing');
    const audit = (await s.repo.catalog.audit.list()).filter((e) => e.action === 'token.revoke');
    assert.deepEqual(audit.map((e) => e.subject), [bot.id]);
  });

  it('no other role lists or revokes; an unknown id is 404, a malformed one 400', async () => {
    const adminId = ((await (await call('GET', '/api/tokens', s.tokens.admin)).json()) as Listed).tokens.find((t) => t.name === 'admin-token')!.id;
    for (const role of ['reader', 'publisher', 'approver'] as Role[]) {
      assert.equal((await call('GET', '/api/tokens', s.tokens[role])).status, 403, role);
      assert.equal((await call('POST', `/api/tokens/${adminId}/revoke`, s.tokens[role])).status, 403, role);
    }
    assert.equal((await call('GET', '/api/tokens')).status, 401);
    assert.equal((await call('POST', `/api/tokens/${adminId}/revoke`)).status, 401);
    const live = ((await (await call('GET', '/api/tokens', s.tokens.admin)).json()) as Listed).tokens.find((t) => t.id === adminId)!;
    assert.equal(live.revokedAt, null, 'refused requests revoked nothing');
    const unknown = await call('POST', '/api/tokens/0123456789abcdef/revoke', s.tokens.admin);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'TOKEN_NOT_FOUND');
    assert.equal((await call('POST', '/api/tokens/..%2Fx/revoke', s.tokens.admin)).status, 400);
  });
});
