// A wheel's RECORD (PEP 376/427): CSV rows of path, hash ('algo=' + urlsafe base64 without
// padding) and size, written by Python's csv module.
import { createHash, type Hash } from 'node:crypto';
import { artifactError } from './errors.js';
import { printable } from './paths.js';

export interface RecordRow {
  path: string;
  /** Node's name for the algorithm; undefined for a row without a hash (RECORD itself). */
  algorithm: string | undefined;
  /** The digest, base64url without padding. */
  digest: string;
  size: number | undefined;
}

// hashlib names accepted in RECORD → Node's names. md5, sha1 and sha224 are weaker than sha256
// and refused, as pip refuses them.
const ALGORITHMS: Record<string, string> = {
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
  sha3_256: 'sha3-256',
  sha3_384: 'sha3-384',
  sha3_512: 'sha3-512',
  blake2b: 'blake2b512',
};

/** Splits CSV text as Python's csv.reader with the default dialect does. */
export function parseCsv(text: string): string[][] {
  // Almost every RECORD quotes nothing: then rows are lines and fields are between commas.
  if (!text.includes('"')) {
    return text
      .split(/\r\n|\n|\r/)
      .filter((line) => line !== '')
      .map((line) => line.split(','));
  }
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      if (c === '\r' && text[i + 1] === '\n') i++;
    } else field += c;
    i++;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

function mismatch(filename: string, message: string, member?: string) {
  return artifactError('WHEEL_RECORD_MISMATCH', filename, message, member === undefined ? {} : { member: printable(member) });
}

/** Parses RECORD into rows by path; malformed or weak rows are WHEEL_RECORD_MISMATCH. */
export function parseRecord(filename: string, text: string): Map<string, RecordRow> {
  const rows = new Map<string, RecordRow>();
  for (const cells of parseCsv(text)) {
    const [path, hash = '', size = ''] = cells;
    if (!path || cells.length > 3) throw mismatch(filename, `RECORD has a malformed row: ${printable(cells.join(','))}`);
    if (rows.has(path)) throw mismatch(filename, `RECORD lists '${printable(path)}' twice`, path);
    let algorithm: string | undefined;
    let digest = '';
    if (hash !== '') {
      const eq = hash.indexOf('=');
      const name = eq < 0 ? hash : hash.slice(0, eq);
      algorithm = ALGORITHMS[name.toLowerCase()];
      if (algorithm === undefined) {
        throw mismatch(filename, `RECORD hashes '${printable(path)}' with '${printable(name)}', which is not sha256 or stronger`, path);
      }
      digest = hash.slice(eq + 1).replace(/=+$/, '');
    }
    if (size !== '' && !/^[0-9]+$/.test(size)) throw mismatch(filename, `RECORD gives '${printable(path)}' the size '${printable(size)}'`, path);
    rows.set(path, { path, algorithm, digest, size: size === '' ? undefined : Number(size) });
  }
  return rows;
}

export function recordHash(row: RecordRow): Hash {
  return createHash(row.algorithm ?? 'sha256');
}

/** Throws unless a member's actual digest and size are the ones its row promises. */
export function checkRecordRow(filename: string, row: RecordRow, hash: Hash, size: number): void {
  if (row.algorithm === undefined) throw mismatch(filename, `RECORD gives no hash for '${printable(row.path)}'`, row.path);
  const actual = hash.digest();
  if (actual.toString('base64url') !== row.digest) {
    // The right digest in the wrong encoding is still a RECORD that breaks the format, but the
    // operator should hear that, not that the bytes differ.
    if (row.digest.toLowerCase() === actual.toString('hex')) {
      throw mismatch(
        filename,
        `RECORD gives the ${row.algorithm} digest of '${printable(row.path)}' in hex; the wheel format (PEP 376, 427) wants urlsafe base64 without padding (the bytes do match)`,
        row.path,
      );
    }
    throw mismatch(filename, `'${printable(row.path)}' does not have the ${row.algorithm} digest RECORD gives`, row.path);
  }
  if (row.size !== size) {
    const says = row.size === undefined ? 'gives no size' : `says ${row.size}`;
    throw mismatch(filename, `'${printable(row.path)}' is ${size} bytes, RECORD ${says}`, row.path);
  }
}
