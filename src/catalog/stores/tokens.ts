// API tokens. Only the sha256 of a token is stored; the id is public and indexes the lookup.
import type { Kysely, Selectable, Transaction } from 'kysely';
import { PyvetError } from '../../errors.js';
import type { DB } from '../db.js';
import type { TokensTable } from '../migrations/001_core.js';
import type { Role, TokenRecord, TokenStore } from '../types.js';

function tokenFromRow(r: Selectable<TokensTable>): TokenRecord {
  return {
    id: r.id,
    name: r.name,
    role: r.role as Role,
    hash: r.hash,
    createdAt: r.created_at,
    createdBy: r.created_by,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  };
}

export class SqlTokenStore implements TokenStore {
  constructor(private readonly db: Kysely<DB> | Transaction<DB>) {}

  async insert(t: Omit<TokenRecord, 'revokedAt' | 'lastUsedAt'>): Promise<TokenRecord> {
    const row = await this.db
      .insertInto('tokens')
      .values({
        id: t.id,
        name: t.name,
        role: t.role,
        hash: t.hash,
        created_at: t.createdAt,
        created_by: t.createdBy,
        expires_at: t.expiresAt,
        revoked_at: null,
        last_used_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return tokenFromRow(row);
  }

  async get(id: string): Promise<TokenRecord | undefined> {
    const row = await this.db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row && tokenFromRow(row);
  }

  async list(): Promise<TokenRecord[]> {
    const rows = await this.db.selectFrom('tokens').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(tokenFromRow);
  }

  async revoke(id: string, at: string): Promise<TokenRecord> {
    const row = await this.db
      .updateTable('tokens')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (row) return tokenFromRow(row);
    const existing = await this.get(id);
    if (!existing) throw new PyvetError('TOKEN_NOT_FOUND', 'not_found', `no token with id ${id}`, { id });
    return existing;
  }

  async touch(id: string, at: string): Promise<void> {
    await this.db.updateTable('tokens').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}
