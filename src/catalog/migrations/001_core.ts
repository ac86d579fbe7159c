// Core schema: projects, releases, files, tokens, the audit log and settings.
// Portable SQL only (Kysely schema builder): it must also run on PostgreSQL later.
import type { Kysely } from 'kysely';

export interface SettingsTable {
  key: string;
  value: string;
}

// The repository-core issue fills in projects, files, tokens and audit tables here.
export interface CoreTables {
  settings: SettingsTable;
}

// biome-ignore lint/suspicious/noExplicitAny: runs before the typed schema exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}
