// Kysely table types: the union of every domain's tables. Each domain declares its own
// tables next to its store and adds them to this intersection.
import type { CoreTables } from './migrations/001_core.js';

export type DB = CoreTables;
