// The embedded default catalog: SQLite through better-sqlite3, queried with Kysely so the same
// store code can later run on PostgreSQL.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Kysely as KyselyT, Transaction } from 'kysely';
import { Kysely, SqliteDialect, sql } from './kysely.js';
import { PyvetError } from '../errors.js';
import type { Catalog } from './catalog.js';
import type { DB } from './db.js';
import { MIGRATIONS } from './migrations/index.js';
import { SqlAdvisoryStore } from './stores/advisories.js';
import { SqlAuditStore } from './stores/audit.js';
import { SqlFileStore, sqliteSerialReader } from './stores/files.js';
import { SqlReleaseStore } from './stores/releases.js';
import { SqlSettingsStore } from './stores/settings.js';
import { SqlTokenStore } from './stores/tokens.js';
import { SqlUpstreamStore } from './stores/upstreams.js';
import { SqlVettingStore } from './stores/vetting.js';

type Executor = KyselyT<DB> | Transaction<DB>;

class SqlCatalog implements Catalog {
  readonly files;
  readonly tokens;
  readonly audit;
  readonly settings;
  readonly advisories;
  readonly vetting;
  readonly upstreams;
  readonly releaseSets;

  constructor(
    private readonly root: KyselyT<DB>,
    db: Executor,
    private readonly inTransaction: boolean,
    // Hot reads done with a prepared statement on the one better-sqlite3 connection (see files store).
    private readonly readSerial?: () => number | undefined,
  ) {
    this.files = new SqlFileStore(db, readSerial);
    this.tokens = new SqlTokenStore(db);
    this.audit = new SqlAuditStore(db);
    this.settings = new SqlSettingsStore(db);
    this.advisories = new SqlAdvisoryStore(db);
    this.vetting = new SqlVettingStore(db);
    this.upstreams = new SqlUpstreamStore(db);
    this.releaseSets = new SqlReleaseStore(db);
  }

  async transaction<T>(fn: (tx: Catalog) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    // BEGIN IMMEDIATE takes the write lock up front: two processes (the server and a CLI
    // command) can then never both read the audit chain's head and append after it.
    return this.root.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        const result = await fn(new SqlCatalog(this.root, conn as unknown as Transaction<DB>, true, this.readSerial));
        await sql`commit`.execute(conn);
        return result;
      } catch (err) {
        await sql`rollback`.execute(conn);
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    if (!this.inTransaction) await this.root.destroy();
  }
}

export interface SqliteCatalogOptions {
  /** Open read-only (e.g. for `audit verify` on a copy). */
  readonly?: boolean;
}

/** Opens (creating if needed) the SQLite catalog at `path` and brings its schema up to date. */
export async function openSqliteCatalog(path: string, opts: SqliteCatalogOptions = {}): Promise<Catalog> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let database: Database.Database;
  try {
    database = new Database(path, { readonly: opts.readonly ?? false });
  } catch (err) {
    throw new PyvetError('CATALOG_OPEN_FAILED', 'unavailable', `cannot open catalog ${path}: ${(err as Error).message}`);
  }
  database.pragma('busy_timeout = 10000');
  if (!opts.readonly) {
    // WAL: readers (the server) never block the writer (a CLI ingest), and a kill -9 at any
    // point leaves the last committed state. synchronous=FULL makes commits durable too.
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = FULL');
  }
  database.pragma('foreign_keys = ON');
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  if (!opts.readonly) await migrate(db);
  return new SqlCatalog(db, db, false, sqliteSerialReader(database));
}

// Kysely prepares every query anew, and preparing costs more than running most of ours (an
// ingest runs a few dozen small ones). Compiled SQL text repeats, so prepared statements are
// kept by text; a bounded map, emptied when full, since `in (…)` lists vary in length.
const STATEMENT_CACHE_SIZE = 512;

function withStatementCache(database: Database.Database): { prepare: Database.Database['prepare']; close: () => void } {
  const statements = new Map<string, Database.Statement>();
  return {
    prepare: ((text: string) => {
      let stmt = statements.get(text);
      if (!stmt) {
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
        stmt = database.prepare(text);
        statements.set(text, stmt);
      }
      return stmt;
    }) as Database.Database['prepare'],
    close: () => {
      statements.clear();
      database.close();
    },
  };
}

async function migrate(db: KyselyT<DB>): Promise<void> {
  await sql`create table if not exists schema_migrations (id text primary key, applied_at text not null)`.execute(db);
  const done = new Set(
    (await sql<{ id: string }>`select id from schema_migrations`.execute(db)).rows.map((r) => r.id),
  );
  for (const m of MIGRATIONS) {
    if (done.has(m.id)) continue;
    await db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        // Another process may have migrated while we waited for the lock.
        const again = await sql<{ id: string }>`select id from schema_migrations where id = ${m.id}`.execute(conn);
        if (again.rows.length === 0) {
          await m.up(conn);
          await sql`insert into schema_migrations (id, applied_at) values (${m.id}, ${new Date().toISOString()})`.execute(
            conn,
          );
        }
        await sql`commit`.execute(conn);
      } catch (err) {
        await sql`rollback`.execute(conn);
        throw err;
      }
    });
  }
}
