// Core schema: projects, releases, files, tokens, the audit log, settings and the serial counter.
// Portable SQL only (Kysely schema builder): it must also run on PostgreSQL later. JSON columns
// are text; booleans are integers 0/1; times are ISO 8601 UTC text (sortable as strings).
import type { Generated, Kysely } from 'kysely';

export interface SettingsTable {
  key: string;
  value: string;
}

export interface ProjectsTable {
  name: string;
  display_name: string;
  created_at: string;
  /** Serial of the last change to any of its files (PyPI's _last-serial). */
  last_serial: number;
}

export interface ReleasesTable {
  project: string;
  version: string;
  created_at: string;
}

export interface FilesTable {
  id: Generated<number>;
  project: string;
  version: string;
  filename: string;
  kind: string;
  size: number;
  sha256: string;
  blake2b256: string;
  md5: string;
  requires_python: string | null;
  metadata_sha256: string | null;
  /** JSON array of strings. */
  requires_dist: string;
  /** JSON array of strings. */
  provides_extra: string;
  summary: string | null;
  license: string | null;
  /** JSON array of strings. */
  tags: string;
  uploaded_at: string;
  upstream_uploaded_at: string | null;
  origin: string;
  state: string;
  state_changed_at: string;
  state_changed_by: string;
  state_reason: string | null;
  yanked: number;
  yanked_reason: string | null;
  /** JSON IntegrityReport. */
  integrity: string;
}

export interface TokensTable {
  id: string;
  name: string;
  role: string;
  hash: string;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface AuditLogTable {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  /** Canonical JSON object. */
  details: string;
  prev_hash: string;
  hash: string;
}

/** Named monotonic counters; 'files' is the catalog serial the server watches. */
export interface CountersTable {
  name: string;
  value: number;
}

export interface CoreTables {
  settings: SettingsTable;
  projects: ProjectsTable;
  releases: ReleasesTable;
  files: FilesTable;
  tokens: TokensTable;
  audit_log: AuditLogTable;
  counters: CountersTable;
}

// biome-ignore lint/suspicious/noExplicitAny: runs before the typed schema exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('counters')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .execute();
  await db.insertInto('counters').values({ name: 'files', value: 0 }).execute();

  await db.schema
    .createTable('projects')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_serial', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('releases')
    .addColumn('project', 'text', (c) => c.notNull().references('projects.name'))
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('releases_pk', ['project', 'version'])
    .execute();

  await db.schema
    .createTable('files')
    // 'integer primary key' is SQLite's rowid alias; PostgreSQL will use a generated identity.
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('blake2b256', 'text', (c) => c.notNull())
    .addColumn('md5', 'text', (c) => c.notNull())
    .addColumn('requires_python', 'text')
    .addColumn('metadata_sha256', 'text')
    .addColumn('requires_dist', 'text', (c) => c.notNull())
    .addColumn('provides_extra', 'text', (c) => c.notNull())
    .addColumn('summary', 'text')
    .addColumn('license', 'text')
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('uploaded_at', 'text', (c) => c.notNull())
    .addColumn('upstream_uploaded_at', 'text')
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('state_changed_at', 'text', (c) => c.notNull())
    .addColumn('state_changed_by', 'text', (c) => c.notNull())
    .addColumn('state_reason', 'text')
    .addColumn('yanked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('yanked_reason', 'text')
    .addColumn('integrity', 'text', (c) => c.notNull())
    .addForeignKeyConstraint('files_release_fk', ['project', 'version'], 'releases', ['project', 'version'])
    .execute();
  // Hot paths: a project page (project + state), "which files have these bytes", the review queue.
  await db.schema.createIndex('files_project_state').on('files').columns(['project', 'state']).execute();
  await db.schema.createIndex('files_sha256').on('files').column('sha256').execute();
  await db.schema.createIndex('files_state').on('files').column('state').execute();

  await db.schema
    .createTable('tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('last_used_at', 'text')
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_subject').on('audit_log').column('subject').execute();
}
