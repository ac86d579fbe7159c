// Upstreams: the trusted sources files may be mirrored from. Credentials are never stored:
// only the name of the environment variable that holds the password or token.
import type { Kysely } from 'kysely';

export interface UpstreamsTable {
  name: string;
  url: string;
  priority: number;
  /** JSON array of glob patterns of the projects this upstream may supply. */
  projects: string;
  username: string | null;
  password_env: string | null;
  created_at: string;
  created_by: string;
}

export interface UpstreamTables {
  upstreams: UpstreamsTable;
}

// biome-ignore lint/suspicious/noExplicitAny: runs before the typed schema exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('upstreams')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('projects', 'text', (c) => c.notNull())
    .addColumn('username', 'text')
    .addColumn('password_env', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
}
