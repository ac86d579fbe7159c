// File digests as PyPI publishes them (sha256, blake2b-256, md5), computed in one streaming pass
// so that a 2 GB file never sits in memory. Node's crypto has no BLAKE2b with a 32-byte
// output (blake2b512 truncated is a different hash), hence @noble/hashes for that one.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { blake2b } from '@noble/hashes/blake2.js';

/** Hex digests and the byte size of a file. */
export interface Digests {
  sha256: string;
  blake2b256: string;
  md5: string;
  size: number;
}

export async function hashFile(path: string): Promise<Digests> {
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  const b2 = blake2b.create({ dkLen: 32 });
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    const buf = chunk as Buffer;
    sha256.update(buf);
    md5.update(buf);
    b2.update(buf);
    size += buf.length;
  }
  return { sha256: sha256.digest('hex'), blake2b256: Buffer.from(b2.digest()).toString('hex'), md5: md5.digest('hex'), size };
}
