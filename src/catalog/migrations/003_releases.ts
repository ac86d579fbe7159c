// Release sets (dated toolkit releases, not a project's releases): each written once and never
// changed, the documents it publishes (requirements files, SBOMs, the manifest and its signature,
// stored verbatim so they are served byte for byte), and the file each target pins (to answer
// "which release sets contain this file").
import type { Kysely } from 'kysely';

export interface ReleasesTable {
  name: string;
  created_at: string;
  created_by: string;
  /** The release this one patches, if any. */
  base: string | null;
  index_url: string;
  /** JSON array of target names. */
  targets: string;
  manifest_sha256: string;
}

export interface ReleaseDocumentsTable {
  release: string;
  /** 'manifest.json', 'manifest.json.sig', '<target>.txt', '<target>.cdx.json'. */
  path: string;
  media_type: string;
  sha256: string;
  content: string;
}

export interface ReleasePinsTable {
  release: string;
  target: string;
  project: string;
  version: string;
  filename: string;
  sha256: string;
  file_id: number;
}

export interface ReleaseTables {
  release_sets: ReleasesTable;
  release_set_documents: ReleaseDocumentsTable;
  release_set_pins: ReleasePinsTable;
}

// biome-ignore lint/suspicious/noExplicitAny: runs before the typed schema exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('release_sets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('base', 'text')
    .addColumn('index_url', 'text', (c) => c.notNull())
    .addColumn('targets', 'text', (c) => c.notNull())
    .addColumn('manifest_sha256', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('release_set_documents')
    .addColumn('release', 'text', (c) => c.notNull().references('release_sets.name'))
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('release_set_documents_pk', ['release', 'path'])
    .execute();
  await db.schema
    .createTable('release_set_pins')
    .addColumn('release', 'text', (c) => c.notNull().references('release_sets.name'))
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('file_id', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('release_set_pins_pk', ['release', 'target', 'project'])
    .execute();
  await db.schema.createIndex('release_set_pins_file').on('release_set_pins').column('file_id').execute();
}
