// PEP 440 versions, behaving exactly like pypa/packaging 26.x `Version`.
// Parsing is a hand-written scanner that reproduces packaging's (possessive, ASCII, case-insensitive)
// regular expression: each optional part is committed once it matched, so a single left-to-right
// pass decides validity. Numbers are kept as `number` while they are safe integers and as `bigint`
// beyond (real data has release components above 2^53); a value always has exactly one
// representation, so `===` is equality and `<` compares across the two types exactly.
import { PyvetError } from '../errors.js';
import { isPyWhitespace, pyStrip } from './text.js';

export class InvalidVersion extends PyvetError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_VERSION', 'invalid', message, details);
    this.name = 'InvalidVersion';
  }
}

export type PreReleaseLetter = 'a' | 'b' | 'rc';

/** A non-negative integer: a number while safe, a bigint beyond. @internal */
export type Num = number | bigint;

const PRE_LETTERS: readonly PreReleaseLetter[] = ['a', 'b', 'rc'];
const PRE_LETTER_CODE: Record<string, number> = { a: 0, alpha: 0, b: 1, beta: 1, c: 2, rc: 2, pre: 2, preview: 2 };

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isSep = (c: number): boolean => c === 0x2e || c === 0x5f || c === 0x2d; // . _ -
const isAlnum = (c: number): boolean => isDigit(c) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);

/** Parses the ASCII digits s[start, end) into a Num. @internal */
export function parseNum(s: string, start: number, end: number): Num {
  if (end - start <= 15) {
    let n = 0;
    for (let i = start; i < end; i++) n = n * 10 + (s.charCodeAt(i) - 0x30);
    return n;
  }
  const big = BigInt(s.slice(start, end));
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** Normalizes a bigint/number to the single representation used internally. @internal */
export function toNum(n: number | bigint): Num {
  if (typeof n === 'number') return n;
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** Adds one, staying exact. @internal */
export function incNum(n: Num): Num {
  return typeof n === 'number' && n < Number.MAX_SAFE_INTEGER ? n + 1 : BigInt(n) + 1n;
}

// Case-insensitive (ASCII) match of the lowercase `word` at s[k]; returns the index after it or
// -1. `fold` adds Python's Unicode case-folds that the specifier regex's non-ASCII `~=` branch
// accepts for these words: U+0130/U+0131 for 'i', U+017F for 's'.
function word(s: string, k: number, end: number, w: string, fold: boolean): number {
  if (k + w.length > end) return -1;
  for (let m = 0; m < w.length; m++) {
    const c = s.charCodeAt(k + m);
    const want = w.charCodeAt(m);
    if ((c | 0x20) === want) continue;
    if (fold && ((want === 0x69 && (c === 0x130 || c === 0x131)) || (want === 0x73 && c === 0x17f))) continue;
    return -1;
  }
  return k + w.length;
}

// The scanner's results, in module state so that parsing allocates nothing but the version.
let scanEpoch: Num = 0;
// Release components are gathered here; a Version copies them into its own fields.
const releaseBuf: Num[] = [];
let scanPreL = -1; // -1 none, 0 a, 1 b, 2 rc
let scanPreN: Num = 0;
let scanPost: Num | null = null;
let scanDev: Num | null = null;
let scanLocal = -1; // index of the first character after '+', or -1

// Reads [._-]? digits* from k; leaves the number in scanNumber and returns the index after it.
let scanNumber: Num = 0;
function sepDigits(s: string, k: number, end: number): number {
  if (k < end && isSep(s.charCodeAt(k))) k++;
  let j = k;
  while (j < end && isDigit(s.charCodeAt(j))) j++;
  scanNumber = j > k ? parseNum(s, k, j) : 0;
  return j;
}

/**
 * Scans packaging's version grammar over s[i, end) into the scan* variables; returns where it
 * stopped (the whole text is a version when that is `end` and a release was found). Each
 * optional part is taken as soon as it matches, as packaging's possessive regex does.
 */
function scan(s: string, i: number, end: number, allowLocal: boolean, fold: boolean): number {
  scanEpoch = 0;
  releaseBuf.length = 0;
  scanPreL = -1;
  scanPreN = 0;
  scanPost = null;
  scanDev = null;
  scanLocal = -1;
  if (i < end && (s.charCodeAt(i) | 0x20) === 0x76) i++; // optional 'v'
  let j = i;
  while (j < end && isDigit(s.charCodeAt(j))) j++;
  if (j > i && j < end && s.charCodeAt(j) === 0x21) {
    scanEpoch = parseNum(s, i, j);
    i = j + 1;
    j = i;
    while (j < end && isDigit(s.charCodeAt(j))) j++;
  }
  if (j === i) return i;
  releaseBuf.push(parseNum(s, i, j));
  i = j;
  while (i + 1 < end && s.charCodeAt(i) === 0x2e && isDigit(s.charCodeAt(i + 1))) {
    j = i + 2;
    while (j < end && isDigit(s.charCodeAt(j))) j++;
    releaseBuf.push(parseNum(s, i + 1, j));
    i = j;
  }
  if (i === end) return i;
  // pre-release: [._-]? (alpha|a|beta|b|preview|pre|c|rc) [._-]? digits?
  let k = isSep(s.charCodeAt(i)) ? i + 1 : i;
  let w = -1;
  if (k < end) {
    switch (s.charCodeAt(k) | 0x20) {
      case 0x61: // a
        scanPreL = 0;
        w = word(s, k, end, 'alpha', false);
        if (w < 0) w = k + 1;
        break;
      case 0x62: // b
        scanPreL = 1;
        w = word(s, k, end, 'beta', false);
        if (w < 0) w = k + 1;
        break;
      case 0x63: // c
        scanPreL = 2;
        w = k + 1;
        break;
      case 0x70: // p
        scanPreL = 2;
        w = word(s, k, end, 'preview', fold);
        if (w < 0) w = word(s, k, end, 'pre', false);
        break;
      case 0x72: // r
        scanPreL = 2;
        w = word(s, k, end, 'rc', false);
        break;
    }
  }
  if (w >= 0) {
    i = sepDigits(s, w, end);
    scanPreN = scanNumber;
  } else {
    scanPreL = -1;
  }
  if (i === end) return i;
  // post-release: -digits | [._-]? (post|rev|r) [._-]? digits?
  if (s.charCodeAt(i) === 0x2d && i + 1 < end && isDigit(s.charCodeAt(i + 1))) {
    j = i + 2;
    while (j < end && isDigit(s.charCodeAt(j))) j++;
    scanPost = parseNum(s, i + 1, j);
    i = j;
  } else {
    k = isSep(s.charCodeAt(i)) ? i + 1 : i;
    w = -1;
    if (k < end) {
      const c = s.charCodeAt(k) | 0x20;
      if (c === 0x70) w = word(s, k, end, 'post', fold);
      else if (c === 0x72) {
        w = word(s, k, end, 'rev', false);
        if (w < 0) w = k + 1;
      }
    }
    if (w >= 0) {
      i = sepDigits(s, w, end);
      scanPost = scanNumber;
    }
  }
  if (i === end) return i;
  // dev-release: [._-]? dev [._-]? digits?
  k = isSep(s.charCodeAt(i)) ? i + 1 : i;
  w = word(s, k, end, 'dev', false);
  if (w >= 0) {
    i = sepDigits(s, w, end);
    scanDev = scanNumber;
  }
  // local: + alnum+ ([._-] alnum+)*
  if (allowLocal && i + 1 < end && s.charCodeAt(i) === 0x2b && isAlnum(s.charCodeAt(i + 1))) {
    scanLocal = i + 1;
    j = i + 2;
    for (;;) {
      while (j < end && isAlnum(s.charCodeAt(j))) j++;
      if (j + 1 < end && isSep(s.charCodeAt(j)) && isAlnum(s.charCodeAt(j + 1))) j += 2;
      else break;
    }
    i = j;
  }
  return i;
}

/** What the scanner found. @internal */
export interface Scan {
  /** index where scanning stopped: the end of the text when the whole text is a version */
  stop: number;
  release: Num[];
  preLetter: number; // -1 none, 0 a, 1 b, 2 rc
  post: Num | null;
  dev: Num | null;
}

/** Scans the version grammar over s[i, end); `allowLocal` false stops before a '+'. @internal */
export function scanVersion(s: string, i: number, end: number, allowLocal: boolean, fold: boolean): Scan {
  const stop = scan(s, i, end, allowLocal, fold);
  return { stop, release: releaseBuf.slice(), preLetter: scanPreL, post: scanPost, dev: scanDev };
}

// Normalizes a local label: lowercase, '.'-separated, numeric parts without leading zeros.
function normalizeLocal(s: string, start: number, end: number): string {
  let plain = true; // already normal: lowercase, '.' only, no leading zeros on numbers
  let partStart = start;
  let numeric = true;
  for (let k = start; k <= end && plain; k++) {
    const c = k === end ? 0x2e : s.charCodeAt(k);
    if (c === 0x2e || c === 0x2d || c === 0x5f) {
      if (c !== 0x2e || (numeric && k - partStart > 1 && s.charCodeAt(partStart) === 0x30)) plain = false;
      partStart = k + 1;
      numeric = true;
    } else if (c >= 0x41 && c <= 0x5a) plain = false;
    else if (!isDigit(c)) numeric = false;
  }
  if (plain) return s.slice(start, end);
  const parts = s.slice(start, end).toLowerCase().split(/[._-]/);
  return parts.map((p) => (/^[0-9]+$/.test(p) ? String(parseNum(p, 0, p.length)) : p)).join('.');
}

const numStr = (n: Num): string => String(n);

function cmpNum(a: Num, b: Num): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

/** The rarer parts of a version. @internal */
interface Rare {
  epoch: Num;
  rest: readonly Num[] | null;
  preL: number;
  preN: Num;
  post: Num | null;
  dev: Num | null;
  local: string | null;
}

export interface VersionParts {
  epoch?: number | bigint;
  release: readonly (number | bigint)[];
  pre?: readonly [PreReleaseLetter | 'alpha' | 'beta' | 'c' | 'pre' | 'preview', number | bigint] | null;
  post?: number | bigint | null;
  dev?: number | bigint | null;
  local?: string | null;
}

/**
 * A PEP 440 version. Immutable; `toString()` is the normalized form. `major`, `minor`, `micro`
 * are bigints like `release` (components may exceed 2^53); `epoch` is a number.
 */
export class Version {
  // Memory matters when a million versions are alive (the garbage collector visits each), so the
  // common shape, up to three release components and nothing else, is one small object: the
  // components inline (0 when absent, which is also how comparison pads) and `_x`, the rarer
  // parts (epoch, further components, pre/post/dev, local), null when there are none.
  /** @internal number of release components */ readonly _n: number;
  /** @internal */ readonly _r0: Num;
  /** @internal */ readonly _r1: Num;
  /** @internal */ readonly _r2: Num;
  /** @internal */ readonly _x: Rare | null;
  // Derived values, computed on first use; one field keeps a million parsed versions small.
  #cache:
    | { str?: string; localKey?: (string | Num)[]; sortKey?: string; release?: readonly bigint[]; rel?: readonly Num[] }
    | undefined;

  private constructor(
    epoch: Num,
    rel: readonly Num[],
    preL: number,
    preN: Num,
    post: Num | null,
    dev: Num | null,
    local: string | null,
  ) {
    const n = rel.length;
    this._n = n;
    this._r0 = rel[0]!;
    this._r1 = n > 1 ? rel[1]! : 0;
    this._r2 = n > 2 ? rel[2]! : 0;
    this._x =
      epoch === 0 && n <= 3 && preL < 0 && post === null && dev === null && local === null
        ? null
        : { epoch, rest: n > 3 ? rel.slice(3) : null, preL, preN, post, dev, local };
  }

  /** The normalized local label (lowercase, '.'-separated), or null. */
  get local(): string | null {
    return this._x === null ? null : this._x.local;
  }

  /** @internal */
  get _epoch(): Num {
    return this._x === null ? 0 : this._x.epoch;
  }
  /** @internal components from the fourth on */
  get _rest(): readonly Num[] | null {
    return this._x === null ? null : this._x.rest;
  }
  /** @internal pre-release letter: -1 none, 0 a, 1 b, 2 rc */
  get _preL(): number {
    return this._x === null ? -1 : this._x.preL;
  }
  /** @internal */
  get _preN(): Num {
    return this._x === null ? 0 : this._x.preN;
  }
  /** @internal */
  get _post(): Num | null {
    return this._x === null ? null : this._x.post;
  }
  /** @internal */
  get _dev(): Num | null {
    return this._x === null ? null : this._x.dev;
  }

  /** The release components as numbers (cold paths only: builds an array). @internal */
  get _rel(): readonly Num[] {
    const c = (this.#cache ??= {});
    if (c.rel === undefined) {
      const rel = [this._r0, this._r1, this._r2].slice(0, this._n);
      c.rel = this._rest === null ? rel : rel.concat(this._rest);
    }
    return c.rel;
  }

  /** Release component i, 0 beyond the end (the padding comparisons use). @internal */
  _relAt(i: number): Num {
    if (i >= this._n) return 0;
    return i === 0 ? this._r0 : i === 1 ? this._r1 : i === 2 ? this._r2 : this._x!.rest![i - 3]!;
  }

  /** Parses a version; throws InvalidVersion (with the position where it stopped making sense). */
  static parse(s: string): Version {
    const v = Version.tryParse(s);
    if (v !== null) return v;
    throw invalidVersion(s);
  }

  /** Parses a version or returns null. */
  static tryParse(s: string): Version | null {
    let start = 0;
    let end = s.length;
    while (start < end && isPyWhitespace(s.charCodeAt(start))) start++;
    while (end > start && isPyWhitespace(s.charCodeAt(end - 1))) end--;
    if (scan(s, start, end, true, false) !== end || releaseBuf.length === 0) return null;
    return new Version(
      scanEpoch,
      releaseBuf,
      scanPreL,
      scanPreN,
      scanPost,
      scanDev,
      scanLocal < 0 ? null : normalizeLocal(s, scanLocal, end),
    );
  }

  static isValid(s: string): boolean {
    return Version.tryParse(s) !== null;
  }

  /** Builds a version from its parts (like packaging's `Version.from_parts`); validates them. */
  static fromParts(parts: VersionParts): Version {
    const nonNeg = (what: string, n: unknown): Num => {
      if ((typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) || (typeof n === 'bigint' && n >= 0n)) {
        return toNum(n);
      }
      throw new InvalidVersion(`Invalid version parts: ${what} must be a non-negative integer, got ${String(n)}`);
    };
    const epoch = nonNeg('epoch', parts.epoch ?? 0);
    if (parts.release.length === 0) throw new InvalidVersion('Invalid version parts: release must not be empty');
    const rel = parts.release.map((n) => nonNeg('release', n));
    let preL = -1;
    let preN: Num = 0;
    if (parts.pre) {
      preL = PRE_LETTER_CODE[parts.pre[0].toLowerCase()] ?? -1;
      if (preL < 0) throw new InvalidVersion(`Invalid version parts: unknown pre-release letter '${parts.pre[0]}'`);
      preN = nonNeg('pre', parts.pre[1]);
    }
    const post = parts.post == null ? null : nonNeg('post', parts.post);
    const dev = parts.dev == null ? null : nonNeg('dev', parts.dev);
    let local: string | null = null;
    if (parts.local != null) {
      const text = `0+${parts.local}`;
      if (scan(text, 0, text.length, true, false) !== text.length || scanLocal !== 2) {
        throw new InvalidVersion(`Invalid version parts: invalid local label '${parts.local}'`);
      }
      local = normalizeLocal(text, 2, text.length);
    }
    return new Version(epoch, rel, preL, preN, post, dev, local);
  }

  /** A copy with some parts replaced (null clears). @internal */
  _with(p: { rel?: readonly Num[]; pre?: null; post?: Num | null; dev?: Num | null; local?: null }): Version {
    return new Version(
      this._epoch,
      p.rel ?? this._rel,
      p.pre === null ? -1 : this._preL,
      p.pre === null ? 0 : this._preN,
      p.post !== undefined ? p.post : this._post,
      p.dev !== undefined ? p.dev : this._dev,
      p.local === null ? null : this.local,
    );
  }

  get epoch(): number {
    return Number(this._epoch);
  }

  get release(): readonly bigint[] {
    const c = (this.#cache ??= {});
    c.release ??= Object.freeze(this._rel.map((n) => BigInt(n)));
    return c.release;
  }

  get pre(): readonly [PreReleaseLetter, bigint] | null {
    return this._preL < 0 ? null : [PRE_LETTERS[this._preL]!, BigInt(this._preN)];
  }

  get post(): bigint | null {
    return this._post === null ? null : BigInt(this._post);
  }

  get dev(): bigint | null {
    return this._dev === null ? null : BigInt(this._dev);
  }

  get major(): bigint {
    return BigInt(this._r0);
  }

  get minor(): bigint {
    return BigInt(this._r1);
  }

  get micro(): bigint {
    return BigInt(this._r2);
  }

  get isPrerelease(): boolean {
    return this._preL >= 0 || this._dev !== null;
  }

  get isPostrelease(): boolean {
    return this._post !== null;
  }

  get isDevrelease(): boolean {
    return this._dev !== null;
  }

  /** The version without its local label. */
  get public(): string {
    const s = this.toString();
    const plus = s.indexOf('+');
    return plus < 0 ? s : s.slice(0, plus);
  }

  /** Epoch and release only. */
  get baseVersion(): string {
    const rel = this._rel.map(numStr).join('.');
    return this._epoch === 0 ? rel : `${this._epoch}!${rel}`;
  }

  toString(): string {
    const c = (this.#cache ??= {});
    if (c.str !== undefined) return c.str;
    let s = String(this._r0);
    if (this._n > 1) s += `.${this._r1}`;
    if (this._n > 2) s += `.${this._r2}`;
    if (this._rest !== null) s += `.${this._rest.map(numStr).join('.')}`;
    if (this._epoch !== 0) s = `${this._epoch}!${s}`;
    if (this._preL >= 0) s += PRE_LETTERS[this._preL]! + this._preN;
    if (this._post !== null) s += `.post${this._post}`;
    if (this._dev !== null) s += `.dev${this._dev}`;
    if (this.local !== null) s += `+${this.local}`;
    c.str = s;
    return s;
  }

  toJSON(): string {
    return this.toString();
  }

  /** Local label parts for ordering: strings and numbers. @internal */
  _localKey(): (string | Num)[] {
    const c = (this.#cache ??= {});
    c.localKey ??= this.local === null ? [] : this.local.split('.').map((p) => (/^[0-9]+$/.test(p) ? toNum(BigInt(p)) : p));
    return c.localKey;
  }

  /**
   * A string whose plain `<` order (UTF-16 code units, like Array.prototype.sort) is the PEP 440
   * order; equal versions have equal keys. Use it to sort many versions or as a Map key.
   */
  get sortKey(): string {
    const c = (this.#cache ??= {});
    if (c.sortKey !== undefined) return c.sortKey;
    const parts = [encNum(this._epoch)];
    let n = this._n;
    while (n > 0 && this._relAt(n - 1) === 0) n--;
    for (let i = 0; i < n; i++) parts.push(encNum(this._relAt(i)));
    parts.push('\x00', encNum(preRank(this) + 1), encNum(this._preN));
    parts.push(this._post === null ? ENC_00 : encNum(1) + encNum(this._post));
    parts.push(this._dev === null ? ENC_10 : encNum(0) + encNum(this._dev));
    if (this.local !== null) {
      for (const part of this._localKey()) parts.push(typeof part === 'string' ? `\x01${part}\x00` : `\x02${encNum(part)}`);
    }
    c.sortKey = parts.join(''); // join gives a flat string, which compares faster than a concatenation
    return c.sortKey;
  }

  compare(other: Version | string): -1 | 0 | 1 {
    return compareVersions(this, typeof other === 'string' ? Version.parse(other) : other);
  }

  equals(other: Version | string): boolean {
    return this.compare(other) === 0;
  }

  static compare(a: Version | string, b: Version | string): -1 | 0 | 1 {
    return compareVersions(typeof a === 'string' ? Version.parse(a) : a, typeof b === 'string' ? Version.parse(b) : b);
  }
}

function invalidVersion(s: string): InvalidVersion {
  const t = pyStrip(s);
  const r = scanVersion(t, 0, t.length, true, false);
  const where =
    r.release.length === 0
      ? 'expected a release number such as 1.0'
      : `unexpected ${JSON.stringify(t.slice(r.stop, r.stop + 1))} at position ${s.indexOf(t) + r.stop}`;
  return new InvalidVersion(`Invalid version: ${JSON.stringify(s)}: ${where}`, { input: s });
}

// Order-preserving encoding of a non-negative integer: its digit count, then its digits.
function encNum(n: Num): string {
  if (typeof n === 'number' && n < ENC_SMALL.length) return ENC_SMALL[n]!;
  const s = String(n);
  return s.length < 0xffff ? String.fromCharCode(s.length) + s : `\uffff${encNum(s.length)}${s}`;
}
const ENC_SMALL = Array.from({ length: 1000 }, (_, i) => String.fromCharCode(String(i).length) + i);
const ENC_00 = encNum(0) + encNum(0);
const ENC_10 = encNum(1) + encNum(0);

// Pre-release rank: dev-only -1 < a 0 < b 1 < rc 2 < none 3 (packaging's _cmpkey).
function preRank(v: Version): number {
  if (v._preL >= 0) return v._preL;
  return v._post === null && v._dev !== null ? -1 : 3;
}

/** Compares ignoring local labels. @internal */
export function comparePublic(a: Version, b: Version): number {
  const xa = a._x;
  const xb = b._x;
  if (xa !== xb && (xa === null ? 0 : xa.epoch) !== (xb === null ? 0 : xb.epoch)) {
    return (xa === null ? 0 : xa.epoch) < (xb === null ? 0 : xb.epoch) ? -1 : 1;
  }
  if (a._r0 !== b._r0) return a._r0 < b._r0 ? -1 : 1;
  if (a._r1 !== b._r1) return a._r1 < b._r1 ? -1 : 1;
  if (a._r2 !== b._r2) return a._r2 < b._r2 ? -1 : 1;
  if (xa === null && xb === null) return 0;
  if (a._rest !== null || b._rest !== null) {
    const n = Math.max(a._n, b._n);
    for (let i = 3; i < n; i++) {
      const x = a._relAt(i);
      const y = b._relAt(i);
      if (x !== y) return x < y ? -1 : 1;
    }
  }
  const pa = preRank(a);
  const pb = preRank(b);
  if (pa !== pb) return pa < pb ? -1 : 1;
  let c = cmpNum(a._preN, b._preN);
  if (c !== 0) return c;
  const postA = a._post;
  const postB = b._post;
  if (postA !== postB) {
    if (postA === null) return -1;
    if (postB === null) return 1;
    return cmpNum(postA, postB);
  }
  const devA = a._dev;
  const devB = b._dev;
  if (devA !== devB) {
    if (devA === null) return 1;
    if (devB === null) return -1;
    c = cmpNum(devA, devB);
  }
  return c;
}

function compareVersions(a: Version, b: Version): -1 | 0 | 1 {
  if (a._x === null && b._x === null) {
    // the common case: plain releases of up to three components
    if (a._r0 !== b._r0) return a._r0 < b._r0 ? -1 : 1;
    if (a._r1 !== b._r1) return a._r1 < b._r1 ? -1 : 1;
    if (a._r2 !== b._r2) return a._r2 < b._r2 ? -1 : 1;
    return 0;
  }
  const c = comparePublic(a, b);
  if (c !== 0) return c < 0 ? -1 : 1;
  if (a.local === b.local) return 0;
  if (a.local === null) return -1;
  if (b.local === null) return 1;
  const la = a._localKey();
  const lb = b._localKey();
  const n = Math.min(la.length, lb.length);
  for (let i = 0; i < n; i++) {
    const x = la[i]!;
    const y = lb[i]!;
    if (x === y) continue;
    const xs = typeof x === 'string';
    const ys = typeof y === 'string';
    if (xs !== ys) return xs ? -1 : 1; // strings sort before numbers
    return x < y ? -1 : 1;
  }
  return la.length === lb.length ? 0 : la.length < lb.length ? -1 : 1;
}

/** Full comparison of two parsed versions. @internal */
export { compareVersions };

/**
 * packaging.utils.canonicalize_version: the normalized form, by default without trailing zero
 * release components (keeping one). Invalid versions are returned unchanged.
 */
export function canonicalizeVersion(version: Version | string, opts: { stripTrailingZero?: boolean } = {}): string {
  const v = typeof version === 'string' ? Version.tryParse(version) : version;
  if (v === null) return version as string;
  if (opts.stripTrailingZero === false) return v.toString();
  let n = v._rel.length;
  while (n > 1 && v._rel[n - 1] === 0) n--;
  return n === v._rel.length ? v.toString() : v._with({ rel: v._rel.slice(0, n) }).toString();
}
