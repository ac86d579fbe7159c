// A .tar.gz read as one stream (file or memory → gunzip → tar-stream) without trusting it: the gunzipped
// byte count and the stream's compression ratio are checked as the bytes come (a gzip bomb is
// caught however its tar headers lie), and every member's path and type is vetted before the
// next one is read. Only the members the caller asks for are kept, each bounded.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { PyvetError } from '../errors.js';
import { artifactError } from './errors.js';
import { type ArtifactLimits, checkRatio, checkTotal, tooMany } from './limits.js';
import { checkMemberPath, MemberSet, printable } from './paths.js';

export interface TarMember {
  path: string;
  isDirectory: boolean;
  size: number;
}

export interface Capture {
  /** Bytes kept for this member; undefined to only read it through. */
  limit(member: TarMember): number | undefined;
  /** The error thrown when a kept member is larger than its limit. */
  tooLarge(member: TarMember): Error;
}

const LINK_TYPES = new Set(['symlink', 'link']);
const DEVICE_TYPES = new Set(['character-device', 'block-device', 'fifo']);

// What a file read stream hands on by default: the in-memory source is cut the same way, so
// that the limits trip at the same byte whichever way the file was read.
const READ_CHUNK_BYTES = 64 * 1024;

function* slices(bytes: Buffer): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += READ_CHUNK_BYTES) yield bytes.subarray(at, at + READ_CHUNK_BYTES);
}

async function isGzip(source: string | Buffer): Promise<boolean> {
  if (Buffer.isBuffer(source)) return source.length >= 2 && source[0] === 0x1f && source[1] === 0x8b;
  const fh = await open(source, 'r');
  try {
    const magic = Buffer.alloc(2);
    const { bytesRead } = await fh.read(magic, 0, 2, 0);
    return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * Reads every member of a .tar.gz (a path, or the whole file already in memory), calling
 * `onMember` for each (in order, after its path and type are vetted), and returns the captured
 * bytes by path and the size of the tar stream.
 */
export async function readTarGz(
  source: string | Buffer,
  filename: string,
  limits: ArtifactLimits,
  onMember: (member: TarMember) => void,
  capture: Capture,
): Promise<{ captured: Map<string, Buffer>; inflatedBytes: number; names: MemberSet }> {
  if (!(await isGzip(source))) throw artifactError('ARCHIVE_CORRUPT', filename, 'is not gzip-compressed');
  const names = new MemberSet(filename);
  const captured = new Map<string, Buffer>();
  let compressed = 0;
  let inflated = 0;
  // The first limit error wins over whatever the torn-down pipeline reports after it.
  let failure: unknown;
  const countIn = new Transform({
    transform(chunk: Buffer, _enc, done) {
      compressed += chunk.length;
      done(null, chunk);
    },
  });
  const countOut = new Transform({
    transform(chunk: Buffer, _enc, done) {
      inflated += chunk.length;
      try {
        checkRatio(filename, filename, inflated, compressed, limits);
        checkTotal(filename, inflated, limits);
      } catch (err) {
        failure ??= err;
        done(err as Error);
        return;
      }
      done(null, chunk);
    },
  });
  const extract = tar.extract();
  const input = Buffer.isBuffer(source) ? Readable.from(slices(source), { objectMode: false }) : createReadStream(source);
  const flowing = pipeline(input, countIn, createGunzip(), countOut, extract);
  flowing.catch(() => {}); // observed below, after the entries
  let count = 0;
  try {
    for await (const entry of extract) {
      const h = entry.header;
      if (++count > limits.maxArchiveEntries) throw tooMany(filename, count, limits);
      const memberPath = checkMemberPath(filename, h.name);
      names.add(memberPath);
      // tar-stream gives no type for a typeflag it does not know (GNU sparse 'S', vendor ones);
      // other readers each treat those their own way, so they are refused, not read as files.
      const type = h.type ?? 'unknown';
      if (LINK_TYPES.has(type) || DEVICE_TYPES.has(type)) {
        const what = LINK_TYPES.has(type) ? `a ${type === 'link' ? 'hard' : 'symbolic'} link` : `a ${type}`;
        throw artifactError('ARCHIVE_LINK', filename, `member '${printable(memberPath)}' is ${what}`, { member: printable(memberPath) });
      }
      if (type !== 'file' && type !== 'contiguous-file' && type !== 'directory') {
        throw artifactError('ARCHIVE_UNSUPPORTED', filename, `member '${printable(memberPath)}' has the tar type '${type}'`);
      }
      const member: TarMember = { path: memberPath, isDirectory: type === 'directory', size: h.size ?? 0 };
      onMember(member);
      const limit = member.isDirectory ? undefined : capture.limit(member);
      if (limit === undefined) {
        for await (const _ of entry) {
          // drained: its bytes only count towards the limits
        }
        continue;
      }
      if (member.size > limit) throw capture.tooLarge(member);
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      captured.set(memberPath, Buffer.concat(chunks));
    }
    await flowing;
  } catch (err) {
    extract.destroy();
    await flowing.catch(() => {}); // settles once every stream, the file's too, is closed
    throw tarError(filename, failure ?? err);
  }
  if (failure) throw tarError(filename, failure);
  return { captured, inflatedBytes: inflated, names };
}

function tarError(filename: string, err: unknown): Error {
  if (err instanceof PyvetError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return artifactError('ARCHIVE_CORRUPT', filename, `not a readable .tar.gz: ${message}`, {}, err);
}
