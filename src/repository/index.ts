// The repository: opening it, ingest, file states, accounts. Every service takes the open
// Repository first and an Actor for anything that changes state.
export {
  type BatchResult,
  collectArchives,
  type IngestFailure,
  type IngestOptions,
  type IngestProgress,
  type IngestResult,
  ingestFile,
  ingestPaths,
} from './ingest.js';
export { createLogger, REDACT_PATHS } from './logger.js';
export {
  BLOBS_DIR,
  CATALOG_FILE,
  type InitResult,
  initRepository,
  type OpenedRepository,
  type OpenOptions,
  openRepository,
} from './open.js';
export { hasRole, isRole, ROLES, requireRole, SYSTEM_ACTOR } from './roles.js';
export {
  approveFiles,
  type FileSelector,
  rejectFiles,
  type StateChangeResult,
  selectFiles,
  unyankFiles,
  yankFiles,
} from './states.js';
export {
  authenticate,
  type CreatedToken,
  createToken,
  listTokens,
  type NewToken,
  parseExpiry,
  revokeToken,
} from './tokens.js';
export type { Actor, Repository } from './types.js';
