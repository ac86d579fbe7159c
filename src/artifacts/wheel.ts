// Wheels (PEP 427): one <name>-<version>.dist-info directory for the project the filename
// names, a WHEEL file of a version we understand, METADATA that agrees with the filename, and a
// RECORD that lists every member with its right digest and size.
import type { IntegrityReport } from '../catalog/types.js';
import { parseRfc822 } from '../standards/metadata.js';
import { parseTag } from '../standards/tags.js';
import type { WheelFilename } from '../standards/filenames.js';
import { artifactError } from './errors.js';
import type { ArtifactLimits } from './limits.js';
import { checkMetadata, type ReadMetadata, stemNames } from './metadata.js';
import { printable } from './paths.js';
import { checkRecordRow, parseRecord, recordHash } from './record.js';
import { ZipArchive, type ZipMember } from './zip.js';

// A WHEEL file is a handful of short headers.
const MAX_WHEEL_FILE_BYTES = 64 * 1024;
// A RECORD row is at most a path (1024 characters, see paths.ts), a digest and a size.
const MAX_RECORD_ROW_BYTES = 4 * 1024 + 256;
// …and however many members, RECORD is held in memory: 128 MB is ten times the largest seen.
const MAX_RECORD_BYTES = 128 * 1024 * 1024;

export interface WheelResult extends ReadMetadata {
  metadataBytes: Buffer;
}


/** The one .dist-info directory, which must be the project's own. */
function findDistInfo(filename: string, parsed: WheelFilename, members: ZipMember[]): string {
  const dirs = new Set<string>();
  for (const m of members) {
    const top = m.path.split('/')[0]!;
    if (top.endsWith('.dist-info') && (m.path !== top || m.isDirectory)) dirs.add(top);
  }
  const expected = `${parsed.name} ${parsed.version.toString()}`;
  if (dirs.size !== 1) {
    const found = dirs.size === 0 ? 'none' : [...dirs].map(printable).join(', ');
    throw artifactError('WHEEL_NO_DIST_INFO', filename, `needs exactly one .dist-info directory (for ${expected}); found ${found}`);
  }
  const dir = [...dirs][0]!;
  if (!stemNames(dir.slice(0, -'.dist-info'.length), parsed)) {
    throw artifactError('WHEEL_NO_DIST_INFO', filename, `its .dist-info directory '${printable(dir)}' is not the one of ${expected}`, {
      distInfo: printable(dir),
    });
  }
  return dir;
}

/** A WHEEL Tag line, which some builders write compressed ('cp39-abi3-manylinux_x.manylinux2014_x'). */
function expandTag(tag: string): string[] {
  try {
    return parseTag(tag).map((t) => t.toString());
  } catch {
    return [tag];
  }
}

function checkWheelFile(filename: string, parsed: WheelFilename, bytes: Buffer, integrity: IntegrityReport): void {
  const bad = (why: string) => artifactError('WHEEL_BAD_WHEEL_FILE', filename, `its WHEEL file ${why}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw bad('is not valid UTF-8');
  }
  const headers = new Map<string, string>();
  const tags: string[] = [];
  for (const [k, v] of parseRfc822(text).headers) {
    if (k.toLowerCase() === 'tag') tags.push(...expandTag(v.trim()));
    else headers.set(k.toLowerCase(), v.trim());
  }
  const version = headers.get('wheel-version');
  if (version === undefined) throw bad('has no Wheel-Version');
  // pip installs any 1.x (warning on minor > 0) and refuses 2.0 and later.
  if (!/^1\.[0-9]+$/.test(version)) throw bad(`has Wheel-Version '${printable(version)}'; only 1.x is supported`);
  const purelib = headers.get('root-is-purelib')?.toLowerCase();
  if (purelib !== 'true' && purelib !== 'false') throw bad('needs Root-Is-Purelib: true or false');
  integrity.checks.push({ check: 'wheel-file', ok: true, detail: `Wheel-Version ${version}, Root-Is-Purelib ${purelib}` });
  // Installers go by the filename; a WHEEL that says otherwise is evidence, not a refusal.
  const named = parsed.tags.map((t) => t.toString()).sort();
  const unique = [...new Set(tags)].sort();
  const same = unique.length === named.length && unique.every((t, i) => t === named[i]);
  integrity.checks.push(
    same
      ? { check: 'wheel-tags', ok: true, detail: named.join(', ') }
      : { check: 'wheel-tags', ok: false, detail: `WHEEL says ${tags.join(', ') || 'no tags'}; the filename says ${named.join(', ')}` },
  );
}

export async function inspectWheel(
  path: string,
  filename: string,
  parsed: WheelFilename,
  limits: ArtifactLimits,
  integrity: IntegrityReport,
  bytes?: Buffer,
): Promise<WheelResult> {
  const zip = await ZipArchive.open(path, filename, limits, bytes);
  try {
    const files = zip.members.filter((m) => !m.isDirectory);
    const distInfo = findDistInfo(filename, parsed, zip.members);
    const byPath = new Map(files.map((m) => [m.path, m]));
    const recordPath = `${distInfo}/RECORD`;
    const special = {
      wheel: byPath.get(`${distInfo}/WHEEL`),
      metadata: byPath.get(`${distInfo}/METADATA`),
      record: byPath.get(recordPath),
    };
    if (!special.metadata) throw artifactError('METADATA_MISSING', filename, `has no ${distInfo}/METADATA`);
    if (!special.wheel) throw artifactError('WHEEL_BAD_WHEEL_FILE', filename, `has no ${distInfo}/WHEEL`);
    if (!special.record) throw artifactError('WHEEL_RECORD_MISSING', filename, `has no ${recordPath}`);

    const captured = new Map<ZipMember, Buffer>();
    const metadataBytes = await zip.readBytes(special.metadata, limits.maxMetadataBytes, () =>
      artifactError('METADATA_TOO_LARGE', filename, `${distInfo}/METADATA is larger than ${limits.maxMetadataBytes} bytes`, {
        limit: limits.maxMetadataBytes,
      }),
    );
    captured.set(special.metadata, metadataBytes);
    const read = checkMetadata(filename, `${distInfo}/METADATA`, metadataBytes, parsed, integrity);

    const wheelBytes = await zip.readBytes(special.wheel, MAX_WHEEL_FILE_BYTES, () =>
      artifactError('WHEEL_BAD_WHEEL_FILE', filename, `its WHEEL file is larger than ${MAX_WHEEL_FILE_BYTES} bytes`),
    );
    captured.set(special.wheel, wheelBytes);
    checkWheelFile(filename, parsed, wheelBytes, integrity);

    const maxRecord = Math.min((zip.members.length + 1) * MAX_RECORD_ROW_BYTES, MAX_RECORD_BYTES);
    const recordBytes = await zip.readBytes(special.record, maxRecord, () =>
      artifactError('WHEEL_RECORD_MISMATCH', filename, `${recordPath} is larger than ${zip.members.length} members can need`),
    );
    captured.set(special.record, recordBytes);
    let recordText: string;
    try {
      recordText = new TextDecoder('utf-8', { fatal: true }).decode(recordBytes);
    } catch {
      throw artifactError('WHEEL_RECORD_MISMATCH', filename, `${recordPath} is not valid UTF-8`);
    }
    const rows = parseRecord(filename, recordText);

    // Every member but RECORD and its signatures must be listed, and must hash as listed.
    const unsigned = new Set([recordPath, `${recordPath}.jws`, `${recordPath}.p7s`]);
    let verified = 0;
    for (const member of files) {
      if (unsigned.has(member.path)) continue;
      const row = rows.get(member.path);
      if (row === undefined) {
        throw artifactError('WHEEL_RECORD_MISMATCH', filename, `'${printable(member.path)}' is not listed in RECORD`, {
          member: printable(member.path),
        });
      }
      const hash = recordHash(row);
      const bytes = captured.get(member);
      let size: number;
      if (bytes !== undefined) {
        hash.update(bytes);
        size = bytes.length;
      } else size = await zip.read(member, (chunk) => hash.update(chunk));
      checkRecordRow(filename, row, hash, size);
      verified++;
    }
    for (const row of rows.values()) {
      if (!byPath.has(row.path)) {
        throw artifactError('WHEEL_RECORD_MISMATCH', filename, `RECORD lists '${printable(row.path)}', which is not in the wheel`, {
          member: printable(row.path),
        });
      }
    }
    integrity.checks.push({
      check: 'archive',
      ok: true,
      detail: `${zip.members.length} members, ${zip.inflatedBytes} bytes inflated, within limits`,
    });
    integrity.checks.push(zip.pathCollisions());
    integrity.checks.push({ check: 'record-hashes', ok: true, detail: `${verified} members` });
    const signed = [...unsigned].filter((p) => p !== recordPath && byPath.has(p));
    if (signed.length > 0) integrity.checks.push({ check: 'record-signature', ok: true, detail: `present, not verified: ${signed.join(', ')}` });
    return { ...read, metadataBytes };
  } finally {
    await zip.close();
  }
}
