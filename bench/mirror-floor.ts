// The floor under issue 6's mirror: only the computation every mirrored wheel must get, on both
// cores, with nothing else going on. Each file is read from the page cache (no network, no
// writes, no catalog), its three PyPI digests are taken (sha256, md5, BLAKE2b-256 with pyvet's own
// hasher), and every member is inflated (libdeflate, the fastest inflater at hand, for members of
// any size), CRC-32-checked and sha256-hashed, as checking RECORD needs. No zip validation, no
// limits, no vetting. Run beside curl + sha256sum in mirror.bench.ts, it bounds the ratio any
// mirror that does these checks could reach on this machine. Not a benchmark itself.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { Blake2b256 } from '../src/artifacts/blake2b.js';
import { native } from '../src/artifacts/native.js';

const EOCD = Buffer.from([0x50, 0x4b, 0x05, 0x06]);

/** Digests and inflates one wheel as described above; the inflated byte count. */
function checkOne(path: string, scratch: { buf: Buffer }): number {
  const inflater = native;
  if (!inflater) throw new Error('the floor needs the native inflater (npm run build:native)');
  const file = readFileSync(path);
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  const b2 = new Blake2b256();
  for (let i = 0; i < file.length; i += 1 << 20) {
    const chunk = file.subarray(i, i + (1 << 20));
    sha.update(chunk);
    md5.update(chunk);
    b2.update(chunk);
  }
  sha.digest();
  md5.digest();
  b2.hex();
  const eocd = file.lastIndexOf(EOCD);
  const count = file.readUInt16LE(eocd + 10);
  let at = file.readUInt32LE(eocd + 16);
  // zip64 archives would need more parsing than a floor is worth; mirror.bench.ts picks none.
  if (count === 0xffff || at === 0xffffffff) throw new Error(`${path}: zip64, not handled by the floor`);
  let inflated = 0;
  for (let i = 0; i < count; i++) {
    const method = file.readUInt16LE(at + 10);
    const packed = file.readUInt32LE(at + 20);
    const size = file.readUInt32LE(at + 24);
    const local = file.readUInt32LE(at + 42);
    const start = local + 30 + file.readUInt16LE(local + 26) + file.readUInt16LE(local + 28);
    let bytes: Buffer = file.subarray(start, start + packed);
    if (method === 8) {
      if (scratch.buf.length < size) scratch.buf = Buffer.allocUnsafe(Math.max(size, scratch.buf.length * 2));
      const n = inflater.inflateRawInto(bytes, scratch.buf.subarray(0, size));
      if (n !== size) throw new Error(`${path}: member ${i} does not inflate to its size`);
      bytes = scratch.buf.subarray(0, n);
    }
    inflater.crc32(bytes, 0);
    createHash('sha256').update(bytes).digest();
    inflated += bytes.length;
    at += 46 + file.readUInt16LE(at + 28) + file.readUInt16LE(at + 30) + file.readUInt16LE(at + 32);
  }
  return inflated;
}

/** Runs the floor over `paths` on one worker thread per core; wall seconds and CPU seconds (all threads). */
export async function mirrorFloor(paths: string[]): Promise<{ secs: number; cpu: number; inflatedBytes: number }> {
  const threads = Math.min(availableParallelism(), paths.length);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  let inflatedBytes = 0;
  await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url));
          worker.on('error', reject);
          worker.on('message', (m: { inflated: number } | { error: string } | 'ready') => {
            if (typeof m === 'object' && 'error' in m) {
              reject(new Error(m.error));
              void worker.terminate();
              return;
            }
            if (typeof m === 'object') inflatedBytes += m.inflated;
            if (next < paths.length) worker.postMessage(paths[next++]);
            else void worker.terminate().then(() => resolve());
          });
        }),
    ),
  );
  const used = process.cpuUsage(cpu0);
  return { secs: (performance.now() - t0) / 1000, cpu: (used.user + used.system) / 1e6, inflatedBytes };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const scratch = { buf: Buffer.allocUnsafe(1 << 20) };
  port.on('message', (path: string) => {
    try {
      port.postMessage({ inflated: checkOne(path, scratch) });
    } catch (err) {
      port.postMessage({ error: (err as Error).message });
    }
  });
  port.postMessage('ready');
}
