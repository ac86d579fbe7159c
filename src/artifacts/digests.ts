// File digests as PyPI publishes them (sha256, blake2b-256, md5), computed in one streaming pass
// so that a 2 GB file never sits in memory. BLAKE2b-256 comes from ./blake2b.ts (WebAssembly):
// Node's crypto has only BLAKE2b-512, and @noble/hashes' JavaScript one ran at ~7 MB/s here.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Blake2b256 } from './blake2b.js';

/** Hex digests and the byte size of a file. */
export interface Digests {
  sha256: string;
  blake2b256: string;
  md5: string;
  size: number;
}

/**
 * All three digests fed chunk by chunk, so that a writer (a download, an upload) hashes the
 * bytes while it writes them and nobody has to read the file again.
 */
export class Digester {
  private readonly sha256 = createHash('sha256');
  private readonly md5 = createHash('md5');
  private readonly b2 = new Blake2b256();
  private size = 0;

  update(chunk: Uint8Array): void {
    this.sha256.update(chunk);
    this.md5.update(chunk);
    this.b2.update(chunk);
    this.size += chunk.length;
  }

  digest(): Digests {
    return { sha256: this.sha256.digest('hex'), blake2b256: this.b2.hex(), md5: this.md5.digest('hex'), size: this.size };
  }
}

/** Hashes a file; `signal` stops the read early (the promise then rejects with an AbortError). */
export async function hashFile(path: string, opts: { signal?: AbortSignal } = {}): Promise<Digests> {
  const d = new Digester();
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024, ...(opts.signal ? { signal: opts.signal } : {}) })) {
    d.update(chunk as Buffer);
  }
  return d.digest();
}
