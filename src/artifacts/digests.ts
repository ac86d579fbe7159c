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

/** Hashes a file; `signal` stops the read early (the promise then rejects with an AbortError). */
export async function hashFile(path: string, opts: { signal?: AbortSignal } = {}): Promise<Digests> {
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  const b2 = new Blake2b256();
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024, ...(opts.signal ? { signal: opts.signal } : {}) })) {
    const buf = chunk as Buffer;
    sha256.update(buf);
    md5.update(buf);
    b2.update(buf);
    size += buf.length;
  }
  return { sha256: sha256.digest('hex'), blake2b256: b2.hex(), md5: md5.digest('hex'), size };
}
