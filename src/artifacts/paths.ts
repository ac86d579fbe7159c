// Member paths of untrusted archives. Nothing is ever extracted by pyvet, but pip and other
// tools will extract these files, so a path that could land outside its directory, mean
// different things on different systems, or exhaust a filesystem is refused outright.
import { artifactError } from './errors.js';

// A path this long or this deep is a "nested path" bomb, not a package (PATH_MAX is 4096).
const MAX_PATH_CHARS = 1024;
const MAX_PATH_DEPTH = 64;

function unsafe(archive: string, path: string, why: string) {
  return artifactError('ARCHIVE_PATH_UNSAFE', archive, `member '${printable(path)}' ${why}`, { member: printable(path) });
}

/** The path with control characters escaped, fit for an error message. */
export function printable(path: string): string {
  return path.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * Checks one member path and returns it without a directory's trailing slash. `archive` names
 * the file in errors.
 */
export function checkMemberPath(archive: string, raw: string): string {
  const path = raw.endsWith('/') ? raw.slice(0, -1) : raw;
  if (path === '') throw unsafe(archive, raw, 'has an empty name');
  if (path.includes('\0')) throw unsafe(archive, raw, 'contains a NUL byte');
  if (path.includes('\\')) throw unsafe(archive, raw, 'contains a backslash');
  if (path.startsWith('/')) throw unsafe(archive, raw, 'is an absolute path');
  if (/^[A-Za-z]:/.test(path)) throw unsafe(archive, raw, 'starts with a drive letter');
  if (path.length > MAX_PATH_CHARS) throw unsafe(archive, raw, `is longer than ${MAX_PATH_CHARS} characters`);
  const segments = path.split('/');
  if (segments.length > MAX_PATH_DEPTH) throw unsafe(archive, raw, `is nested deeper than ${MAX_PATH_DEPTH} levels`);
  for (const s of segments) {
    if (s === '..') throw unsafe(archive, raw, "climbs out of its directory with '..'");
    if (s === '.' || s === '') throw unsafe(archive, raw, "has an empty or '.' segment");
  }
  return path;
}

/**
 * Remembers member paths and refuses the second occurrence of one. Paths equal only up to case
 * or Unicode normalisation are let through but remembered: extracted on Windows or macOS, one
 * would overwrite the other, which vetting should know.
 */
export class MemberSet {
  private readonly seen = new Set<string>();
  private readonly folded = new Map<string, string>();
  /** Pairs of member paths that collide on a case-insensitive, normalising filesystem. */
  readonly collisions: [string, string][] = [];
  constructor(private readonly archive: string) {}

  add(path: string): void {
    if (this.seen.has(path)) {
      throw artifactError('ARCHIVE_DUPLICATE_ENTRY', this.archive, `member '${printable(path)}' appears twice`, {
        member: printable(path),
      });
    }
    this.seen.add(path);
    const key = path.normalize('NFC').toLowerCase();
    const other = this.folded.get(key);
    if (other === undefined) this.folded.set(key, path);
    else this.collisions.push([other, path]);
  }

  /** The collisions as an integrity check. */
  check(): { check: string; ok: boolean; detail: string } {
    if (this.collisions.length === 0) return { check: 'path-collisions', ok: true, detail: 'none' };
    const shown = this.collisions.slice(0, 5).map(([a, b]) => `'${printable(a)}' and '${printable(b)}'`);
    const more = this.collisions.length > 5 ? ` and ${this.collisions.length - 5} more` : '';
    return { check: 'path-collisions', ok: false, detail: `differ only in case or normalisation: ${shown.join(', ')}${more}` };
  }
}
