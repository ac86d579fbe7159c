import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db.js';
import type { SettingsStore } from '../types.js';

export class SqlSettingsStore implements SettingsStore {
  constructor(private readonly db: Kysely<DB> | Transaction<DB>) {}

  async get(key: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    return row?.value;
  }

  async set(key: string, value: string): Promise<void> {
    await this.db
      .insertInto('settings')
      .values({ key, value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();
  }
}
