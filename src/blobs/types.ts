// Content-addressed storage of file bytes, keyed by sha256 (hex). The filesystem store ships now;
// S3 comes later behind the same interface, so keep it this small.
import type { Readable } from 'node:stream';

export interface BlobInfo {
  sha256: string;
  size: number;
}

export interface PutFileOptions {
  /**
   * `path` is the caller's own disposable temporary file: the store may take it over (rename on
   * the same filesystem) instead of copying it, so it may be gone afterwards. The bytes are still
   * hashed and checked against the digest, and fsynced, before they get their final name.
   */
  move?: boolean;
  /**
   * `path` is a private file of the caller's that nothing writes any more (a finished download
   * in the repository's own work folder): stage() may give the bytes a second name (a hard link)
   * instead of copying them, and the caller's name stays until the caller removes it.
   */
  link?: boolean;
}

/**
 * Bytes handed to the store but not yet published: private to the store, so that what the
 * caller reads (inspects, hashes) at `path` is exactly what will be stored, and nothing
 * reads them again to publish them.
 */
export interface StagedBlob {
  /** A local file holding the staged bytes, for the caller to read and never to change. */
  readonly path: string;
  /**
   * Publishes the bytes as `sha256`, which the caller computed by reading `path` (after
   * staging, so no one else could change them in between). Durable before it returns.
   */
  commit(sha256: string): Promise<BlobInfo>;
  /** Drops the staged bytes (the file was refused). */
  discard(): Promise<void>;
}

export interface BlobStore {
  /**
   * Stores the bytes of a local file (already verified by the caller), returning its address.
   * Atomic: written to a temporary name, fsynced, then renamed, so no reader ever sees a
   * partial blob. Storing bytes that are already there is a no-op.
   */
  putFile(path: string, sha256: string, opts?: PutFileOptions): Promise<BlobInfo>;
  putBytes(bytes: Uint8Array): Promise<BlobInfo>;
  /** Takes a copy of the file (the file itself with `move`, another name for it with `link`) into the store, unpublished. */
  stage(path: string, opts?: PutFileOptions): Promise<StagedBlob>;
  has(sha256: string): Promise<boolean>;
  stat(sha256: string): Promise<BlobInfo | undefined>;
  /** Local path when the store is a filesystem (lets the server use sendfile); undefined otherwise. */
  localPath(sha256: string): string | undefined;
  read(sha256: string): Promise<Uint8Array>;
  createReadStream(sha256: string, range?: { start: number; end: number }): Readable;
  /**
   * Removes a blob; with `storedBefore`, only if it got its name (or was last reused) before
   * then. True when something was removed.
   */
  delete(sha256: string, opts?: { storedBefore?: Date }): Promise<boolean>;
  /** Every stored blob, with when it got its name (for garbage collection's grace period). */
  list(): AsyncIterable<BlobInfo & { storedAt: Date }>;
}
