// Kysely table types: the union of every domain's tables. Each domain declares its own
// tables next to its store and adds them to this intersection.
import type { CoreTables } from './migrations/001_core.js';
import type { VettingTables } from './migrations/002_vetting.js';
import type { ReleaseTables } from './migrations/003_releases.js';
import type { UpstreamTables } from './migrations/004_upstream.js';

export type DB = CoreTables & VettingTables & UpstreamTables & ReleaseTables;
