import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db.js';
import type { UpstreamsTable } from '../migrations/004_upstream.js';

export interface UpstreamRecord {
  name: string;
  url: string;
  /** Lower is preferred: a project comes from the first upstream (by priority) that may supply it. */
  priority: number;
  /** Glob patterns of the (normalized) project names it may supply. */
  projects: string[];
  username: string | null;
  /** Environment variable holding the password or token; the secret itself is never stored. */
  passwordEnv: string | null;
  createdAt: string;
  createdBy: string;
}

export interface UpstreamStore {
  /** Inserts or replaces by name. */
  put(upstream: UpstreamRecord): Promise<void>;
  get(name: string): Promise<UpstreamRecord | undefined>;
  list(): Promise<UpstreamRecord[]>;
  remove(name: string): Promise<boolean>;
}

function fromRow(r: UpstreamsTable): UpstreamRecord {
  return {
    name: r.name,
    url: r.url,
    priority: r.priority,
    projects: JSON.parse(r.projects) as string[],
    username: r.username,
    passwordEnv: r.password_env,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}

export class SqlUpstreamStore implements UpstreamStore {
  constructor(private readonly db: Kysely<DB> | Transaction<DB>) {}

  async put(u: UpstreamRecord): Promise<void> {
    const row: UpstreamsTable = {
      name: u.name,
      url: u.url,
      priority: u.priority,
      projects: JSON.stringify(u.projects),
      username: u.username,
      password_env: u.passwordEnv,
      created_at: u.createdAt,
      created_by: u.createdBy,
    };
    await this.db
      .insertInto('upstreams')
      .values(row)
      .onConflict((oc) => oc.column('name').doUpdateSet({ ...row }))
      .execute();
  }

  async get(name: string): Promise<UpstreamRecord | undefined> {
    const r = await this.db.selectFrom('upstreams').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? fromRow(r) : undefined;
  }

  async list(): Promise<UpstreamRecord[]> {
    const rows = await this.db.selectFrom('upstreams').selectAll().orderBy('priority').orderBy('name').execute();
    return rows.map(fromRow);
  }

  async remove(name: string): Promise<boolean> {
    const r = await this.db.deleteFrom('upstreams').where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
