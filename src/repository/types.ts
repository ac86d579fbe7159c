import type { Logger } from 'pino';
import type { Inspector } from '../artifacts/pool.js';
import type { BlobStore } from '../blobs/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { Role } from '../catalog/types.js';
import type { PyvetConfig } from '../config.js';

/** Who performs an action. CLI commands act as `cli:<os user>` with the admin role. */
export interface Actor {
  /** Recorded in the audit log; never a secret. */
  name: string;
  role: Role;
}

/** An open repository: the handle every domain service takes as its first argument. */
export interface Repository {
  readonly config: PyvetConfig;
  readonly catalog: Catalog;
  readonly blobs: BlobStore;
  readonly logger: Logger;
  /** Archive inspection, on worker threads when configured ([ingest] workers). */
  readonly inspector: Inspector;
  close(): Promise<void>;
}
