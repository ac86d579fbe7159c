// Builds zip and tar.gz archives byte by byte for hostile-input tests: wheels and sdists that
// are valid by default, and every way of lying on request (sizes, CRCs, RECORD rows, paths,
// links, bombs). The zip writer is our own (zlib.deflateRawSync + zlib.crc32) so that any field
// can be forged; tar archives come from tar-stream, except bombs, whose header is written here.
//
//   const { filename, bytes } = buildWheel({ name: 'demo', version: '1.0', record: (rows) => rows.slice(1) });
//   const path = writeArchive(dir, filename, bytes);      // then: pyvet add path, twine upload path
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, crc32, deflateRawSync, gzipSync } from 'node:zlib';
import tar from 'tar-stream';

// --- zip ---------------------------------------------------------------------------------

export interface ZipEntrySpec {
  /** The member name as stored (may be hostile: '../x', '/etc/passwd', 'a\\b'). */
  name: string;
  /** Raw name bytes, overriding `name` (non-UTF-8 names, NUL bytes). */
  nameBytes?: Buffer;
  data?: Buffer | string;
  /** Default 'deflate' ('store' for directories). */
  method?: 'deflate' | 'store';
  /** Raw deflate bytes to store as-is (bombs); then `size` and `crc32` should be given. */
  compressed?: Buffer;
  /** Raw extra field bytes (id, length, data), in both headers. */
  extra?: Buffer;
  /** Unix mode, stored in the external attributes: 0o100644 by default, 0o40755 for names ending in '/'. */
  mode?: number;
  /** Lies: the uncompressed size, compressed size and CRC-32 written in both headers. */
  size?: number;
  compressedSize?: number;
  crc32?: number;
}

interface Placed {
  name: Buffer;
  extra: Buffer;
  flags: number;
  method: number;
  crc: number;
  csize: number;
  usize: number;
  mode: number;
  offset: number;
}

function localHeader(p: Placed): Buffer {
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(p.flags, 6);
  h.writeUInt16LE(p.method, 8);
  h.writeUInt16LE(0, 10); // time
  h.writeUInt16LE(0x21, 12); // 1980-01-01
  h.writeUInt32LE(p.crc >>> 0, 14);
  h.writeUInt32LE(p.csize, 18);
  h.writeUInt32LE(p.usize, 22);
  h.writeUInt16LE(p.name.length, 26);
  h.writeUInt16LE(p.extra.length, 28);
  return Buffer.concat([h, p.name, p.extra]);
}

function centralHeader(p: Placed): Buffer {
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the mode below counts
  h.writeUInt16LE(20, 6);
  h.writeUInt16LE(p.flags, 8);
  h.writeUInt16LE(p.method, 10);
  h.writeUInt16LE(0, 12);
  h.writeUInt16LE(0x21, 14);
  h.writeUInt32LE(p.crc >>> 0, 16);
  h.writeUInt32LE(p.csize, 20);
  h.writeUInt32LE(p.usize, 24);
  h.writeUInt16LE(p.name.length, 28);
  h.writeUInt16LE(p.extra.length, 30);
  h.writeUInt32LE((p.mode << 16) >>> 0, 38);
  h.writeUInt32LE(p.offset, 42);
  return Buffer.concat([h, p.name, p.extra]);
}

function endOfDirectory(count: number, size: number, offset: number): Buffer {
  const e = Buffer.alloc(22);
  e.writeUInt32LE(0x06054b50, 0);
  e.writeUInt16LE(count, 8);
  e.writeUInt16LE(count, 10);
  e.writeUInt32LE(size, 12);
  e.writeUInt32LE(offset, 16);
  return e;
}

/** A zip archive of `entries`, in order, with whatever lies the entries ask for. */
export function buildZip(entries: ZipEntrySpec[]): Buffer {
  const parts: Buffer[] = [];
  const placed: Placed[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
    const method = e.method === 'store' || (e.method === undefined && e.name.endsWith('/')) ? 0 : 8;
    const body = e.compressed ?? (method === 8 ? deflateRawSync(data) : data);
    const p: Placed = {
      name: e.nameBytes ?? Buffer.from(e.name),
      extra: e.extra ?? Buffer.alloc(0),
      flags: e.nameBytes ? 0 : 0x800, // bit 11: the name is UTF-8
      method,
      crc: e.crc32 ?? crc32(data),
      csize: e.compressedSize ?? body.length,
      usize: e.size ?? data.length,
      mode: e.mode ?? (e.name.endsWith('/') ? 0o40755 : 0o100644),
      offset,
    };
    const local = localHeader(p);
    parts.push(local, body);
    placed.push(p);
    offset += local.length + body.length;
  }
  const central = Buffer.concat(placed.map(centralHeader));
  return Buffer.concat([...parts, central, endOfDirectory(placed.length, central.length, offset)]);
}

/** An Info-ZIP Unicode Path extra field (0x7075) giving `name` to a member whose header says `headerName`. */
export function unicodePathExtra(headerName: string, name: string): Buffer {
  const data = Buffer.concat([Buffer.from([1]), Buffer.alloc(4), Buffer.from(name)]);
  data.writeUInt32LE(crc32(Buffer.from(headerName)), 1);
  const head = Buffer.alloc(4);
  head.writeUInt16LE(0x7075, 0);
  head.writeUInt16LE(data.length, 2);
  return Buffer.concat([head, data]);
}

/**
 * The "overlapping files" bomb (Fifield 2019): one compressed kernel, `count` central-directory
 * entries all pointing at it, so that each inflates it again.
 */
export function buildOverlappingZip(kernelSize: number, count: number): Buffer {
  const data = Buffer.alloc(kernelSize, 0x61);
  const body = deflateRawSync(data);
  const first: Placed = {
    name: Buffer.from('k/0'),
    extra: Buffer.alloc(0),
    flags: 0x800,
    method: 8,
    crc: crc32(data),
    csize: body.length,
    usize: data.length,
    mode: 0o100644,
    offset: 0,
  };
  const local = localHeader(first);
  const central = Buffer.concat(
    Array.from({ length: count }, (_, i) => centralHeader({ ...first, name: Buffer.from(`k/${i}`) })),
  );
  return Buffer.concat([local, body, central, endOfDirectory(count, central.length, local.length + body.length)]);
}

/**
 * A raw deflate stream that inflates to `prefix` followed by `zeros` zero bytes, built from one
 * compressed megabyte of zeros repeated, so a gigabyte costs about a megabyte and no time.
 */
export function deflateBomb(zeros: number, prefix: Buffer = Buffer.alloc(0)): Buffer {
  const MB = 1024 * 1024;
  // Full flushes leave each piece byte-aligned and free of back-references: they concatenate.
  const flush = { finishFlush: constants.Z_FULL_FLUSH };
  const parts = [deflateRawSync(prefix, flush)];
  const block = deflateRawSync(Buffer.alloc(MB), flush);
  for (let left = zeros; left > 0; left -= MB) {
    parts.push(left >= MB ? block : deflateRawSync(Buffer.alloc(left), flush));
  }
  parts.push(deflateRawSync(Buffer.alloc(0))); // the final, empty block
  return Buffer.concat(parts);
}

/** CRC-32 of `n` zero bytes, as a bomb member honestly declares it. */
export function zerosCrc32(n: number, prefix: Buffer = Buffer.alloc(0)): number {
  const MB = Buffer.alloc(1024 * 1024);
  let crc = crc32(prefix);
  for (let left = n; left > 0; left -= MB.length) crc = crc32(left >= MB.length ? MB : MB.subarray(0, left), crc);
  return crc;
}

// --- tar.gz ------------------------------------------------------------------------------

export interface TarEntrySpec {
  name: string;
  data?: Buffer | string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  linkname?: string;
  mode?: number;
}

/** A tar archive (tar-stream), gzipped. */
export async function buildTarGz(entries: TarEntrySpec[]): Promise<Buffer> {
  const pack = tar.pack();
  const out = (async () => {
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const data = type === 'file' ? (typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0))) : undefined;
    await new Promise<void>((resolve, reject) => {
      const header = {
        name: e.name,
        type,
        mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
        ...(e.linkname === undefined ? {} : { linkname: e.linkname }),
        mtime: new Date(0),
      };
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (data) pack.entry(header, data, cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  return gzipSync(await out);
}

/** A ustar header for a regular file of `size` bytes (tar-stream wants the bytes themselves). */
function ustarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0' + '00', 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/**
 * A gzip bomb: a .tar.gz whose one member `name` is `size` zero bytes (a gigabyte is about a
 * megabyte). The gzip trailer's CRC is not computed: a reader must give up long before it.
 */
export function buildTarGzBomb(name: string, size: number): Buffer {
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE((size + 512) >>> 0, 4);
  return Buffer.concat([header, deflateBomb(size, ustarHeader(name, size)), trailer]);
}

// --- distributions -----------------------------------------------------------------------

function b64(data: Buffer): string {
  return createHash('sha256').update(data).digest('base64url');
}

export function coreMetadata(name: string, version: string, extra: string[] = []): string {
  return [`Metadata-Version: 2.1`, `Name: ${name}`, `Version: ${version}`, ...extra, '', ''].join('\n');
}

export interface WheelSpec {
  name: string;
  version: string;
  /** Default 'py3-none-any'. */
  tag?: string;
  /** Extra members (path → content), listed in RECORD like any member. */
  files?: Record<string, string | Buffer>;
  /** METADATA bytes or text, replacing the generated one; null leaves it out. */
  metadata?: string | Buffer | null;
  /** Extra METADATA header lines (e.g. 'Requires-Dist: six'). */
  metadataLines?: string[];
  /** WHEEL file content; null leaves it out. */
  wheelFile?: string | null;
  /** Rewrites RECORD's rows ([path, hash, size]); returning null leaves RECORD out. */
  record?: (rows: string[][]) => string[][] | null;
  /** The .dist-info directory's name, default '<name>-<version>.dist-info' with '-' escaped. */
  distInfo?: string;
  /** Members added after RECORD is written, so not listed in it (hostile paths, links, …). */
  extraEntries?: ZipEntrySpec[];
}

export function wheelFilename(spec: Pick<WheelSpec, 'name' | 'version' | 'tag'>): string {
  return `${spec.name.replace(/[-.]+/g, '_')}-${spec.version}-${spec.tag ?? 'py3-none-any'}.whl`;
}

/** A wheel that is valid unless the spec asks otherwise. */
export function buildWheel(spec: WheelSpec): { filename: string; bytes: Buffer } {
  const distInfo = spec.distInfo ?? `${spec.name.replace(/[-.]+/g, '_')}-${spec.version}.dist-info`;
  const module = spec.name.toLowerCase().replace(/[-.]+/g, '_');
  const members = new Map<string, Buffer>();
  const add = (path: string, data: string | Buffer) => members.set(path, typeof data === 'string' ? Buffer.from(data) : data);
  add(`${module}/__init__.py`, `VERSION = ${JSON.stringify(spec.version)}\n`);
  for (const [path, data] of Object.entries(spec.files ?? {})) add(path, data);
  if (spec.metadata !== null) add(`${distInfo}/METADATA`, spec.metadata ?? coreMetadata(spec.name, spec.version, spec.metadataLines));
  const wheelFile = spec.wheelFile === undefined ? 'Wheel-Version: 1.0\nGenerator: pyvet-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n' : spec.wheelFile;
  if (wheelFile !== null) add(`${distInfo}/WHEEL`, wheelFile);
  let rows: string[][] | null = [...members].map(([path, data]) => [path, `sha256=${b64(data)}`, String(data.length)]);
  rows.push([`${distInfo}/RECORD`, '', '']);
  rows = spec.record ? spec.record(rows) : rows;
  if (rows !== null) add(`${distInfo}/RECORD`, rows.map((r) => r.map(csvField).join(',')).join('\n') + '\n');
  const entries: ZipEntrySpec[] = [...members].map(([name, data]) => ({ name, data }));
  return { filename: wheelFilename(spec), bytes: buildZip([...entries, ...(spec.extraEntries ?? [])]) };
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export interface SdistSpec {
  name: string;
  version: string;
  format?: 'tar.gz' | 'zip';
  /** PKG-INFO bytes or text, replacing the generated one; null leaves it out. */
  pkgInfo?: string | Buffer | null;
  /** The top directory, default '<name>-<version>'. */
  top?: string;
  /** Extra members under the top directory (relative path → content). */
  files?: Record<string, string | Buffer>;
  /** Members added as they are (hostile paths, links): tar entries, or zip entries for .zip. */
  extraEntries?: TarEntrySpec[];
}

/** An sdist that is valid unless the spec asks otherwise. */
export async function buildSdist(spec: SdistSpec): Promise<{ filename: string; bytes: Buffer }> {
  const format = spec.format ?? 'tar.gz';
  const top = spec.top ?? `${spec.name}-${spec.version}`;
  const files: [string, Buffer][] = [];
  const add = (path: string, data: string | Buffer) => files.push([path, typeof data === 'string' ? Buffer.from(data) : data]);
  if (spec.pkgInfo !== null) add(`${top}/PKG-INFO`, spec.pkgInfo ?? coreMetadata(spec.name, spec.version));
  add(`${top}/pyproject.toml`, `[project]\nname = "${spec.name}"\nversion = "${spec.version}"\n`);
  for (const [path, data] of Object.entries(spec.files ?? {})) add(`${top}/${path}`, data);
  const filename = `${spec.name}-${spec.version}.${format}`;
  if (format === 'zip') {
    const extra = (spec.extraEntries ?? []).map((e) => ({
      name: e.name,
      data: e.type === 'symlink' ? (e.linkname ?? '') : e.data,
      mode: e.type === 'symlink' ? 0o120777 : e.mode,
    }));
    return { filename, bytes: buildZip([{ name: `${top}/` }, ...files.map(([name, data]) => ({ name, data })), ...extra]) };
  }
  const entries: TarEntrySpec[] = [{ name: `${top}/`, type: 'directory' }, ...files.map(([name, data]) => ({ name, data }))];
  return { filename, bytes: await buildTarGz([...entries, ...(spec.extraEntries ?? [])]) };
}

/** Writes archive bytes as `dir/filename` and returns the path. */
export function writeArchive(dir: string, filename: string, bytes: Buffer): string {
  const path = join(dir, filename);
  writeFileSync(path, bytes);
  return path;
}
