// Catalog entry point: the interface every service uses, and the SQLite implementation we ship.
export type { Catalog } from './catalog.js';
export { openSqliteCatalog } from './sqlite.js';
export * from './types.js';
