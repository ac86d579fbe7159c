// Ordered migrations. Never edit a shipped migration: add the next one.
import type { Kysely } from 'kysely';
import * as core from './001_core.js';
import * as vetting from './002_vetting.js';
import * as releases from './003_releases.js';
import * as upstream from './004_upstream.js';

export interface Migration {
  id: string;
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  up(db: Kysely<any>): Promise<void>;
}

export const MIGRATIONS: Migration[] = [{ id: '001_core', up: core.up }, { id: '002_vetting', up: vetting.up },
  { id: '003_releases', up: releases.up },
  { id: '004_upstream', up: upstream.up }];
