// The audit chain: verify passes on an honest log; an edit through SQL, a one-byte flip in the
// database file, a removed entry, reordered entries, a rewritten entry and a truncated tail are
// each detected and located. Export writes every entry as a JSON line.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { entryHash } from '../../src/audit/chain.js';
import { exportAudit, type VerifyOptions, verifyAudit } from '../../src/audit/verify.js';
import type { AuditEntry } from '../../src/catalog/types.js';
import { openRepository } from '../../src/repository/open.js';
import { createToken, revokeToken } from '../../src/repository/tokens.js';
import type { Actor } from '../../src/repository/types.js';
import { tempDir } from '../helpers/paths.js';
import { runCli } from '../helpers/cli.js';
import { makeRepo, type TestRepo } from '../repository/support.js';

const admin: Actor = { name: 'cli:test', role: 'admin' };

describe('audit log', () => {
  let t: TestRepo;
  let entries: AuditEntry[];
  const copies = tempDir('pyvet-audit-');

  before(async () => {
    t = await makeRepo();
    const a = await createToken(t.repo, { name: 'fliptarget', role: 'reader' }, admin);
    await createToken(t.repo, { name: 'second', role: 'publisher' }, admin);
    await revokeToken(t.repo, a.record.id, admin);
    for (let i = 0; i < 3; i++) {
      await t.repo.catalog.transaction((tx) =>
        tx.audit.append({ actor: admin.name, action: 'policy.change', subject: 'policy', details: { n: i, why: `step ${i}` } }),
      );
    }
    entries = await t.repo.catalog.audit.list();
    await t.repo.close(); // checkpoints the WAL into catalog.sqlite so copies are complete
  });
  after(async () => {
    await t.cleanup();
    copies.cleanup();
  });

  /** A copy of the repository, tampered with through `edit` on its database file. */
  async function tampered(name: string, edit: (db: Database.Database, file: string) => void, opts: VerifyOptions = {}) {
    const dir = join(copies.path, name);
    cpSync(t.dataDir, dir, { recursive: true });
    const file = join(dir, 'catalog.sqlite');
    const db = new Database(file);
    edit(db, file);
    db.close();
    const repo = await openRepository({ dataDir: dir });
    try {
      return await verifyAudit(repo, opts);
    } finally {
      await repo.close();
    }
  }

  it('verifies an honest log, init and token changes included', async () => {
    assert.ok(entries.length >= 7);
    assert.deepEqual(
      entries.slice(0, 5).map((e) => e.action),
      ['repository.init', 'token.create', 'token.create', 'token.create', 'token.revoke'],
    );
    const v = await tampered('honest', () => {});
    assert.equal(v.ok, true);
    assert.equal(v.entries, entries.length);
    assert.deepEqual(v.head, { seq: entries.at(-1)!.seq, hash: entries.at(-1)!.hash });
  });

  it('locates an entry whose details were edited through SQL', async () => {
    const v = await tampered('sql-edit', (db) => {
      db.prepare(`update audit_log set details = '{"n":0,"why":"nothing to see"}' where seq = 6`).run();
    });
    assert.equal(v.ok, false);
    assert.deepEqual([v.firstBad?.seq, v.firstBad?.problem], [6, 'edited']);
  });

  it('locates a one-byte flip in the database file', async () => {
    const target = entries.find((e) => e.action === 'token.create' && e.details.name === 'fliptarget')!;
    const v = await tampered('byte-flip', (db, file) => {
      db.exec('vacuum'); // drop stale copies of pages so the one live row is the only match
      db.close();
      const bytes = readFileSync(file);
      const needle = Buffer.from('"name":"fliptarget","role"');
      const at = bytes.indexOf(needle);
      assert.ok(at > 0, 'the audit row is in the file');
      assert.equal(bytes.indexOf(needle, at + 1), -1, 'and only once');
      bytes[at + 9] = 'F'.charCodeAt(0); // fliptarget -> Fliptarget
      writeFileSync(file, bytes);
    });
    assert.equal(v.ok, false);
    assert.deepEqual([v.firstBad?.seq, v.firstBad?.problem], [target.seq, 'edited']);
  });

  it('locates a removed entry', async () => {
    const v = await tampered('removed', (db) => {
      db.prepare('delete from audit_log where seq = 4').run();
    });
    assert.deepEqual([v.ok, v.firstBad?.seq, v.firstBad?.problem], [false, 4, 'removed']);
  });

  it('locates a removed entry even when the later ones were renumbered to close the gap', async () => {
    const v = await tampered('removed-renumbered', (db) => {
      db.prepare('delete from audit_log where seq = 4').run();
      db.prepare('update audit_log set seq = seq - 1 where seq > 4').run();
      db.prepare("update settings set value = json_set(value, '$.seq', json_extract(value, '$.seq') - 1) where key = 'audit.head'").run();
    });
    assert.deepEqual([v.ok, v.firstBad?.seq, v.firstBad?.problem], [false, 4, 'removed']);
  });

  it('reports a database too damaged to read as unreadable instead of failing', async () => {
    const v = await tampered('malformed', (db, file) => {
      db.exec('vacuum');
      const { rootpage } = db.prepare("select rootpage from sqlite_master where name = 'audit_log'").get() as { rootpage: number };
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.close();
      const bytes = readFileSync(file);
      bytes[(rootpage - 1) * pageSize] = 0x42; // not a b-tree page type: SQLite refuses to read the table
      writeFileSync(file, bytes);
    });
    assert.equal(v.ok, false);
    assert.equal(v.firstBad?.problem, 'unreadable');
  });

  it('locates reordered entries', async () => {
    const v = await tampered('reordered', (db) => {
      db.prepare('update audit_log set seq = -1 where seq = 5').run();
      db.prepare('update audit_log set seq = 5 where seq = 6').run();
      db.prepare('update audit_log set seq = 6 where seq = -1').run();
    });
    assert.deepEqual([v.ok, v.firstBad?.seq, v.firstBad?.problem], [false, 5, 'reordered']);
  });

  it('locates an entry rewritten with a recomputed hash (its successor no longer links to it)', async () => {
    const e = entries[2]!;
    const details = { ...e.details, role: 'admin' };
    const forged = entryHash(e.prevHash, { ...e, details });
    const v = await tampered('rewritten', (db) => {
      db.prepare('update audit_log set details = ?, hash = ? where seq = ?').run(JSON.stringify(details), forged, e.seq);
    });
    assert.deepEqual([v.ok, v.firstBad?.seq, v.firstBad?.problem], [false, e.seq, 'edited']);
  });

  it('detects entries cut from the end of the log through the recorded head', async () => {
    const last = entries.at(-1)!.seq;
    const v = await tampered('truncated', (db) => {
      db.prepare('delete from audit_log where seq >= ?').run(last - 1);
    });
    assert.deepEqual([v.ok, v.firstBad?.seq, v.firstBad?.problem], [false, last - 1, 'truncated']);
  });

  // A forged row: the columns of audit_log in order, with the seq given.
  const forge = (seq: string) =>
    `insert into audit_log values (${seq}, '2026-11-29T21:36:00.000Z', 'security-team', 'file.approve', 'PySocks-1.7.1-py3-none-any.whl', '{"reason":"FORGED"}', 'x', 'y')`;

  for (const [seq, named] of [
    ['-1', /the row with seq -1 \(file\.approve of 'PySocks-1\.7\.1-py3-none-any\.whl' by security-team/],
    ['0', /the row with seq 0 /],
    ['NULL', /the row with no seq \(NULL\)/],
    ["'abc'", /the row with seq 'abc' \(text\)/],
    ['1.5', /the row with seq 1\.5 /],
  ] as const) {
    it(`reports a forged row with seq ${seq} as outside the chain, and no view shows it`, async () => {
      const name = `forged-${seq.replace(/\W/g, '')}`;
      const v = await tampered(name, (db) => {
        db.prepare(forge(seq)).run();
      });
      assert.equal(v.ok, false);
      assert.equal(v.firstBad?.problem, 'outside-chain');
      assert.match(v.firstBad!.detail, named);
      const repo = await openRepository({ dataDir: join(copies.path, name) });
      try {
        assert.equal((await repo.catalog.audit.list()).length, entries.length);
        assert.deepEqual(await repo.catalog.audit.bySubject(['PySocks-1.7.1-py3-none-any.whl']), []);
      } finally {
        await repo.close();
      }
      const cli = runCli(join(copies.path, name), ['audit', 'verify']);
      assert.equal(cli.status, 1);
      assert.match(cli.stdout, /BROKEN.*outside-chain/);
      assert.doesNotMatch(cli.stdout, /NaN/);
    });
  }

  it('reports a wiped log (entries and head) as truncated', async () => {
    const v = await tampered('wiped', (db) => {
      db.prepare('delete from audit_log').run();
      db.prepare("delete from settings where key = 'audit.head'").run();
    });
    assert.deepEqual([v.ok, v.firstBad?.seq, v.firstBad?.problem], [false, 1, 'truncated']);
    assert.match(v.firstBad!.detail, /empty/);
  });

  it('reports a log rebuilt from scratch (entry 1 not repository.init) as rewritten', async () => {
    const v = await tampered('rebuilt', (db) => {
      db.prepare('delete from audit_log').run();
      const e = { seq: 1, at: '2026-01-01T00:00:00.000Z', actor: 'x', action: 'policy.change', subject: 'policy', details: {} };
      const hash = entryHash('0'.repeat(64), e);
      db.prepare('insert into audit_log values (?, ?, ?, ?, ?, ?, ?, ?)').run(1, e.at, e.actor, e.action, e.subject, '{}', '0'.repeat(64), hash);
      db.prepare("update settings set value = ? where key = 'audit.head'").run(JSON.stringify({ seq: 1, hash }));
    });
    assert.deepEqual([v.ok, v.firstBad?.seq, v.firstBad?.problem], [false, 1, 'rewritten']);
  });

  it('a kept head detects a tail cut together with the recorded head', async () => {
    const last = entries.at(-1)!;
    const cut = (db: Database.Database) => {
      db.prepare('delete from audit_log where seq >= ?').run(last.seq - 1);
      db.prepare(
        "update settings set value = (select json_object('seq', seq, 'hash', hash) from audit_log where seq = ?) where key = 'audit.head'",
      ).run(last.seq - 2);
    };
    assert.equal((await tampered('cut-head', cut)).ok, true, 'undetectable without a kept head');
    const v = await tampered('cut-head-anchored', cut, { anchor: { seq: last.seq, hash: last.hash } });
    assert.deepEqual([v.ok, v.firstBad?.seq, v.firstBad?.problem], [false, last.seq - 1, 'truncated']);
    const older = entries[3]!;
    assert.equal((await tampered('cut-head-older', cut, { anchor: { seq: older.seq, hash: older.hash } })).ok, true);
    const w = await tampered('cut-head-rewritten', cut, { anchor: { seq: older.seq, hash: 'f'.repeat(64) } });
    assert.deepEqual([w.ok, w.firstBad?.seq, w.firstBad?.problem], [false, older.seq, 'rewritten']);
  });

  it('pyvet audit head prints the SEQ:HASH that pyvet audit verify --head checks', () => {
    const head = runCli(t.dataDir, ['audit', 'head']);
    assert.equal(head.status, 0, head.stderr);
    const last = entries.at(-1)!;
    assert.equal(head.stdout.trim(), `${last.seq}:${last.hash}`);
    const ok = runCli(t.dataDir, ['audit', 'verify', '--head', head.stdout.trim()]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`head ${last.seq}:${last.hash}`));
    const cut = runCli(join(copies.path, 'cut-head'), ['audit', 'verify', '--head', head.stdout.trim()]);
    assert.equal(cut.status, 1);
    assert.match(cut.stdout, /BROKEN at entry \d+: truncated: .*truncated or rewritten before it/);
    const badArg = runCli(t.dataDir, ['audit', 'verify', '--head', 'nonsense']);
    assert.equal(badArg.status, 2);
    assert.match(badArg.stderr, /AUDIT_HEAD_INVALID/);
  });

  it('exports every entry as one JSON line, and refuses to overwrite a file', async () => {
    const repo = await openRepository({ dataDir: t.dataDir });
    try {
      const out = join(copies.path, 'audit.jsonl');
      assert.equal(await exportAudit(repo, out), entries.length);
      const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as AuditEntry);
      assert.deepEqual(lines, entries);
      await assert.rejects(exportAudit(repo, out), (e: unknown) => (e as { code: string }).code === 'AUDIT_EXPORT_FAILED');
    } finally {
      await repo.close();
    }
  });

  it('pyvet audit verify exits 0 when intact and 1 with the location when not', async () => {
    const ok = runCli(t.dataDir, ['--json', 'audit', 'verify']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).ok, true);
    const dir = join(copies.path, 'removed');
    const bad = runCli(dir, ['audit', 'verify']);
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /BROKEN at entry 4: removed/);
    const exported = runCli(t.dataDir, ['audit', 'export']);
    assert.equal(exported.status, 0, exported.stderr);
    assert.equal(exported.stdout.trimEnd().split('\n').length, entries.length);
  });
});
