// PEP 440 versions, behaving exactly like pypa/packaging 26.x `Version`.
// Parsing is a hand-written scanner that reproduces packaging's (possessive, ASCII, case-insensitive)
// regular expression: each optional part is committed once it matched, so a single left-to-right
// pass decides validity. Numbers are kept as `number` while they are safe integers and as `bigint`
// beyond (real data has release components above 2^53); a value always has exactly one
// representation, so `===` is equality and `<` compares across the two types exactly.
import { PyvetError } from '../errors.js';

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

/** Python's str.isspace()/regex \s set: what str.strip() removes (U+FEFF is not in it). */
export function isPyWhitespace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
  if (c < 0x85) return false;
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** Python's str.strip() with no argument. */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isPyWhitespace(s.charCodeAt(start))) start++;
  while (end > start && isPyWhitespace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

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

// Matches one of `words` (lowercase, tried in order like regex alternation) case-insensitively
// at s[i]; returns the index after it or -1. `fold` adds Python's Unicode case-folds that the
// specifier regex's non-ASCII `~=` branch accepts: U+0130/U+0131 for 'i', U+017F for 's'.
function matchWord(s: string, i: number, end: number, words: readonly string[], fold: boolean): number {
  outer: for (const w of words) {
    if (i + w.length > end) continue;
    for (let k = 0; k < w.length; k++) {
      const c = s.charCodeAt(i + k);
      const want = w.charCodeAt(k);
      if (c === want || c === want - 0x20) continue;
      if (fold && ((want === 0x69 && (c === 0x130 || c === 0x131)) || (want === 0x73 && c === 0x17f))) continue;
      continue outer;
    }
    return i + w.length;
  }
  return -1;
}

const PRE_WORDS = ['alpha', 'a', 'beta', 'b', 'preview', 'pre', 'c', 'rc'];
const POST_WORDS = ['post', 'rev', 'r'];
const DEV_WORDS = ['dev'];

/** What the scanner found; positions are indexes into the scanned string. @internal */
export interface Scan {
  /** index where scanning stopped: the end of the string when the whole input is a version */
  stop: number;
  epoch: Num;
  release: Num[];
  preLetter: number; // -1 none, 0 a, 1 b, 2 rc
  preN: Num;
  post: Num | null;
  dev: Num | null;
  localStart: number; // -1 when absent; else index of the first character after '+'
  /** a Unicode case-fold (see matchWord) was needed: the text passes the specifier grammar only */
  folded: boolean;
}

const PRE_CODE: Record<string, number> = { alpha: 0, a: 0, beta: 1, b: 1, c: 2, rc: 2, pre: 2, preview: 2 };

/**
 * Scans the version grammar over s[i, end). `allowLocal` false stops before a '+'. Never throws;
 * the caller checks `stop === end`. @internal
 */
export function scanVersion(s: string, i: number, end: number, allowLocal: boolean, fold: boolean): Scan {
  const r: Scan = {
    stop: i,
    epoch: 0,
    release: [],
    preLetter: -1,
    preN: 0,
    post: null,
    dev: null,
    localStart: -1,
    folded: false,
  };
  if (i < end && (s.charCodeAt(i) | 0x20) === 0x76) i++; // optional 'v'
  // epoch: digits followed by '!'
  let j = i;
  while (j < end && isDigit(s.charCodeAt(j))) j++;
  if (j > i && j < end && s.charCodeAt(j) === 0x21) {
    r.epoch = parseNum(s, i, j);
    i = j + 1;
    j = i;
    while (j < end && isDigit(s.charCodeAt(j))) j++;
  }
  if (j === i) {
    r.stop = i;
    return r;
  }
  r.release.push(parseNum(s, i, j));
  i = j;
  while (i + 1 < end && s.charCodeAt(i) === 0x2e && isDigit(s.charCodeAt(i + 1))) {
    j = i + 1;
    while (j < end && isDigit(s.charCodeAt(j))) j++;
    r.release.push(parseNum(s, i + 1, j));
    i = j;
  }
  // pre-release: [._-]? letter [._-]? digits?
  if (i < end) {
    let k = isSep(s.charCodeAt(i)) ? i + 1 : i;
    const w = matchWord(s, k, end, PRE_WORDS, fold);
    if (w >= 0) {
      r.folded ||= fold && hasFold(s, k, w);
      r.preLetter = PRE_CODE[s.slice(k, w).toLowerCase()] ?? 2;
      k = w < end && isSep(s.charCodeAt(w)) ? w + 1 : w;
      j = k;
      while (j < end && isDigit(s.charCodeAt(j))) j++;
      r.preN = j > k ? parseNum(s, k, j) : 0;
      i = j;
    }
  }
  // post-release: -digits | [._-]? (post|rev|r) [._-]? digits?
  if (i < end) {
    if (s.charCodeAt(i) === 0x2d && i + 1 < end && isDigit(s.charCodeAt(i + 1))) {
      j = i + 1;
      while (j < end && isDigit(s.charCodeAt(j))) j++;
      r.post = parseNum(s, i + 1, j);
      i = j;
    } else {
      let k = isSep(s.charCodeAt(i)) ? i + 1 : i;
      const w = matchWord(s, k, end, POST_WORDS, fold);
      if (w >= 0) {
        r.folded ||= fold && hasFold(s, k, w);
        k = w < end && isSep(s.charCodeAt(w)) ? w + 1 : w;
        j = k;
        while (j < end && isDigit(s.charCodeAt(j))) j++;
        r.post = j > k ? parseNum(s, k, j) : 0;
        i = j;
      }
    }
  }
  // dev-release: [._-]? dev [._-]? digits?
  if (i < end) {
    let k = isSep(s.charCodeAt(i)) ? i + 1 : i;
    const w = matchWord(s, k, end, DEV_WORDS, false);
    if (w >= 0) {
      k = w < end && isSep(s.charCodeAt(w)) ? w + 1 : w;
      j = k;
      while (j < end && isDigit(s.charCodeAt(j))) j++;
      r.dev = j > k ? parseNum(s, k, j) : 0;
      i = j;
    }
  }
  // local: + alnum+ ([._-] alnum+)*
  if (allowLocal && i + 1 < end && s.charCodeAt(i) === 0x2b && isAlnum(s.charCodeAt(i + 1))) {
    r.localStart = i + 1;
    j = i + 2;
    for (;;) {
      while (j < end && isAlnum(s.charCodeAt(j))) j++;
      if (j + 1 < end && isSep(s.charCodeAt(j)) && isAlnum(s.charCodeAt(j + 1))) j += 2;
      else break;
    }
    i = j;
  }
  r.stop = i;
  return r;
}

function hasFold(s: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (s.charCodeAt(k) > 0x7f) return true;
  return false;
}

// Normalizes a local label: lowercase, '.'-separated, numeric parts without leading zeros.
function normalizeLocal(s: string, start: number, end: number): string {
  let out = '';
  let partStart = start;
  for (let k = start; k <= end; k++) {
    if (k === end || isSep(s.charCodeAt(k))) {
      let numeric = true;
      for (let m = partStart; m < k; m++) if (!isDigit(s.charCodeAt(m))) numeric = false;
      const part = numeric ? String(parseNum(s, partStart, k)) : s.slice(partStart, k).toLowerCase();
      out = out === '' && partStart === start ? part : `${out}.${part}`;
      partStart = k + 1;
    }
  }
  return out;
}

const numStr = (n: Num): string => String(n);

function cmpNum(a: Num, b: Num): number {
  return a === b ? 0 : a < b ? -1 : 1;
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
  /** @internal */ readonly _epoch: Num;
  /** @internal */ readonly _rel: readonly Num[];
  /** @internal pre-release letter: -1 none, 0 a, 1 b, 2 rc */ readonly _preL: number;
  /** @internal */ readonly _preN: Num;
  /** @internal */ readonly _post: Num | null;
  /** @internal */ readonly _dev: Num | null;
  /** normalized local label or null */
  readonly local: string | null;
  #str: string | undefined;
  #localKey: (string | Num)[] | undefined;
  #sortKey: string | undefined;
  #release: readonly bigint[] | undefined;

  private constructor(
    epoch: Num,
    rel: readonly Num[],
    preL: number,
    preN: Num,
    post: Num | null,
    dev: Num | null,
    local: string | null,
  ) {
    this._epoch = epoch;
    this._rel = rel;
    this._preL = preL;
    this._preN = preN;
    this._post = post;
    this._dev = dev;
    this.local = local;
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
    const r = scanVersion(s, start, end, true, false);
    if (r.stop !== end || r.release.length === 0) return null;
    return new Version(
      r.epoch,
      r.release,
      r.preLetter,
      r.preN,
      r.post,
      r.dev,
      r.localStart < 0 ? null : normalizeLocal(s, r.localStart, end),
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
      preL = PRE_CODE[parts.pre[0].toLowerCase()] ?? -1;
      if (preL < 0) throw new InvalidVersion(`Invalid version parts: unknown pre-release letter '${parts.pre[0]}'`);
      preN = nonNeg('pre', parts.pre[1]);
    }
    const post = parts.post == null ? null : nonNeg('post', parts.post);
    const dev = parts.dev == null ? null : nonNeg('dev', parts.dev);
    let local: string | null = null;
    if (parts.local != null) {
      const r = scanVersion(`0+${parts.local}`, 0, parts.local.length + 2, true, false);
      if (r.localStart < 0 || r.stop !== parts.local.length + 2) {
        throw new InvalidVersion(`Invalid version parts: invalid local label '${parts.local}'`);
      }
      local = normalizeLocal(`0+${parts.local}`, 2, parts.local.length + 2);
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
    this.#release ??= Object.freeze(this._rel.map((n) => BigInt(n)));
    return this.#release;
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
    return BigInt(this._rel[0] ?? 0);
  }

  get minor(): bigint {
    return BigInt(this._rel[1] ?? 0);
  }

  get micro(): bigint {
    return BigInt(this._rel[2] ?? 0);
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
    if (this.#str !== undefined) return this.#str;
    let s = this._rel.length === 1 ? String(this._rel[0]) : this._rel.map(numStr).join('.');
    if (this._epoch !== 0) s = `${this._epoch}!${s}`;
    if (this._preL >= 0) s += PRE_LETTERS[this._preL]! + this._preN;
    if (this._post !== null) s += `.post${this._post}`;
    if (this._dev !== null) s += `.dev${this._dev}`;
    if (this.local !== null) s += `+${this.local}`;
    this.#str = s;
    return s;
  }

  toJSON(): string {
    return this.toString();
  }

  /** Local label parts for ordering: strings and numbers. @internal */
  _localKey(): (string | Num)[] {
    if (this.#localKey === undefined) {
      this.#localKey = this.local === null ? [] : this.local.split('.').map((p) => (/^[0-9]+$/.test(p) ? toNum(BigInt(p)) : p));
    }
    return this.#localKey;
  }

  /**
   * A string whose plain `<` order (UTF-16 code units, like Array.prototype.sort) is the PEP 440
   * order; equal versions have equal keys. Use it to sort many versions or as a Map key.
   */
  get sortKey(): string {
    if (this.#sortKey !== undefined) return this.#sortKey;
    let k = encNum(this._epoch);
    let n = this._rel.length;
    while (n > 0 && this._rel[n - 1] === 0) n--;
    for (let i = 0; i < n; i++) k += encNum(this._rel[i]!);
    k += '\x00';
    k += encNum(preRank(this) + 1) + encNum(this._preN);
    k += this._post === null ? encNum(0) + encNum(0) : encNum(1) + encNum(this._post);
    k += this._dev === null ? encNum(1) + encNum(0) : encNum(0) + encNum(this._dev);
    for (const part of this._localKey()) k += typeof part === 'string' ? `\x01${part}\x00` : `\x02${encNum(part)}`;
    this.#sortKey = k;
    return k;
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
  const s = String(n);
  return s.length < 0xffff ? String.fromCharCode(s.length) + s : `\uffff${encNum(s.length)}${s}`;
}

// Pre-release rank: dev-only -1 < a 0 < b 1 < rc 2 < none 3 (packaging's _cmpkey).
function preRank(v: Version): number {
  if (v._preL >= 0) return v._preL;
  return v._post === null && v._dev !== null ? -1 : 3;
}

/** Compares ignoring local labels. @internal */
export function comparePublic(a: Version, b: Version): number {
  if (a._epoch !== b._epoch) return a._epoch < b._epoch ? -1 : 1;
  const ra = a._rel;
  const rb = b._rel;
  const n = Math.max(ra.length, rb.length);
  for (let i = 0; i < n; i++) {
    const x = i < ra.length ? ra[i]! : 0;
    const y = i < rb.length ? rb[i]! : 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  if (a._preL !== b._preL || a._post !== b._post || a._dev !== b._dev || a._preN !== b._preN) {
    const pa = preRank(a);
    const pb = preRank(b);
    if (pa !== pb) return pa < pb ? -1 : 1;
    let c = cmpNum(a._preN, b._preN);
    if (c !== 0) return c;
    if (a._post !== b._post) {
      if (a._post === null) return -1;
      if (b._post === null) return 1;
      return cmpNum(a._post, b._post);
    }
    if (a._dev !== b._dev) {
      if (a._dev === null) return 1;
      if (b._dev === null) return -1;
      c = cmpNum(a._dev, b._dev);
      if (c !== 0) return c;
    }
  }
  return 0;
}

function compareVersions(a: Version, b: Version): -1 | 0 | 1 {
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
