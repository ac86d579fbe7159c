import type { AuditStore, FileStore, SettingsStore, TokenStore } from './types.js';

/**
 * The whole catalog: one store per domain. `transaction` runs `fn` with a catalog whose stores
 * all write inside one transaction (SQLite: BEGIN IMMEDIATE), committed when `fn` resolves and
 * rolled back when it throws. Domain stores are added here as their issues land.
 */
export interface Catalog {
  readonly files: FileStore;
  readonly tokens: TokenStore;
  readonly audit: AuditStore;
  readonly settings: SettingsStore;
  transaction<T>(fn: (tx: Catalog) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
