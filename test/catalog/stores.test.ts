// Catalog stores on a real SQLite file: files (with projects, releases and the serial), tokens,
// audit, settings, transactions and migrations.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Catalog } from '../../src/catalog/catalog.js';
import { openSqliteCatalog } from '../../src/catalog/sqlite.js';
import { PyvetError } from '../../src/errors.js';
import { tempDir } from '../helpers/paths.js';
import { newFile } from '../repository/support.js';

describe('SQLite catalog stores', () => {
  const tmp = tempDir('pyvet-catalog-');
  const path = join(tmp.path, 'catalog.sqlite');
  let catalog: Catalog;

  before(async () => {
    catalog = await openSqliteCatalog(path);
  });
  after(async () => {
    await catalog.close();
    tmp.cleanup();
  });

  it('inserts a file with its project and release, and reads it back field for field', async () => {
    const nf = newFile({ project: 'django', displayName: 'Django', version: '5.0.1' });
    const f = await catalog.files.insert(nf);
    assert.ok(f.id > 0);
    const got = await catalog.files.get(f.id);
    assert.deepEqual(got, f);
    assert.equal(f.state, 'quarantined');
    assert.equal(f.yanked, false);
    assert.deepEqual(f.requiresDist, nf.requiresDist);
    assert.deepEqual(f.integrity, nf.integrity);
    assert.equal(f.stateChangedBy, 'cli:test');
    assert.deepEqual(await catalog.files.getByFilename(nf.filename), f);
    assert.deepEqual(await catalog.files.findBySha256(nf.sha256), [f]);
    const project = await catalog.files.getProject('django');
    assert.equal(project?.displayName, 'Django');
  });

  it('refuses a duplicate filename with FILE_EXISTS and changes nothing', async () => {
    const nf = newFile({ project: 'dup' });
    await catalog.files.insert(nf);
    const serial = await catalog.files.serial();
    await assert.rejects(
      catalog.transaction((tx) => tx.files.insert({ ...nf, sha256: 'e'.repeat(64) })),
      (e: unknown) => e instanceof PyvetError && e.code === 'FILE_EXISTS' && e.kind === 'conflict',
    );
    assert.equal(await catalog.files.serial(), serial);
    assert.equal((await catalog.files.list({ project: 'dup' })).length, 1);
  });

  it('moves the serial on every file change and records it as the project last serial', async () => {
    const s0 = await catalog.files.serial();
    const f = await catalog.files.insert(newFile({ project: 'serials' }));
    const s1 = await catalog.files.serial();
    assert.ok(s1 > s0);
    await catalog.files.setState(f.id, 'approved', 'cli:test', 'ok');
    const s2 = await catalog.files.serial();
    assert.ok(s2 > s1);
    const y = await catalog.files.setYanked(f.id, true, 'broken');
    assert.equal(y.yanked, true);
    assert.equal(y.yankedReason, 'broken');
    const s3 = await catalog.files.serial();
    assert.ok(s3 > s2);
    const summary = (await catalog.files.listProjects()).find((p) => p.name === 'serials');
    assert.equal(summary?.lastSerial, s3);
    const unyanked = await catalog.files.setYanked(f.id, false, null);
    assert.equal(unyanked.yankedReason, null);
  });

  it('reads the serial inside a transaction and across connections (the server sees CLI changes)', async () => {
    const other = await openSqliteCatalog(path);
    try {
      const s0 = await other.files.serial();
      assert.equal(s0, await catalog.files.serial());
      await catalog.transaction(async (tx) => {
        await tx.files.insert(newFile({ project: 'cross' }));
        assert.equal(await tx.files.serial(), s0 + 1, 'the transaction sees its own bump');
      });
      assert.equal(await other.files.serial(), s0 + 1, 'another connection sees the commit');
    } finally {
      await other.close();
    }
  });

  it('never shows an uncommitted serial outside its transaction', async () => {
    const s0 = await catalog.files.serial();
    let outside: Promise<number> | undefined;
    await assert.rejects(
      catalog.transaction(async (tx) => {
        await tx.files.insert(newFile({ project: 'phantom' }));
        outside = catalog.files.serial(); // a concurrent request while the write is open
        throw new Error('rolled back');
      }),
      /rolled back/,
    );
    assert.equal(await outside, s0);
  });

  it('filters by project, version and state, and lists projects having files in given states', async () => {
    const a = await catalog.files.insert(newFile({ project: 'filt', version: '1.0' }));
    await catalog.files.insert(newFile({ project: 'filt', version: '2.0' }));
    await catalog.files.setState(a.id, 'approved', 'x', 'r');
    assert.equal((await catalog.files.list({ project: 'filt' })).length, 2);
    assert.equal((await catalog.files.list({ project: 'filt', version: '2.0' })).length, 1);
    assert.deepEqual(
      (await catalog.files.list({ project: 'filt', states: ['approved'] })).map((f) => f.id),
      [a.id],
    );
    assert.deepEqual(await catalog.files.list({ states: [] }), []);
    const approvedProjects = (await catalog.files.listProjects(['approved'])).map((p) => p.name);
    assert.ok(approvedProjects.includes('filt'));
    assert.ok(!approvedProjects.includes('dup'));
    const all = await catalog.files.list();
    const expected = { quarantined: 0, approved: 0, rejected: 0 };
    for (const f of all) expected[f.state]++;
    assert.deepEqual(await catalog.files.countByState(), expected);
    assert.ok(expected.approved >= 1 && expected.quarantined >= 1);
  });

  it('rolls back every store when a transaction throws', async () => {
    const serial = await catalog.files.serial();
    const nf = newFile({ project: 'rollback' });
    await assert.rejects(
      catalog.transaction(async (tx) => {
        await tx.files.insert(nf);
        await tx.audit.append({ actor: 'x', action: 'file.ingest', subject: nf.filename, details: {} });
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await catalog.files.getByFilename(nf.filename), undefined);
    assert.equal(await catalog.files.getProject('rollback'), undefined);
    assert.equal(await catalog.files.serial(), serial);
    assert.equal((await catalog.audit.list()).some((e) => e.subject === nf.filename), false);
  });

  it('stores tokens by hash, revokes once and touches last use', async () => {
    const t = await catalog.tokens.insert({
      id: '0123456789abcdef',
      name: 'ci',
      role: 'publisher',
      hash: 'f'.repeat(64),
      createdAt: new Date().toISOString(),
      createdBy: 'cli:test',
      expiresAt: null,
    });
    assert.equal(t.revokedAt, null);
    await catalog.tokens.touch(t.id, '2030-01-01T00:00:00.000Z');
    assert.equal((await catalog.tokens.get(t.id))?.lastUsedAt, '2030-01-01T00:00:00.000Z');
    const r = await catalog.tokens.revoke(t.id, '2030-01-02T00:00:00.000Z');
    assert.equal(r.revokedAt, '2030-01-02T00:00:00.000Z');
    const again = await catalog.tokens.revoke(t.id, '2031-01-01T00:00:00.000Z');
    assert.equal(again.revokedAt, '2030-01-02T00:00:00.000Z');
    await assert.rejects(catalog.tokens.revoke('ffffffffffffffff', 'x'), (e: unknown) => (e as PyvetError).code === 'TOKEN_NOT_FOUND');
    assert.deepEqual((await catalog.tokens.list()).map((x) => x.id), [t.id]);
  });

  it('chains audit entries with consecutive seqs and keeps the head in settings', async () => {
    const a = await catalog.transaction((tx) =>
      tx.audit.append({ actor: 'cli:test', action: 'policy.change', subject: 'policy', details: { b: 1, a: [1, 'x'] } }),
    );
    const b = await catalog.transaction((tx) =>
      tx.audit.append({ actor: 'cli:test', action: 'policy.change', subject: 'policy', details: {} }),
    );
    assert.equal(b.seq, a.seq + 1);
    assert.equal(b.prevHash, a.hash);
    assert.match(a.hash, /^[0-9a-f]{64}$/);
    assert.deepEqual(JSON.parse((await catalog.settings.get('audit.head'))!), { seq: b.seq, hash: b.hash });
    const listed = await catalog.audit.list(a.seq, 1);
    assert.deepEqual(listed, [a]);
  });

  it('reopens an existing catalog without re-running migrations, and the schema is sound', async () => {
    const again = await openSqliteCatalog(path);
    assert.ok((await again.files.list()).length > 0);
    await again.close();
    const db = new Database(path, { readonly: true });
    const migrations = db.prepare('select id from schema_migrations').all() as { id: string }[];
    assert.ok(migrations.some((m) => m.id === '001_core'));
    assert.equal((db.pragma('integrity_check') as { integrity_check: string }[])[0]?.integrity_check, 'ok');
    const indexes = (db.prepare("select name from sqlite_master where type = 'index'").all() as { name: string }[]).map(
      (r) => r.name,
    );
    for (const i of ['files_project_state', 'files_sha256', 'files_state']) assert.ok(indexes.includes(i), i);
    db.close();
  });
});
