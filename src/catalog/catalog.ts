import type { AdvisoryStore } from './stores/advisories.js';
import type { ReleaseStore } from './stores/releases.js';
import type { UpstreamStore } from './stores/upstreams.js';
import type { VettingStore } from './stores/vetting.js';
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
  readonly advisories: AdvisoryStore;
  readonly vetting: VettingStore;
  readonly upstreams: UpstreamStore;
  readonly releaseSets: ReleaseStore;
  transaction<T>(fn: (tx: Catalog) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
