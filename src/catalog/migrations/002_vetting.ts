// Vetting schema: imported OSV advisories (with a by-package index for matching), the latest
// vetting result of each file, and waivers. The policy itself lives in settings.
import type { Generated, Kysely } from 'kysely';

export interface AdvisoriesTable {
  id: string;
  modified: string;
  published: string | null;
  withdrawn: string | null;
  /** JSON array of strings. */
  aliases: string;
  summary: string | null;
  details: string | null;
  /** JSON array of {type, score}. */
  severity: string;
  score: number | null;
  severity_level: string | null;
  /** JSON array of AffectedPackage. */
  affected: string;
  /** JSON array of strings. */
  fixed: string;
  imported_at: string;
}

/** One row per (advisory, normalized package): matching loads only the packages it needs. */
export interface AdvisoryPackagesTable {
  package: string;
  advisory_id: string;
}

export interface VettingResultsTable {
  file_id: number;
  verdict: string;
  /** JSON array of strings. */
  reasons: string;
  /** JSON array of Finding. */
  findings: string;
  license: string | null;
  /** JSON array of GateResult. */
  gates: string;
  decided_at: string;
}

export interface WaiversTable {
  id: Generated<number>;
  file_id: number;
  advisory_id: string;
  reason: string;
  expires_at: string;
  granted_by: string;
  granted_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
}

export interface VettingTables {
  advisories: AdvisoriesTable;
  advisory_packages: AdvisoryPackagesTable;
  vetting_results: VettingResultsTable;
  waivers: WaiversTable;
}

// biome-ignore lint/suspicious/noExplicitAny: runs before the typed schema exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('advisories')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('modified', 'text', (c) => c.notNull())
    .addColumn('published', 'text')
    .addColumn('withdrawn', 'text')
    .addColumn('aliases', 'text', (c) => c.notNull())
    .addColumn('summary', 'text')
    .addColumn('details', 'text')
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('score', 'real')
    .addColumn('severity_level', 'text')
    .addColumn('affected', 'text', (c) => c.notNull())
    .addColumn('fixed', 'text', (c) => c.notNull())
    .addColumn('imported_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('advisory_packages')
    .addColumn('package', 'text', (c) => c.notNull())
    .addColumn('advisory_id', 'text', (c) => c.notNull().references('advisories.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('advisory_packages_pk', ['package', 'advisory_id'])
    .execute();
  await db.schema.createIndex('advisory_packages_advisory').on('advisory_packages').column('advisory_id').execute();

  await db.schema
    .createTable('vetting_results')
    .addColumn('file_id', 'integer', (c) => c.primaryKey().references('files.id'))
    .addColumn('verdict', 'text', (c) => c.notNull())
    .addColumn('reasons', 'text', (c) => c.notNull())
    .addColumn('findings', 'text', (c) => c.notNull())
    .addColumn('license', 'text')
    .addColumn('gates', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('waivers')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('file_id', 'integer', (c) => c.notNull().references('files.id'))
    .addColumn('advisory_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('granted_by', 'text', (c) => c.notNull())
    .addColumn('granted_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('revoked_by', 'text')
    .execute();
  await db.schema.createIndex('waivers_file').on('waivers').column('file_id').execute();
}
