import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { IntegrityReport } from '../catalog/types.js';
import { PyvetError } from '../errors.js';
import { parseSdistFilename, parseWheelFilename, type SdistFilename, type WheelFilename } from '../standards/filenames.js';
import { Digester, hashFile } from './digests.js';
import { artifactError } from './errors.js';
import type { ArtifactReport, InspectOptions } from './index.js';
import { deriveLicense } from './license.js';
import { inspectSdist } from './sdist.js';
import { inspectWheel } from './wheel.js';
import { ZIP_TUNING } from './zip.js';

function parseFilename(filename: string): { kind: 'wheel'; parsed: WheelFilename } | { kind: 'sdist'; parsed: SdistFilename } {
  try {
    if (filename.endsWith('.whl')) return { kind: 'wheel', parsed: parseWheelFilename(filename) };
    if (filename.endsWith('.tar.gz') || filename.endsWith('.zip')) return { kind: 'sdist', parsed: parseSdistFilename(filename) };
  } catch (err) {
    if (!(err instanceof PyvetError) || err.kind !== 'invalid') throw err;
    throw artifactError('FILENAME_INVALID', filename, err.message, { reason: err.details?.reason }, err);
  }
  throw artifactError('FILENAME_INVALID', filename, 'is not a distribution filename (expected .whl, .tar.gz or .zip)');
}

function digestsOf(bytes: Buffer): ReturnType<Digester['digest']> {
  const d = new Digester();
  d.update(bytes);
  return d.digest();
}

/**
 * Reads a wheel or sdist from disk without extracting it and reports what it is, or throws a
 * PyvetError with a stable code (src/artifacts/errors.ts) for anything hostile or broken.
 */
export async function inspectArtifact(path: string, opts: InspectOptions): Promise<ArtifactReport> {
  const filename = opts.filename ?? basename(path);
  const { limits } = opts;
  const file = parseFilename(filename);
  let size: number;
  try {
    ({ size } = await stat(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw artifactError('FILE_NOT_FOUND', filename, `no such file: ${path}`, { path }, err);
  }
  if (size > limits.maxFileBytes) {
    throw artifactError('ARCHIVE_TOO_LARGE', filename, `is ${size} bytes, more than the ${limits.maxFileBytes} allowed`, {
      size,
      limit: limits.maxFileBytes,
    });
  }
  if (opts.digests && opts.digests.size !== size) {
    // The writer's digests describe other bytes than the file now holds.
    throw artifactError('DIGEST_MISMATCH', filename, `is ${size} bytes, but its writer hashed ${opts.digests.size}`, {
      size,
      hashedSize: opts.digests.size,
    });
  }
  // Most archives are read into memory once, for the digests and for every member. A large one
  // is hashed front to back while the archive is read by member, both at once, except when a
  // digest was promised, where nothing is opened before the digest is right.
  const bytes = size <= ZIP_TUNING.wholeFileBytes ? await readFile(path) : undefined;
  const stop = new AbortController();
  const hashing = opts.digests
    ? Promise.resolve(opts.digests)
    : bytes
      ? Promise.resolve(digestsOf(bytes))
      : hashFile(path, { signal: stop.signal });
  hashing.catch(() => {}); // awaited below; an inspection error may come first
  const integrity: IntegrityReport = { checks: [] };
  if (opts.expectedSha256 !== undefined) {
    const { sha256 } = await hashing;
    if (sha256 !== opts.expectedSha256.toLowerCase()) {
      throw artifactError('DIGEST_MISMATCH', filename, `has sha256 ${sha256}, not the expected ${opts.expectedSha256}`, {
        sha256,
        expectedSha256: opts.expectedSha256,
      });
    }
    integrity.checks.push({ check: 'expected-sha256', ok: true });
  }
  let read: Awaited<ReturnType<typeof inspectWheel>>;
  try {
    read =
      file.kind === 'wheel'
        ? await inspectWheel(path, filename, file.parsed, limits, integrity, bytes)
        : await inspectSdist(path, filename, file.parsed, limits, integrity, bytes);
  } catch (err) {
    // Nothing outlives the call: the caller may delete the file as soon as we throw.
    stop.abort();
    await hashing.catch(() => {});
    throw err;
  }
  const digests = await hashing;
  const name = file.parsed.name;
  const m = read.metadata;
  return {
    filename,
    kind: file.kind,
    digests,
    name,
    displayName: read.displayName,
    version: read.version,
    tags: file.kind === 'wheel' ? file.parsed.tags.map((t) => t.toString()) : [],
    metadataBytes: read.metadataBytes,
    metadata: m,
    requiresPython: m.requiresPython?.trim() || null,
    requiresDist: m.requiresDist,
    providesExtra: m.providesExtra,
    summary: m.summary?.trim() || null,
    license: deriveLicense(m),
    integrity,
  };
}
