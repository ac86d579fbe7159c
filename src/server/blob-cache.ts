// File bytes for the files route: small blobs (most wheels, every .metadata) are kept in memory
// by sha256 so hot downloads skip the disk; big ones stream. Content-addressed, so never stale.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { BlobStore } from '../blobs/types.js';
import { ByteLru } from './lru.js';

export class BlobCache {
  private readonly lru: ByteLru<Buffer>;

  constructor(
    private readonly blobs: BlobStore,
    maxBytes: number,
    /** Blobs larger than this are streamed, never cached. */
    readonly maxEntryBytes: number,
  ) {
    this.lru = new ByteLru(maxBytes);
  }

  get stats(): { hits: number; misses: number; entries: number; bytes: number } {
    return { hits: this.lru.hits, misses: this.lru.misses, entries: this.lru.size, bytes: this.lru.bytes };
  }

  /**
   * The whole blob, from memory when cached; call only for sizes up to maxEntryBytes. Bytes of
   * another length than `expectedSize` (a blob damaged on disk) are returned but never cached, so
   * that a restored blob is read again.
   */
  async bytes(sha256: string, expectedSize?: number): Promise<Buffer> {
    const hit = this.lru.get(sha256);
    if (hit) return hit;
    const raw = await this.blobs.read(sha256);
    const data = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    if (expectedSize === undefined || data.length === expectedSize) this.lru.set(sha256, data, data.length);
    return data;
  }

  /** The blob if it is in memory (a miss is not counted: the caller falls back to bytes()). */
  cached(sha256: string): Buffer | undefined {
    return this.lru.getIfPresent(sha256);
  }

  /** A stream of the blob (or the inclusive byte range), from the local file when there is one. */
  stream(sha256: string, range?: { start: number; end: number }): Readable {
    const path = this.blobs.localPath(sha256);
    return path ? createReadStream(path, range) : this.blobs.createReadStream(sha256, range);
  }
}
