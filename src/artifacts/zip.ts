// A zip archive (wheel, or sdist .zip) read through yauzl without trusting it: the central
// directory is checked as a whole before any member is inflated (count, names, duplicates,
// links, overlapping members, declared sizes), then each member is inflated (up to 64 MiB in one
// step with a hard output cap, larger ones as a stream) with the ratio and total limits enforced on
// the bytes actually produced, its size compared with the declared one and its CRC-32 checked.
// Inflating and CRC-32 use the native addon (./native.ts) when it is built, node:zlib otherwise.
import { close, createReadStream, fstatSync, open, read } from 'node:fs';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw, inflateRaw, inflateRawSync, crc32 as zlibCrc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { artifactError } from './errors.js';
import { type ArtifactLimits, checkArchiveRatio, checkRatio, checkTotal, tooMany } from './limits.js';
import { native } from './native.js';
import { checkMemberPath, MemberSet, printable } from './paths.js';

export interface ZipMember {
  /** The member path, without a directory's trailing slash. */
  path: string;
  isDirectory: boolean;
  /** Declared sizes; the inflated size is only trusted once counted by read(). */
  size: number;
  compressedSize: number;
  entry: yauzl.Entry;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
// Hosts whose external attributes carry a Unix mode in their high 16 bits (Unix, macOS).
const UNIX_HOSTS = new Set([3, 19]);
// Local file header size before the name: the least a member can occupy besides its data.
const LOCAL_HEADER_BYTES = 30;
// Fixed sizes of a central directory header, the end record, and zip64's locator and record.
const CENTRAL_HEADER_BYTES = 46;
const EOCD_BYTES = 22;
const ZIP64_LOCATOR_BYTES = 20;
const ZIP64_RECORD_BYTES = 56;
// Members up to this size (both sizes) are read and inflated in one piece, into one buffer of
// exactly the declared size with a hard output cap one byte beyond it: zlib's default 16 KB
// output chunks and a stream per member cost more than the inflating itself, and libdeflate
// (twice zlib's speed) inflates whole buffers only. Anything larger (big shared libraries)
// streams through zlib so that memory stays bounded: 256 MiB here saved no measurable CPU on
// 111 real wheels and raised peak RSS from 282 to 372-498 MB.
// Up to syncInflateBytes a member is inflated synchronously; beyond, on the libuv thread pool,
// so that one large member never holds the thread for long (the native inflater is fast enough
// to need no such care). Tests lower wholeMemberBytes to reach the streaming path without 64 MB
// archives, and turn `native` off to check that node:zlib answers the same.
export const ZIP_TUNING = {
  wholeMemberBytes: 64 * 1024 * 1024,
  syncInflateBytes: 1024 * 1024,
  native: native !== undefined,
  // Archives up to this size are read into memory once, for the digests and every member.
  wholeFileBytes: 64 * 1024 * 1024,
};
// The native inflater writes into a buffer the archive reuses for each member, up to this size;
// a larger member gets a buffer of its own. Each archive has its own (inspections interleave on
// one thread when ingest runs without workers), taken from this thread's spares and given back.
const SCRATCH_KEEP_BYTES = 4 * 1024 * 1024;
const SPARE_SCRATCH = 4;
const spareScratch: Buffer[] = [];
// Small members are read through a window this large: one read serves many of them.
const READ_WINDOW_BYTES = 1024 * 1024;
// Large members are read and inflated in chunks this large.
const STREAM_CHUNK_BYTES = 256 * 1024;

const SHARED_FD_FS = { open, read, close: (_fd: number, callback: (err: null) => void) => callback(null) };

/**
 * The archive file for yauzl, read through a window: yauzl reads the central directory in two
 * small reads per member and we read small members one after the other, so one 1 MB read
 * serves hundreds of those. Large members stream straight from the file.
 */
class FileReader extends yauzl.RandomAccessReader {
  private window: { start: number; bytes: Buffer } = { start: 0, bytes: Buffer.alloc(0) };

  /** A descriptor to read from, or (fd undefined) the whole file already in memory. */
  constructor(
    private readonly fd: number | undefined,
    readonly size: number,
    whole?: Buffer,
  ) {
    super();
    if (whole) this.window = { start: 0, bytes: whole };
  }

  override _readStreamForRange(start: number, end: number): Readable {
    if (this.fd === undefined) return Readable.from([this.window.bytes.subarray(start, end)], { objectMode: false });
    // Streams share the descriptor: destroying one (yauzl and for-await both do) must not close it.
    return createReadStream('', { fd: this.fd, start, end: end - 1, autoClose: false, fs: SHARED_FD_FS, highWaterMark: STREAM_CHUNK_BYTES });
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    // yauzl's callback also takes the byte count (its types leave it out).
    const done = callback as (err: Error | null, bytesRead?: number) => void;
    this.bytesAt(position, length).then(
      (bytes) => {
        bytes.copy(buffer, offset);
        done(null, bytes.length);
      },
      (err: Error) => done(err),
    );
  }

  /** `length` bytes at `start` when the window holds them. */
  inWindow(start: number, length: number): Buffer | undefined {
    const w = this.window;
    if (start >= w.start && start + length <= w.start + w.bytes.length) {
      return w.bytes.subarray(start - w.start, start - w.start + length);
    }
    return undefined;
  }

  /** `length` bytes at `start`, from the window when it holds them. */
  async bytesAt(start: number, length: number): Promise<Buffer> {
    const held = this.inWindow(start, length);
    if (held) return held;
    const { fd } = this;
    if (start + length > this.size || fd === undefined) throw new Error('file data overflows file bounds');
    const buf = Buffer.allocUnsafe(Math.min(Math.max(length, READ_WINDOW_BYTES), this.size - start));
    const bytesRead = await new Promise<number>((resolve, reject) =>
      read(fd, buf, 0, buf.length, start, (err, n) => (err ? reject(err) : resolve(n))),
    );
    if (bytesRead < length) throw new Error('unexpected end of file');
    this.window = { start, bytes: buf.subarray(0, bytesRead) };
    return this.window.bytes.subarray(0, length);
  }

  override close(callback: (err: Error | null) => void): void {
    if (this.fd === undefined) process.nextTick(callback, null);
    else close(this.fd, callback);
  }
}

export class ZipArchive {
  /** Members in central-directory order. */
  readonly members: ZipMember[] = [];
  private inflated = 0;
  private scratch = spareScratch.pop() ?? Buffer.alloc(0);
  private readonly names: MemberSet;

  /** Bytes inflated so far, all members together. */
  get inflatedBytes(): number {
    return this.inflated;
  }

  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly file: FileReader,
    private readonly filename: string,
    private readonly limits: ArtifactLimits,
  ) {
    this.names = new MemberSet(filename);
  }

  /** Member paths that collide on case-insensitive filesystems, as an integrity check. */
  pathCollisions(): ReturnType<MemberSet['check']> {
    return this.names.check();
  }

  /**
   * Opens and vets the central directory. The caller must close() the archive. `bytes`, when
   * given, are the whole file, already read: nothing is read from `path` then.
   */
  static async open(path: string, filename: string, limits: ArtifactLimits, bytes?: Buffer): Promise<ZipArchive> {
    // A plain descriptor, not a FileHandle: yauzl closes it through FileReader.close.
    const fd = bytes ? undefined : await new Promise<number>((resolve, reject) => open(path, 'r', (err, n) => (err ? reject(err) : resolve(n))));
    const file = fd === undefined ? new FileReader(undefined, bytes!.length, bytes) : new FileReader(fd, fstatSync(fd).size);
    let zip: yauzl.ZipFile;
    try {
      zip = await yauzl.fromRandomAccessReaderPromise(file, file.size, {
        lazyEntries: true,
        autoClose: false,
        decodeStrings: true,
        validateEntrySizes: true,
        // keep backslashes as they are so that they are refused rather than silently rewritten
        strictFileNames: true,
      });
    } catch (err) {
      if (fd !== undefined) close(fd);
      throw zipError(filename, err);
    }
    const archive = new ZipArchive(zip, file, filename, limits);
    try {
      await archive.readDirectory();
      await archive.checkDirectoryBounds();
    } catch (err) {
      await archive.close();
      throw err;
    }
    return archive;
  }

  private async readDirectory(): Promise<void> {
    const { filename, limits } = this;
    if (this.zip.entryCount > limits.maxArchiveEntries) throw tooMany(filename, this.zip.entryCount, limits);
    const { names } = this;
    let declaredTotal = 0;
    try {
      for await (const entry of this.zip.eachEntry()) {
        const raw = entry.fileName;
        // yauzl prefers an Info-ZIP Unicode Path field (0x7075) to the header's name; tools
        // that ignore it would extract the other name, so the two must be the same.
        if (entry.extraFields.some((f) => f.id === 0x7075) && entry.fileNameRaw.toString('latin1') !== raw) {
          throw artifactError(
            'ARCHIVE_PATH_UNSAFE',
            filename,
            `member '${printable(raw)}' is also named '${printable(entry.fileNameRaw.toString('latin1'))}' (Info-ZIP Unicode Path field)`,
            { member: printable(raw) },
          );
        }
        const path = checkMemberPath(filename, raw);
        names.add(path);
        const isDirectory = raw.endsWith('/');
        const host = entry.versionMadeBy >> 8;
        const type = UNIX_HOSTS.has(host) ? (entry.externalFileAttributes >>> 16) & S_IFMT : 0;
        if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) {
          const what = type === S_IFLNK ? 'a symbolic link' : 'a device or other special file';
          throw artifactError('ARCHIVE_LINK', filename, `member '${printable(path)}' is ${what}`, { member: printable(path) });
        }
        // A directory's bytes would never be read, so it may not have any.
        if (isDirectory && (entry.uncompressedSize !== 0 || entry.compressedSize > 2)) {
          throw artifactError('ARCHIVE_CORRUPT', filename, `directory member '${printable(path)}' carries data`, { member: printable(path) });
        }
        if (entry.isEncrypted()) {
          throw artifactError('ARCHIVE_UNSUPPORTED', filename, `member '${printable(path)}' is encrypted`);
        }
        if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
          throw artifactError(
            'ARCHIVE_UNSUPPORTED',
            filename,
            `member '${printable(path)}' uses compression method ${entry.compressionMethod} (only stored and deflate are allowed)`,
          );
        }
        // Declared sizes are checked here only to fail fast; read() enforces the real ones.
        declaredTotal += entry.uncompressedSize;
        checkRatio(filename, path, entry.uncompressedSize, entry.compressedSize, limits);
        checkTotal(filename, declaredTotal, limits);
        checkArchiveRatio(filename, declaredTotal, this.file.size, limits);
        this.members.push({ path, isDirectory, size: entry.uncompressedSize, compressedSize: entry.compressedSize, entry });
      }
    } catch (err) {
      throw zipError(filename, err);
    }
    this.checkOverlap();
  }

  /**
   * The central directory yauzl read must be the one every other reader sees. yauzl reads as many
   * entries as the end record counts, from the offset it gives; Python's zipfile (pip) reads
   * every entry in the directory's byte size, ending at the end record, whatever the count. An
   * archive where the two differ hides members from one of them (an entry past the count would
   * be installed unchecked), so count, size, offset and position must all agree.
   */
  async checkDirectoryBounds(): Promise<void> {
    const { file, filename } = this;
    const corrupt = (why: string) => artifactError('ARCHIVE_CORRUPT', filename, `not a readable zip archive: ${why}`);
    const tailLength = Math.min(file.size, EOCD_BYTES + 0xffff);
    const tail = await file.bytesAt(file.size - tailLength, tailLength);
    // The last end-record signature with room for its fixed part, as yauzl and zipfile both take.
    let at = tail.length - EOCD_BYTES;
    while (at >= 0 && tail.readUInt32LE(at) !== 0x06054b50) at--;
    if (at < 0) throw corrupt('no end of central directory record');
    const end = file.size - tailLength + at;
    let onDisk = tail.readUInt16LE(at + 8);
    let total = tail.readUInt16LE(at + 10);
    let size = tail.readUInt32LE(at + 12);
    let offset = tail.readUInt32LE(at + 16);
    let directoryEnd = end;
    if (at >= ZIP64_LOCATOR_BYTES && tail.readUInt32LE(at - ZIP64_LOCATOR_BYTES) === 0x07064b50) {
      // Zip64: the record sits right before its locator, with no extensible data (zipfile assumes so).
      const recordAt = end - ZIP64_LOCATOR_BYTES - ZIP64_RECORD_BYTES;
      if (Number(tail.readBigUInt64LE(at - ZIP64_LOCATOR_BYTES + 8)) !== recordAt || recordAt < 0) {
        throw corrupt('its zip64 end record is not where its locator says');
      }
      const record = await file.bytesAt(recordAt, ZIP64_RECORD_BYTES);
      if (record.readUInt32LE(0) !== 0x06064b50 || record.readBigUInt64LE(4) !== BigInt(ZIP64_RECORD_BYTES - 12)) {
        throw corrupt('its zip64 end record is malformed');
      }
      onDisk = Number(record.readBigUInt64LE(24));
      total = Number(record.readBigUInt64LE(32));
      size = Number(record.readBigUInt64LE(40));
      offset = Number(record.readBigUInt64LE(48));
      directoryEnd = recordAt;
    }
    if (onDisk !== total) throw corrupt(`its end record counts ${total} entries in all but ${onDisk} on this disk`);
    if (offset + size !== directoryEnd) {
      throw corrupt(`its central directory (${size} bytes at ${offset}) does not end where its end record begins (${directoryEnd})`);
    }
    let read = offset;
    for (const m of this.members) read += CENTRAL_HEADER_BYTES + m.entry.fileNameLength + m.entry.extraFieldLength + m.entry.fileCommentLength;
    if (read !== directoryEnd) {
      throw corrupt(`its central directory holds ${directoryEnd - read} bytes beyond the ${total} entries its end record counts`);
    }
  }

  // Members sharing compressed bytes are the "overlapping files" zip bomb (one kernel
  // inflated once per central-directory entry); no honest writer produces them.
  private checkOverlap(): void {
    const byOffset = [...this.members].sort((a, b) => a.entry.relativeOffsetOfLocalHeader - b.entry.relativeOffsetOfLocalHeader);
    for (let i = 1; i < byOffset.length; i++) {
      const prev = byOffset[i - 1]!;
      const end = prev.entry.relativeOffsetOfLocalHeader + LOCAL_HEADER_BYTES + prev.entry.fileNameLength + prev.compressedSize;
      if (end > byOffset[i]!.entry.relativeOffsetOfLocalHeader) {
        throw artifactError(
          'ARCHIVE_ZIP_BOMB',
          this.filename,
          `members '${printable(prev.path)}' and '${printable(byOffset[i]!.path)}' overlap`,
          { member: printable(byOffset[i]!.path) },
        );
      }
    }
  }

  /**
   * Inflates one member, handing each chunk to `onChunk`, with the limits enforced on the
   * bytes as they come and the CRC-32 checked at the end. A chunk may be a view of a buffer
   * that is reused once `onChunk` returns: copy what you keep.
   */
  async read(member: ZipMember, onChunk?: (chunk: Buffer) => void): Promise<number> {
    const { filename, limits } = this;
    const crc32 = ZIP_TUNING.native && native ? native.crc32 : zlibCrc32;
    let produced = 0;
    let crc = 0;
    try {
      const max = ZIP_TUNING.wholeMemberBytes;
      const whole = member.size <= max && member.compressedSize <= max;
      const chunks = whole ? [await this.readWhole(member)] : this.stream(member);
      for await (const chunk of chunks) {
        produced += chunk.length;
        if (produced > member.size) throw new Error('too many bytes in the stream');
        this.inflated += chunk.length;
        checkRatio(filename, member.path, produced, member.compressedSize, limits);
        checkTotal(filename, this.inflated, limits);
        checkArchiveRatio(filename, this.inflated, this.file.size, limits);
        crc = crc32(chunk, crc);
        onChunk?.(chunk);
      }
    } catch (err) {
      throw zipError(filename, err, member.path);
    }
    if (produced !== member.size) {
      throw artifactError('ARCHIVE_CORRUPT', filename, `member '${printable(member.path)}' is shorter than its declared size`, {
        member: printable(member.path),
      });
    }
    if (crc >>> 0 !== member.entry.crc32 >>> 0) {
      throw artifactError('ARCHIVE_CORRUPT', filename, `member '${printable(member.path)}' fails its CRC-32 check`, {
        member: printable(member.path),
      });
    }
    return produced;
  }

  /**
   * A large member's bytes, inflated here rather than by yauzl for larger chunks (yauzl's 16 KB
   * ones cost more CPU in stream hops than in inflating). Stopping early tears everything down.
   */
  private async *stream(member: ZipMember): AsyncGenerator<Buffer> {
    await this.localDataStart(member);
    const raw = await this.zip.openReadStreamPromise(member.entry, { decodeFileData: false });
    if (member.entry.compressionMethod === 0) {
      yield* raw as AsyncIterable<Buffer>;
      return;
    }
    const inflate = createInflateRaw({ chunkSize: STREAM_CHUNK_BYTES });
    const flowing = pipeline(raw, inflate);
    flowing.catch(() => {}); // observed below
    try {
      yield* inflate as AsyncIterable<Buffer>;
      await flowing;
    } finally {
      raw.destroy();
      inflate.destroy();
      await flowing.catch(() => {});
    }
  }

  /**
   * Where a member's data starts, once its local header agrees with its central one. Streaming
   * readers (Java's ZipInputStream, many unzip tools) go by the local header alone: a member that
   * is '../../evil.py' there, or deflated there and stored here, would be another file to them
   * than the one checked. pip's zipfile refuses a name that differs; we refuse every difference.
   */
  private async localDataStart(member: ZipMember): Promise<number> {
    const { file, filename } = this;
    const { entry } = member;
    const start = entry.relativeOffsetOfLocalHeader;
    const fixed = file.inWindow(start, LOCAL_HEADER_BYTES) ?? (await file.bytesAt(start, LOCAL_HEADER_BYTES));
    if (fixed.readUInt32LE(0) !== 0x04034b50) throw new Error(`invalid local file header for '${printable(member.path)}'`);
    const nameLength = fixed.readUInt16LE(26);
    const headerLength = LOCAL_HEADER_BYTES + nameLength;
    const header = file.inWindow(start, headerLength) ?? (await file.bytesAt(start, headerLength));
    const differs = (what: string) =>
      artifactError('ARCHIVE_CORRUPT', filename, `member '${printable(member.path)}' has another ${what} in its local header than in the central directory`, {
        member: printable(member.path),
      });
    if (!header.subarray(LOCAL_HEADER_BYTES, headerLength).equals(entry.fileNameRaw)) throw differs('name');
    if (header.readUInt16LE(8) !== entry.compressionMethod) throw differs('compression method');
    // Without a data descriptor (flag bit 3) the local header gives the CRC-32 and sizes too;
    // 0xffffffff sizes are zip64's, given in an extra field.
    const flags = header.readUInt16LE(6);
    if ((flags & 0x08) === 0) {
      const [crc, compressed, size] = [header.readUInt32LE(14), header.readUInt32LE(18), header.readUInt32LE(22)];
      if (crc !== entry.crc32 >>> 0) throw differs('CRC-32');
      if (compressed !== 0xffffffff && size !== 0xffffffff && (compressed !== member.compressedSize || size !== member.size)) throw differs('size');
    }
    return start + headerLength + fixed.readUInt16LE(28);
  }

  private async readWhole(member: ZipMember): Promise<Buffer> {
    const { file } = this;
    const dataStart = await this.localDataStart(member);
    const raw = file.inWindow(dataStart, member.compressedSize) ?? (await file.bytesAt(dataStart, member.compressedSize));
    if (member.entry.compressionMethod === 0) return raw;
    if (ZIP_TUNING.native && native) {
      const out = this.inflateNative(native, raw, member.size);
      if (out) return out;
      // Refused: zlib, below, says why in the words the fallback uses (libdeflate reads past
      // the end as zeros, so a cut stream can look like one that runs long).
    }
    // One output buffer of the declared size; the cap one byte beyond it is the lie yauzl reports so.
    const opts = { chunkSize: Math.max(64, member.size + 1), maxOutputLength: member.size + 1 };
    try {
      if (member.size <= ZIP_TUNING.syncInflateBytes) return inflateRawSync(raw, opts);
      return await new Promise<Buffer>((resolve, reject) => inflateRaw(raw, opts, (err, out) => (err ? reject(err) : resolve(out))));
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new Error('too many bytes in the stream');
      throw err;
    }
  }

  /** Reads a whole member into memory; `max` bounds it, with `tooLarge` thrown beyond. */
  async readBytes(member: ZipMember, max: number, tooLarge: () => Error): Promise<Buffer> {
    if (member.size > max) throw tooLarge();
    const chunks: Buffer[] = [];
    let total = 0;
    await this.read(member, (chunk) => {
      total += chunk.length;
      if (total > max) throw tooLarge();
      // A copy: the chunk may be a view of the buffer the next member is inflated into.
      chunks.push(Buffer.from(chunk));
    });
    // Already copied: one chunk (a whole member) needs no second copy.
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  }

  /** Closes the archive; resolves once the file is closed (yauzl closes it after its last stream). */
  async close(): Promise<void> {
    if (this.scratch.length > 0 && spareScratch.length < SPARE_SCRATCH) spareScratch.push(this.scratch);
    this.scratch = Buffer.alloc(0);
    const closed = once(this.file, 'close');
    this.zip.close();
    await closed;
  }

  /**
   * A member inflated into this archive's reusable buffer (see SCRATCH_KEEP_BYTES), `size`
   * being the declared size; undefined when the stream is bad or would write more than `size`.
   */
  private inflateNative(inflater: NonNullable<typeof native>, raw: Buffer, size: number): Buffer | undefined {
    let out: Buffer;
    if (size <= SCRATCH_KEEP_BYTES) {
      if (this.scratch.length < size) {
        this.scratch = Buffer.allocUnsafe(Math.min(SCRATCH_KEEP_BYTES, Math.max(size, this.scratch.length * 2, 64 * 1024)));
      }
      out = this.scratch;
    } else out = Buffer.allocUnsafe(size);
    const n = inflater.inflateRawInto(raw, out.subarray(0, size));
    return n < 0 ? undefined : out.subarray(0, n);
  }
}

/** Maps what yauzl and zlib throw to our codes; our own PyvetErrors pass through. */
function zipError(filename: string, err: unknown, member?: string): Error {
  if (err instanceof Error && 'kind' in err) return err;
  const message = err instanceof Error ? err.message : String(err);
  const where = member === undefined ? {} : { member: printable(member) };
  const subject = member === undefined ? '' : `member '${printable(member)}': `;
  if (/^too many bytes in the stream/.test(message)) {
    return artifactError('ARCHIVE_ZIP_BOMB', filename, `${subject}inflates beyond its declared size`, where, err);
  }
  if (/^(invalid characters in fileName|absolute path|invalid relative path)/.test(message)) {
    return artifactError('ARCHIVE_PATH_UNSAFE', filename, `unsafe member path (${message})`, {}, err);
  }
  if (/encrypt/.test(message)) return artifactError('ARCHIVE_UNSUPPORTED', filename, `${subject}${message}`, where, err);
  return artifactError('ARCHIVE_CORRUPT', filename, `not a readable zip archive: ${subject}${message}`, where, err);
}
