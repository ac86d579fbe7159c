// A zip archive (wheel, or sdist .zip) read through yauzl without trusting it: the central
// directory is checked as a whole before any member is inflated (count, names, duplicates,
// links, overlapping members, declared sizes), then each member is inflated as a stream with
// the ratio and total limits enforced on the bytes actually produced, and its CRC-32 checked.
import { type FileHandle, open } from 'node:fs/promises';
import { crc32, inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import { artifactError } from './errors.js';
import { type ArtifactLimits, checkRatio, checkTotal, tooMany } from './limits.js';
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
// Members this small (both sizes) are read in one call and inflated synchronously with a hard
// output cap: most wheel members are, and a stream per member costs several thread-pool round
// trips each. Anything larger is inflated as a stream.
const SMALL_MEMBER_BYTES = 4 * 1024 * 1024;
const LOCAL_EXTRA_SLACK = 256;

export class ZipArchive {
  /** Members in central-directory order. */
  readonly members: ZipMember[] = [];
  private inflated = 0;

  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly file: FileHandle,
    private readonly filename: string,
    private readonly limits: ArtifactLimits,
  ) {}

  /** Opens and vets the central directory. The caller must close() the archive. */
  static async open(path: string, filename: string, limits: ArtifactLimits): Promise<ZipArchive> {
    let zip: yauzl.ZipFile;
    try {
      zip = await yauzl.openPromise(path, {
        lazyEntries: true,
        autoClose: false,
        decodeStrings: true,
        validateEntrySizes: true,
        // keep backslashes as they are so that they are refused rather than silently rewritten
        strictFileNames: true,
      });
    } catch (err) {
      throw zipError(filename, err);
    }
    const archive = new ZipArchive(zip, await open(path, 'r'), filename, limits);
    try {
      await archive.readDirectory();
    } catch (err) {
      archive.close();
      throw err;
    }
    return archive;
  }

  private async readDirectory(): Promise<void> {
    const { filename, limits } = this;
    if (this.zip.entryCount > limits.maxArchiveEntries) throw tooMany(filename, this.zip.entryCount, limits);
    const names = new MemberSet(filename);
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
        this.members.push({ path, isDirectory, size: entry.uncompressedSize, compressedSize: entry.compressedSize, entry });
      }
    } catch (err) {
      throw zipError(filename, err);
    }
    this.checkOverlap();
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
   * bytes as they come and the CRC-32 checked at the end.
   */
  async read(member: ZipMember, onChunk?: (chunk: Buffer) => void): Promise<number> {
    const { filename, limits } = this;
    let produced = 0;
    let crc = 0;
    try {
      const small = member.size <= SMALL_MEMBER_BYTES && member.compressedSize <= SMALL_MEMBER_BYTES;
      const stream = small ? [await this.readSmall(member)] : await this.zip.openReadStreamPromise(member.entry);
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        produced += chunk.length;
        this.inflated += chunk.length;
        checkRatio(filename, member.path, produced, member.compressedSize, limits);
        checkTotal(filename, this.inflated, limits);
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

  private async readSmall(member: ZipMember): Promise<Buffer> {
    const { entry } = member;
    // One read for the local header and the data: its extra field is guessed no longer than
    // the slack below (it rarely exists); when it is longer, the header is read first.
    const start = entry.relativeOffsetOfLocalHeader;
    const wanted = LOCAL_HEADER_BYTES + entry.fileNameLength + LOCAL_EXTRA_SLACK + member.compressedSize;
    const buf = Buffer.allocUnsafe(Math.min(wanted, Math.max(0, this.zip.fileSize - start)));
    const { bytesRead } = await this.file.read(buf, 0, buf.length, start);
    if (bytesRead < LOCAL_HEADER_BYTES || buf.readUInt32LE(0) !== 0x04034b50) {
      throw new Error(`invalid local file header for '${printable(member.path)}'`);
    }
    const dataStart = LOCAL_HEADER_BYTES + buf.readUInt16LE(26) + buf.readUInt16LE(28);
    let raw: Buffer;
    if (dataStart + member.compressedSize <= bytesRead) raw = buf.subarray(dataStart, dataStart + member.compressedSize);
    else if (start + dataStart + member.compressedSize > this.zip.fileSize) throw new Error('file data overflows file bounds');
    else {
      raw = Buffer.allocUnsafe(member.compressedSize);
      const more = await this.file.read(raw, 0, raw.length, start + dataStart);
      if (more.bytesRead !== raw.length) throw new Error('unexpected end of file');
    }
    if (member.entry.compressionMethod === 0) return raw;
    try {
      return inflateRawSync(raw, { maxOutputLength: member.size + 1 });
    } catch (err) {
      // The cap is one byte past the declared size: reaching it is the lie yauzl reports so.
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
      chunks.push(chunk);
    });
    return Buffer.concat(chunks, total);
  }

  close(): void {
    this.zip.close();
    this.file.close().catch(() => {});
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
