// Accounts: token format and storage, authentication (wrong, revoked, expired refused), roles
// enforced by the services themselves, and no secret in the logs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { PyvetError } from '../../src/errors.js';
import { createLogger } from '../../src/repository/logger.js';
import { hasRole, requireRole } from '../../src/repository/roles.js';
import { approveFiles, rejectFiles, yankFiles } from '../../src/repository/states.js';
import { authenticate, createToken, listTokens, parseExpiry, revokeToken } from '../../src/repository/tokens.js';
import type { Actor } from '../../src/repository/types.js';
import { runCli } from '../helpers/cli.js';
import { makeRepo, newFile, type TestRepo } from './support.js';

const admin: Actor = { name: 'cli:test', role: 'admin' };
const forbidden = (e: unknown) => e instanceof PyvetError && e.code === 'FORBIDDEN' && e.kind === 'forbidden';

describe('tokens and roles', () => {
  let t: TestRepo;
  before(async () => {
    t = await makeRepo();
  });
  after(() => t.cleanup());

  it('creates pyvet_<id>_<secret> tokens and stores only their sha256', async () => {
    const { token, record } = await createToken(t.repo, { name: 'ci', role: 'publisher' }, admin);
    assert.match(token, /^pyvet_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.ok(token.startsWith(`pyvet_${record.id}_`));
    assert.equal('hash' in record, false, 'the hash is not handed out');
    assert.match((await t.repo.catalog.tokens.get(record.id))!.hash, /^[0-9a-f]{64}$/);
    const secret = token.split('_').slice(2).join('_');
    await t.reopen(); // checkpoints the WAL into the file
    const bytes = readFileSync(join(t.dataDir, 'catalog.sqlite'));
    assert.equal(bytes.includes(Buffer.from(secret)), false, 'the secret is not in the database');
    assert.equal(bytes.includes(Buffer.from(token)), false);
  });

  it('authenticates the first admin token and a new token, and records last use', async () => {
    assert.deepEqual(await authenticate(t.repo, t.adminToken), { name: 'admin', role: 'admin' });
    const { token, record } = await createToken(t.repo, { name: 'reader1', role: 'reader' }, admin);
    assert.equal(record.lastUsedAt, null);
    assert.deepEqual(await authenticate(t.repo, token), { name: 'reader1', role: 'reader' });
    const used = (await t.repo.catalog.tokens.get(record.id))?.lastUsedAt;
    assert.notEqual(used, null);
    // Used again within the minute: no write per request.
    assert.ok(await authenticate(t.repo, token));
    assert.equal((await t.repo.catalog.tokens.get(record.id))?.lastUsedAt, used);
  });

  it('refuses a wrong secret under a real id, garbage, and near misses', async () => {
    const { token } = await createToken(t.repo, { name: 'victim', role: 'admin' }, admin);
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    for (const bad of [
      `${token.slice(0, -1)}${last}`, // one character off at the end
      `${token}x`,
      token.slice(0, -1),
      token.toUpperCase(),
      '',
      '__token__',
      `pyvet_${'0'.repeat(16)}_${'A'.repeat(43)}`,
    ]) {
      assert.equal(await authenticate(t.repo, bad), null, bad);
    }
  });

  it('refuses revoked and expired tokens', async () => {
    const r = await createToken(t.repo, { name: 'revokeme', role: 'publisher' }, admin);
    assert.ok(await authenticate(t.repo, r.token));
    const revoked = await revokeToken(t.repo, r.record.id, admin);
    assert.ok(revoked.revokedAt);
    assert.equal(await authenticate(t.repo, r.token), null);

    // Created in 1999 to expire in 2000: expired now.
    const e = await createToken(t.repo, { name: 'expired', role: 'publisher', expiresAt: '2000-01-01T00:00:00Z' }, admin, {
      now: new Date('1999-12-01T00:00:00Z'),
    });
    assert.equal(await authenticate(t.repo, e.token), null);
    const future = await createToken(t.repo, { name: 'future', role: 'publisher', expiresAt: parseExpiry('30d') }, admin);
    assert.ok(await authenticate(t.repo, future.token));
  });

  it('validates names, roles and expiry', async () => {
    const invalid = (code: string) => (e: unknown) => e instanceof PyvetError && e.code === code && e.kind === 'invalid';
    await assert.rejects(createToken(t.repo, { name: 'system', role: 'admin' }, admin), invalid('TOKEN_NAME_INVALID'));
    await assert.rejects(createToken(t.repo, { name: 'cli:root', role: 'admin' }, admin), invalid('TOKEN_NAME_INVALID'));
    await assert.rejects(createToken(t.repo, { name: 'x', role: 'owner' as never }, admin), invalid('ROLE_INVALID'));
    assert.throws(() => parseExpiry('soon'), invalid('TOKEN_EXPIRY_INVALID'));
    // One that could never be used is refused, and nothing is stored.
    const count = (await listTokens(t.repo, admin)).length;
    for (const expiresAt of ['2020-01-01', parseExpiry('0d')]) {
      await assert.rejects(createToken(t.repo, { name: 'stillborn', role: 'reader', expiresAt }, admin), invalid('TOKEN_EXPIRY_INVALID'), expiresAt);
    }
    assert.equal((await listTokens(t.repo, admin)).length, count);
    assert.equal(parseExpiry('2d', new Date('2030-01-01T00:00:00Z')), '2030-01-03T00:00:00.000Z');
  });

  it('reads an expiry only as a lifetime, an ISO 8601 date or an RFC 3339 date-time', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    for (const [text, iso] of [
      ['30d', '2030-01-31T00:00:00.000Z'],
      ['12h', '2030-01-01T12:00:00.000Z'],
      [' 90m ', '2030-01-01T01:30:00.000Z'],
      ['2030-01-31', '2030-01-31T00:00:00.000Z'],
      ['2032-02-29', '2032-02-29T00:00:00.000Z'],
      ['2030-01-31T12:00:00Z', '2030-01-31T12:00:00.000Z'],
      ['2030-01-31t12:00:00z', '2030-01-31T12:00:00.000Z'],
      ['2030-01-31 12:00:00Z', '2030-01-31T12:00:00.000Z'],
      ['2030-01-31T12:00:00.250+02:00', '2030-01-31T10:00:00.250Z'],
      ['2030-01-31T12:00:00-05:30', '2030-01-31T17:30:00.000Z'],
    ]) {
      assert.equal(parseExpiry(text!, now), iso, text);
    }
    const invalid = (field: string) => (e: unknown) =>
      e instanceof PyvetError && e.code === 'TOKEN_EXPIRY_INVALID' && e.kind === 'invalid' && e.message.startsWith(`${field} `) && /30d.*2030-01-31.*RFC 3339/.test(e.message);
    for (const text of ['1', '2001', '0', '-1', '1e12', '2030', '2030-1-5', '2030-01', '2030-02-30', '2031-02-29', '2030-13-01', '2030-00-10', '2030-01-00',
      '2030-01-31T12:00:00', '2030-01-31T24:00:00Z', '2030-01-31T12:60:00Z', '2030-01-31T12:00:00+25:00', '2030-01-31T12:00Z',
      'Jan 31 2030', 'Thu, 31 Jan 2030 00:00:00 GMT', '30w', '30', 'soon', '', ' ']) {
      assert.throws(() => parseExpiry(text, now), invalid('expiresAt'), JSON.stringify(text));
    }
    assert.throws(() => parseExpiry('1', now, '--expires'), invalid('--expires'));
    // createToken reads it the same way: '1' is not the year 2001, nor "already past".
    const count = (await listTokens(t.repo, admin)).length;
    await assert.rejects(createToken(t.repo, { name: 'one', role: 'reader', expiresAt: '1' }, admin), invalid('expiresAt'));
    assert.equal((await listTokens(t.repo, admin)).length, count);
    const lifetime = await createToken(t.repo, { name: 'lifetime', role: 'reader', expiresAt: '30d' }, admin, { now });
    assert.equal(lifetime.record.expiresAt, '2030-01-31T00:00:00.000Z');
    // The CLI names its option.
    const cli = runCli(t.dataDir, ['token', 'create', 'from-cli-1', '--role', 'reader', '--expires', '1']);
    assert.equal(cli.status, 2, cli.stderr);
    assert.match(cli.stderr, /--expires "1" is not an expiry/);
  });

  it('refuses an expiry more than MAX_TOKEN_DAYS away (99999999d was a RangeError, INTERNAL)', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const tooFar = (e: unknown) =>
      e instanceof PyvetError && e.code === 'TOKEN_EXPIRY_INVALID' && e.kind === 'invalid' && /more than 1830 days away/.test(e.message);
    for (const text of ['99999999d', `${'9'.repeat(400)}m`, '1831d', '43921h', '9999-12-31', '2035-01-05T00:00:01Z']) {
      assert.throws(() => parseExpiry(text, now), tooFar, text);
    }
    assert.equal(parseExpiry('1830d', now), '2035-01-05T00:00:00.000Z');
    assert.equal(parseExpiry('2035-01-05', now), '2035-01-05T00:00:00.000Z');
    const count = (await listTokens(t.repo, admin)).length;
    await assert.rejects(createToken(t.repo, { name: 'big', role: 'reader', expiresAt: '99999999d' }, admin), tooFar);
    const cli = runCli(t.dataDir, ['token', 'create', 'big', '--role', 'reader', '--expires', '99999999d']);
    assert.equal(cli.status, 2, cli.stderr);
    assert.match(cli.stderr, /TOKEN_EXPIRY_INVALID.*--expires "99999999d" is more than 1830 days away/);
    assert.equal((await listTokens(t.repo, admin)).length, count);
  });

  it('refuses a reserved name in any case, and a name a live token has, ignoring case', async () => {
    const invalid = (e: unknown) => e instanceof PyvetError && e.code === 'TOKEN_NAME_INVALID' && e.kind === 'invalid';
    for (const name of ['System', 'SYSTEM', ' system ', 'Config']) {
      await assert.rejects(createToken(t.repo, { name, role: 'admin' }, admin), invalid, name);
    }
    const taken = (id: string) => (e: unknown) =>
      e instanceof PyvetError && e.code === 'TOKEN_NAME_TAKEN' && e.kind === 'conflict' && e.message.includes(id);
    const first = await createToken(t.repo, { name: 'deployer', role: 'publisher' }, admin);
    const count = (await listTokens(t.repo, admin)).length;
    for (const name of ['deployer', 'Deployer', 'DEPLOYER']) {
      await assert.rejects(createToken(t.repo, { name, role: 'reader' }, admin), taken(first.record.id), name);
    }
    // The first admin token's name too.
    await assert.rejects(createToken(t.repo, { name: 'Admin', role: 'admin' }, admin), taken(''));
    const cli = runCli(t.dataDir, ['token', 'create', 'DeplOyer', '--role', 'reader']);
    assert.equal(cli.status, 5, cli.stderr);
    assert.match(cli.stderr, /TOKEN_NAME_TAKEN.*"DeplOyer" is taken by token [0-9a-f]{16} "deployer"/);
    assert.equal((await listTokens(t.repo, admin)).length, count);
    // Once revoked, the name is free again.
    await revokeToken(t.repo, first.record.id, admin);
    const again = await createToken(t.repo, { name: 'Deployer', role: 'publisher' }, admin);
    assert.equal(again.record.name, 'Deployer');
  });

  it('never hands out the stored hash: services, CLI (JSON and text) and not a trace of it', async () => {
    const created = await createToken(t.repo, { name: 'hashless', role: 'reader' }, admin);
    const hash = (await t.repo.catalog.tokens.get(created.record.id))!.hash;
    assert.equal('hash' in created.record, false);
    for (const rec of await listTokens(t.repo, admin)) assert.equal('hash' in rec, false, rec.name);
    const cliCreated = runCli(t.dataDir, ['--json', 'token', 'create', 'hashless-cli', '--role', 'reader']);
    assert.equal(cliCreated.status, 0, cliCreated.stderr);
    const fromCli = JSON.parse(cliCreated.stdout) as { record: { id: string } };
    const cliHash = (await t.repo.catalog.tokens.get(fromCli.record.id))!.hash;
    const outputs = [cliCreated.stdout, cliCreated.stderr];
    for (const args of [['--json', 'token', 'list'], ['token', 'list'], ['token', 'create', 'hashless-text', '--role', 'reader'], ['--json', 'token', 'revoke', created.record.id], ['token', 'revoke', fromCli.record.id]]) {
      const r = runCli(t.dataDir, args);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      outputs.push(r.stdout, r.stderr);
    }
    assert.equal(outputs.join('\n').includes('hashless'), true, 'the outputs are about these tokens');
    for (const out of outputs) {
      assert.equal(out.includes(hash), false);
      assert.equal(out.includes(cliHash), false);
      assert.doesNotMatch(out, /"hash"/);
    }
    assert.equal('hash' in (await revokeToken(t.repo, created.record.id, admin)), false);
  });

  it('orders roles reader < publisher < approver < admin', () => {
    const order = ['reader', 'publisher', 'approver', 'admin'] as const;
    for (const [i, have] of order.entries()) {
      for (const [j, need] of order.entries()) assert.equal(hasRole({ name: 'x', role: have }, need), i >= j, `${have}/${need}`);
    }
    assert.throws(() => requireRole({ name: 'x', role: 'approver' }, 'admin', 'create tokens'), forbidden);
  });

  it('enforces least privilege in the services, and a refused action changes nothing', async () => {
    const publisher: Actor = { name: 'pub', role: 'publisher' };
    const approver: Actor = { name: 'appr', role: 'approver' };
    const f = await t.repo.catalog.files.insert(newFile({ project: 'least' }));
    const audit = (await t.repo.catalog.audit.list()).length;
    await assert.rejects(approveFiles(t.repo, f.filename, publisher, 'please'), forbidden);
    await assert.rejects(rejectFiles(t.repo, f.filename, publisher, 'please'), forbidden);
    await assert.rejects(yankFiles(t.repo, f.filename, publisher, 'please'), forbidden);
    await assert.rejects(createToken(t.repo, { name: 'y', role: 'admin' }, approver), forbidden);
    await assert.rejects(createToken(t.repo, { name: 'y', role: 'reader' }, publisher), forbidden);
    await assert.rejects(listTokens(t.repo, approver), forbidden);
    await assert.rejects(revokeToken(t.repo, 'whatever', approver), forbidden);
    assert.equal((await t.repo.catalog.files.get(f.id))?.state, 'quarantined');
    assert.equal((await t.repo.catalog.audit.list()).length, audit);
    const ok = await approveFiles(t.repo, 'least', approver, 'reviewed');
    assert.deepEqual(ok.changed.map((x) => [x.id, x.state, x.stateChangedBy]), [[f.id, 'approved', 'appr']]);
  });

  it('never logs a token: redaction in the logger and nothing in a debug-level CLI run', async () => {
    const lines: string[] = [];
    const logger = createLogger(
      'trace',
      new Writable({
        write(c, _e, cb) {
          lines.push(String(c));
          cb();
        },
      }),
    );
    logger.info({ token: 'pyvet_secret_1', req: { headers: { authorization: 'Basic c2VjcmV0' } } }, 'request');
    logger.flush();
    assert.equal(lines.length, 1);
    assert.doesNotMatch(lines[0]!, /pyvet_secret_1|c2VjcmV0/);
    assert.match(lines[0]!, /\[redacted\]/);

    // Everything logged so far by the services in this suite (tokens created, used, revoked).
    assert.ok(t.logs.some((l) => l.includes('"name":"victim"')), 'the suite logged through the capture');
    assert.doesNotMatch(t.logs.join(''), /pyvet_[0-9a-f]{16}_/);
    assert.doesNotMatch(t.logs.join(''), new RegExp(t.adminToken.slice(-20)));

    const created = runCli(t.dataDir, ['--json', 'token', 'create', 'from-cli', '--role', 'reader'], {
      PYVET_LOG_LEVEL: 'trace',
    });
    assert.equal(created.status, 0, created.stderr);
    const { token } = JSON.parse(created.stdout) as { token: string };
    assert.ok(await authenticate(t.repo, token));
    assert.match(created.stderr, /token created/);
    assert.equal(created.stderr.includes(token), false);
    assert.equal(created.stderr.includes(token.slice(-43)), false);
    const listed = runCli(t.dataDir, ['--json', 'token', 'list']);
    assert.equal(listed.stdout.includes(token.slice(-43)), false);
  });
});
