// PEP 440 version specifiers, behaving exactly like pypa/packaging 26.x `Specifier` and
// `SpecifierSet`, including its quirks: the unnormalized `str()` of a clause, `~=` prefixes
// computed from the spelling of the version, the pre-release rules of `contains` and `filter`,
// and `isUnsatisfiable` by intersecting version ranges.
import { PyvetError } from '../errors.js';
import { isPyWhitespace, pyStrip } from './text.js';
import { canonicalizeVersion, comparePublic, compareVersions, incNum, type Num, scanVersion, Version } from './version.js';

export class InvalidSpecifier extends PyvetError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_SPECIFIER', 'invalid', message, details);
    this.name = 'InvalidSpecifier';
  }
}

export type SpecifierOperator = '~=' | '==' | '!=' | '<=' | '>=' | '<' | '>' | '===';

export interface ContainsOptions {
  /** true/false force accepting/refusing pre-releases; null/undefined applies the default rules */
  prereleases?: boolean | null;
  /** SpecifierSet only: an installed pre-release is accepted even when pre-releases are not */
  installed?: boolean | null;
}

export interface FilterOptions {
  prereleases?: boolean | null;
}

enum Op {
  Compatible,
  Equal,
  NotEqual,
  LessEqual,
  GreaterEqual,
  Less,
  Greater,
  Arbitrary,
}

const OPS: Record<string, Op> = {
  '~=': Op.Compatible,
  '==': Op.Equal,
  '!=': Op.NotEqual,
  '<=': Op.LessEqual,
  '>=': Op.GreaterEqual,
  '<': Op.Less,
  '>': Op.Greater,
  '===': Op.Arbitrary,
};

/** Python's str ordering: by code point (JS `<` compares UTF-16 units, which differs above U+FFFF). */
function comparePyStr(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

// ---- prefix matching (`==X.*`, `!=X.*`, and the prefix half of `~=`) -------------------------

// packaging's _version_split: epoch (or "0"), then the dot-separated items, with "1a1"-like
// items split in two.
const PREFIX_ITEM = /^([0-9]+)((?:a|b|c|rc)[0-9]+)$/;
function versionSplit(v: string): string[] {
  const bang = v.lastIndexOf('!');
  const out = [bang < 0 ? '0' : v.slice(0, bang) || '0'];
  for (const item of v.slice(bang + 1).split('.')) {
    const m = PREFIX_ITEM.exec(item);
    if (m) out.push(m[1]!, m[2]!);
    else out.push(item);
  }
  return out;
}
const isDigits = (s: string): boolean => /^[0-9]+$/.test(s);
const numericPrefixLen = (split: readonly string[]): number => {
  let n = 0;
  while (n < split.length && isDigits(split[n]!)) n++;
  return n;
};

/** A prefix pattern: numeric (epoch + release prefix) in all ordinary cases, else packaging's string form. */
interface Prefix {
  epoch: Num;
  rel: readonly Num[] | null; // null: compare `split` as strings
  split: readonly string[];
  numericLen: number;
}

function makePrefix(text: string): Prefix {
  const v = Version.tryParse(text);
  if (v !== null && v._preL < 0 && v._post === null && v._dev === null && v.local === null) {
    return { epoch: v._epoch, rel: v._rel, split: [], numericLen: 0 };
  }
  const split = versionSplit(canonicalizeVersion(text, { stripTrailingZero: false }));
  return { epoch: 0, rel: null, split, numericLen: numericPrefixLen(split) };
}

function matchesPrefix(p: Version, prefix: Prefix): boolean {
  const rel = prefix.rel;
  if (rel !== null) {
    if (p._epoch !== prefix.epoch) return false;
    for (let i = 0; i < rel.length; i++) if (p._relAt(i) !== rel[i]) return false;
    return true;
  }
  // The string comparison of packaging, on the normalized public version split the same way.
  const split = [String(p._epoch), ...p._rel.map(String)];
  const pre = p.pre;
  if (pre) split.push(pre[0] + pre[1]);
  if (p._post !== null) split.push(`post${p._post}`);
  if (p._dev !== null) split.push(`dev${p._dev}`);
  const numeric = 1 + p._n;
  if (numeric < prefix.numericLen) split.splice(numeric, 0, ...Array(prefix.numericLen - numeric).fill('0'));
  if (split.length < prefix.split.length) return false;
  for (let i = 0; i < prefix.split.length; i++) if (split[i] !== prefix.split[i]) return false;
  return true;
}

// ~=V: everything but the last release item of V's *spelling*, suffixes ignored (packaging's
// takewhile over _version_split, whose suffix test misses e.g. "c1" and "pre1").
const SUFFIX_STARTS = ['dev', 'a', 'b', 'rc', 'post'];
function compatiblePrefix(version: string): string {
  const split = versionSplit(version);
  let n = 0;
  while (n < split.length && !SUFFIX_STARTS.some((p) => split[n]!.startsWith(p))) n++;
  const kept = split.slice(0, Math.max(0, n - 1));
  return `${kept[0] ?? ''}!${kept.slice(1).join('.')}`;
}

// ---- version ranges, for isUnsatisfiable -----------------------------------------------------

const AFTER_LOCALS = 1; // after V and every V+local, before V.post0
const AFTER_POSTS = 2; // after every V.postN, before the next release

class Boundary {
  constructor(
    readonly version: Version,
    readonly kind: number,
  ) {}

  /** Is `other` a version this boundary sorts above although it is not below `version`? */
  isFamily(o: Version): boolean {
    const v = this.version;
    if (!(o._epoch === v._epoch && comparePublicRelease(o, v) && o._preL === v._preL && o._preN === v._preN)) {
      return false;
    }
    if (this.kind === AFTER_LOCALS) return o._post === v._post && o._dev === v._dev;
    return o._dev === v._dev || o._post !== null;
  }
}

function comparePublicRelease(a: Version, b: Version): boolean {
  const n = Math.max(a._n, b._n);
  for (let i = 0; i < n; i++) if (a._relAt(i) !== b._relAt(i)) return false;
  return true;
}

type Point = Version | Boundary;

function eqPoint(a: Point | null, b: Point | null): boolean {
  if (a === null || b === null) return a === b;
  if (a instanceof Version) return b instanceof Version && compareVersions(a, b) === 0;
  return b instanceof Boundary && compareVersions(a.version, b.version) === 0 && a.kind === b.kind;
}

function ltPoint(a: Point, b: Point): boolean {
  if (a instanceof Version) {
    if (b instanceof Version) return compareVersions(a, b) < 0;
    return !ltPoint(b, a);
  }
  if (b instanceof Boundary) {
    const c = compareVersions(a.version, b.version);
    return c !== 0 ? c < 0 : a.kind < b.kind;
  }
  return !a.isFamily(b) && compareVersions(a.version, b) < 0;
}

interface Bound {
  version: Point | null; // null: unbounded
  inclusive: boolean;
}
type Range = readonly [Bound, Bound];

const NEG_INF: Bound = { version: null, inclusive: false };
const POS_INF: Bound = { version: null, inclusive: false };
const FULL_RANGE: readonly Range[] = [[NEG_INF, POS_INF]];

const eqBound = (a: Bound, b: Bound): boolean => eqPoint(a.version, b.version) && a.inclusive === b.inclusive;

function ltLower(a: Bound, b: Bound): boolean {
  if (a.version === null) return b.version !== null;
  if (b.version === null) return false;
  if (!eqPoint(a.version, b.version)) return ltPoint(a.version, b.version);
  return a.inclusive && !b.inclusive;
}

function ltUpper(a: Bound, b: Bound): boolean {
  if (a.version === null) return false;
  if (b.version === null) return true;
  if (!eqPoint(a.version, b.version)) return ltPoint(a.version, b.version);
  return !a.inclusive && b.inclusive;
}

function rangeIsEmpty(lower: Bound, upper: Bound): boolean {
  if (lower.version === null || upper.version === null) return false;
  if (eqPoint(lower.version, upper.version)) return !(lower.inclusive && upper.inclusive);
  return ltPoint(upper.version, lower.version);
}

function intersectRanges(left: readonly Range[], right: readonly Range[]): Range[] {
  const out: Range[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    const [ll, lu] = left[i]!;
    const [rl, ru] = right[j]!;
    // max/min as Python computes them with total_ordering: ties keep the left operand
    const lower = !ltLower(rl, ll) && !eqBound(rl, ll) ? rl : ll;
    const upper = ltUpper(ru, lu) ? ru : lu;
    if (!rangeIsEmpty(lower, upper)) out.push([lower, upper]);
    if (ltUpper(lu, ru)) i++;
    else j++;
  }
  return out;
}

const MIN_VERSION = Version.parse('0.dev0');

function dev0(v: Version, rel: readonly Num[]): Version {
  return Version.fromParts({ epoch: v._epoch, release: rel, dev: 0 });
}
function nextPrefixDev0(v: Version, rel: readonly Num[]): Version {
  const next = rel.slice();
  next[next.length - 1] = incNum(next[next.length - 1]!);
  return dev0(v, next);
}

function nearestNonPrerelease(p: Point | null): Version | null {
  if (p === null) return null;
  if (p instanceof Boundary) {
    const inner = p.version;
    if (inner.isPrerelease) return inner._with({ pre: null, dev: null, local: null });
    return inner._with({ post: inner._post === null ? 0 : incNum(inner._post), local: null });
  }
  return p.isPrerelease ? p._with({ pre: null, dev: null, local: null }) : p;
}

// ---- Specifier --------------------------------------------------------------------------------

/** One clause such as `>=1.0` or `==2.*`. Immutable. */
export class Specifier {
  readonly operator: SpecifierOperator;
  /** the version as written (stripped, not normalized), e.g. `1.0.*` or `v1.0` */
  readonly version: string;
  readonly #explicitPre: boolean | null;
  readonly #op: Op;
  /** null for `===` text that is no version (and the rare `~=` accepted only by Unicode folding) */
  readonly #spec: Version | null;
  readonly #prefix: Prefix | null;
  readonly #earliestPre: Version | null;
  #ranges: readonly Range[] | undefined;
  #canonical: string | undefined;

  private constructor(operator: SpecifierOperator, version: string, prereleases: boolean | null) {
    this.operator = operator;
    this.version = version;
    this.#explicitPre = prereleases;
    this.#op = OPS[operator]!;
    const wildcard = (this.#op === Op.Equal || this.#op === Op.NotEqual) && version.endsWith('.*');
    this.#spec = Version.tryParse(wildcard ? version.slice(0, -2) : version);
    this.#prefix = null;
    if (wildcard) this.#prefix = makePrefix(version.slice(0, -2));
    else if (this.#op === Op.Compatible) this.#prefix = makePrefix(compatiblePrefix(version));
    this.#earliestPre =
      this.#op === Op.Less && this.#spec !== null && !this.#spec.isPrerelease ? this.#spec._with({ dev: 0, local: null }) : null;
  }

  /** Parses one clause; throws InvalidSpecifier saying what is wrong. */
  static parse(spec: string, opts: { prereleases?: boolean | null } = {}): Specifier {
    const t = pyStrip(spec);
    let opLen = 0;
    if (t.startsWith('===')) opLen = 3;
    else if (/^(?:~=|==|!=|<=|>=)/.test(t)) opLen = 2;
    else if (t.startsWith('<') || t.startsWith('>')) opLen = 1;
    if (opLen === 0) {
      throw invalidSpecifier(spec, 'expected an operator (~=, ==, !=, <=, >=, <, >, ===) first');
    }
    const operator = t.slice(0, opLen) as SpecifierOperator;
    let k = opLen;
    while (k < t.length && isPyWhitespace(t.charCodeAt(k))) k++;
    const version = t.slice(k);
    const problem = checkVersionText(operator, version);
    if (problem !== null) throw invalidSpecifier(spec, problem);
    return new Specifier(operator, version, opts.prereleases ?? null);
  }

  /** The same clause with an explicit pre-release override (null: auto-detect). */
  withPrereleases(prereleases: boolean | null): Specifier {
    return new Specifier(this.operator, this.version, prereleases);
  }

  /** The explicit override, else whether the clause names a pre-release (packaging's property). */
  get prereleases(): boolean | null {
    if (this.#explicitPre !== null) return this.#explicitPre;
    if (this.#op === Op.NotEqual) return false;
    if (this.#op === Op.Equal && this.version.endsWith('.*')) return false;
    return this.#spec === null ? null : this.#spec.isPrerelease;
  }

  /** The explicit override (null when auto-detected). */
  get explicitPrereleases(): boolean | null {
    return this.#explicitPre;
  }

  toString(): string {
    return this.operator + this.version;
  }

  toJSON(): string {
    return this.toString();
  }

  /** The form equality uses: normalized version, trailing zeros dropped except for `~=`. @internal */
  get _canonical(): string {
    if (this.#canonical === undefined) {
      const verbatim = this.#op === Op.Arbitrary || this.version.endsWith('.*') || this.#spec === null;
      const v = verbatim ? this.version : canonicalizeVersion(this.#spec!, { stripTrailingZero: this.#op !== Op.Compatible });
      this.#canonical = `${this.operator}\u0000${v}`;
    }
    return this.#canonical;
  }

  /** packaging's `==`: same operator and equivalent version; the pre-release override is ignored. */
  equals(other: Specifier | string): boolean {
    let o: Specifier;
    if (typeof other === 'string') {
      try {
        o = Specifier.parse(other);
      } catch {
        return false;
      }
    } else {
      o = other;
    }
    return this._canonical === o._canonical;
  }

  /** Does the version satisfy the operator (no pre-release policy)? @internal */
  _matches(p: Version, item: Version | string): boolean {
    const op = this.#op;
    if (op === Op.Arbitrary) return arbitraryEquals(item, this.version);
    const spec = this.#spec;
    if (spec === null) throw invalidSpecifier(this.toString(), 'its version cannot be compared');
    switch (op) {
      case Op.Equal:
      case Op.NotEqual: {
        let eq: boolean;
        if (this.#prefix !== null) eq = matchesPrefix(p, this.#prefix);
        else eq = spec.local === null ? comparePublic(p, spec) === 0 : compareVersions(p, spec) === 0;
        return eq === (op === Op.Equal);
      }
      case Op.GreaterEqual:
        return comparePublic(p, spec) >= 0;
      case Op.LessEqual:
        return comparePublic(p, spec) <= 0;
      case Op.Compatible:
        return comparePublic(p, spec) >= 0 && matchesPrefix(p, this.#prefix!);
      case Op.Less:
        // <V excludes pre-releases of V unless V is one
        if (comparePublic(p, spec) >= 0) return false;
        return !(this.#earliestPre !== null && p.isPrerelease && compareVersions(p, this.#earliestPre) >= 0);
      default: {
        // >V excludes V's post-releases (unless V is one) and V's local versions
        if (comparePublic(p, spec) <= 0) return false;
        if (spec._post === null && p._post !== null) {
          if (compareVersions(p._with({ post: null, dev: null, local: null }), spec) === 0) return false;
        }
        return true;
      }
    }
  }

  /** packaging's `Specifier.contains`: an unset `prereleases` follows the clause's own rules. */
  contains(version: Version | string, opts: ContainsOptions = {}): boolean {
    const parsed = typeof version === 'string' ? Version.tryParse(version) : version;
    if (parsed === null) return this.#op === Op.Arbitrary && arbitraryEquals(version, this.version);
    if (!this._matches(parsed, version)) return false;
    if (!parsed.isPrerelease) return true;
    const pre = opts.prereleases;
    if (pre != null) return pre;
    // packaging: allowed by the clause, or held back and then released because it is alone
    return this.#explicitPre !== false;
  }

  /**
   * packaging's `Specifier.filter`: yields the matching items (as given) in order; with
   * `prereleases` unset, pre-releases come out only if no final release matched.
   */
  *filter<T extends Version | string>(versions: Iterable<T>, opts: FilterOptions = {}): Generator<T> {
    const pre = opts.prereleases ?? null;
    const include = pre ?? this.prereleases;
    const held: T[] = [];
    let foundFinal = false;
    const mayHold = pre === null && this.#explicitPre !== false;
    for (const item of versions) {
      const parsed = typeof item === 'string' ? Version.tryParse(item) : (item as Version);
      if (parsed === null) {
        if (this.#op === Op.Arbitrary && arbitraryEquals(item, this.version)) yield item;
        continue;
      }
      if (!this._matches(parsed, item)) continue;
      if (!parsed.isPrerelease || include) {
        foundFinal = true;
        yield item;
      } else if (mayHold) {
        held.push(item);
      }
    }
    if (!foundFinal && mayHold) yield* held;
  }

  /** Sorted, disjoint ranges of versions this clause admits (=== admits everything). @internal */
  _ranges(): readonly Range[] {
    if (this.#ranges === undefined) this.#ranges = this.#computeRanges();
    return this.#ranges;
  }

  #computeRanges(): readonly Range[] {
    const op = this.#op;
    if (op === Op.Arbitrary) return FULL_RANGE;
    const v = this.#spec;
    if (v === null) throw invalidSpecifier(this.toString(), 'its version cannot be compared');
    if (this.version.endsWith('.*')) {
      const lower = dev0(v, v._rel);
      const upper = nextPrefixDev0(v, v._rel);
      if (op === Op.Equal) return [[{ version: lower, inclusive: true }, { version: upper, inclusive: false }]];
      return [
        [NEG_INF, { version: lower, inclusive: false }],
        [{ version: upper, inclusive: true }, POS_INF],
      ];
    }
    switch (op) {
      case Op.GreaterEqual:
        return [[{ version: v, inclusive: true }, POS_INF]];
      case Op.LessEqual:
        return [[NEG_INF, { version: new Boundary(v, AFTER_LOCALS), inclusive: true }]];
      case Op.Greater: {
        if (v._dev !== null) return [[{ version: v._with({ dev: incNum(v._dev), local: null }), inclusive: true }, POS_INF]];
        if (v._post !== null) {
          return [[{ version: v._with({ post: incNum(v._post), dev: 0, local: null }), inclusive: true }, POS_INF]];
        }
        return [[{ version: new Boundary(v, AFTER_POSTS), inclusive: false }, POS_INF]];
      }
      case Op.Less: {
        const bound = v.isPrerelease ? v : v._with({ dev: 0, local: null });
        if (compareVersions(bound, MIN_VERSION) <= 0) return [];
        return [[NEG_INF, { version: bound, inclusive: false }]];
      }
      case Op.Compatible:
        return [[{ version: v, inclusive: true }, { version: nextPrefixDev0(v, v._rel.slice(0, -1)), inclusive: false }]];
      default: {
        const upper: Point = this.version.includes('+') ? v : new Boundary(v, AFTER_LOCALS);
        if (op === Op.Equal) return [[{ version: v, inclusive: true }, { version: upper, inclusive: true }]];
        return [
          [NEG_INF, { version: v, inclusive: false }],
          [{ version: upper, inclusive: false }, POS_INF],
        ];
      }
    }
  }
}

function arbitraryEquals(item: Version | string, spec: string): boolean {
  return String(item).toLowerCase() === spec.toLowerCase();
}

function invalidSpecifier(spec: string, why: string): InvalidSpecifier {
  return new InvalidSpecifier(`Invalid specifier: ${JSON.stringify(spec)}: ${why}`, { input: spec });
}

// The version half of packaging's specifier grammar for each operator; returns why it fails.
function checkVersionText(op: SpecifierOperator, v: string): string | null {
  if (op === '===') {
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c === 0x3b || c === 0x29 || isPyWhitespace(c)) return `'===' takes one word without ';', ')' or spaces`;
    }
    return null;
  }
  const isEq = op === '==' || op === '!=';
  if (isEq && v.endsWith('.*')) {
    const r = scanVersion(v, 0, v.length - 2, false, false);
    const plain = r.preLetter < 0 && r.post === null && r.dev === null;
    return r.release.length > 0 && r.stop === v.length - 2 && plain
      ? null
      : `a '.*' wildcard follows a plain release such as 1.2`;
  }
  const compatible = op === '~=';
  const r = scanVersion(v, 0, v.length, isEq, compatible);
  if (r.release.length === 0) return `expected a version after '${op}'`;
  if (r.stop !== v.length) {
    if (v.charCodeAt(r.stop) === 0x2b && !isEq) return `'${op}' does not allow a local version label`;
    if (v.endsWith('.*')) return `'${op}' does not allow a '.*' wildcard`;
    return `unexpected ${JSON.stringify(v.slice(r.stop, r.stop + 1))} in version ${JSON.stringify(v)}`;
  }
  if (compatible && r.release.length < 2) return `'~=' needs at least two release numbers, as in ~=1.2`;
  return null;
}

// ---- SpecifierSet -----------------------------------------------------------------------------

/** A comma-separated conjunction of clauses (possibly none). Immutable. */
export class SpecifierSet {
  readonly #specs: readonly Specifier[];
  readonly #explicitPre: boolean | null;
  #canonical: readonly Specifier[] | undefined;
  #unsatisfiable: boolean | undefined;

  private constructor(specs: readonly Specifier[], prereleases: boolean | null) {
    this.#specs = specs;
    this.#explicitPre = prereleases;
  }

  /** Parses `>=1.0,!=1.3` (or ''); throws InvalidSpecifier naming the bad clause. */
  static parse(specifiers: string, opts: { prereleases?: boolean | null } = {}): SpecifierSet {
    const specs: Specifier[] = [];
    for (const part of specifiers.split(',')) {
      const item = pyStrip(part);
      if (item !== '') specs.push(Specifier.parse(item));
    }
    return new SpecifierSet(specs, opts.prereleases ?? null);
  }

  /** A set of already parsed clauses, used as they are. */
  static of(specs: Iterable<Specifier>, opts: { prereleases?: boolean | null } = {}): SpecifierSet {
    return new SpecifierSet([...specs], opts.prereleases ?? null);
  }

  /** The clauses as parsed, in input order, duplicates kept. */
  get items(): readonly Specifier[] {
    return this.#specs;
  }

  /** Number of clauses as parsed (packaging's len() before any str()/==). */
  get length(): number {
    return this.#specs.length;
  }

  [Symbol.iterator](): Iterator<Specifier> {
    return this.#specs[Symbol.iterator]();
  }

  /** The clauses sorted by text, equivalent ones dropped (packaging's canonical order). */
  get canonicalItems(): readonly Specifier[] {
    if (this.#canonical === undefined) {
      const sorted = [...this.#specs].sort((a, b) => comparePyStr(a.toString(), b.toString()));
      const seen = new Set<string>();
      const unique: Specifier[] = [];
      for (const s of sorted) {
        if (seen.has(s._canonical)) continue;
        seen.add(s._canonical);
        unique.push(s);
      }
      this.#canonical = unique;
    }
    return this.#canonical;
  }

  toString(): string {
    return this.canonicalItems.join(',');
  }

  toJSON(): string {
    return this.toString();
  }

  /** The explicit override; else true when a clause names a pre-release, else null. */
  get prereleases(): boolean | null {
    if (this.#explicitPre !== null) return this.#explicitPre;
    if (this.#specs.length === 0) return null;
    return this.#specs.some((s) => s.prereleases) ? true : null;
  }

  withPrereleases(prereleases: boolean | null): SpecifierSet {
    return new SpecifierSet(this.#specs, prereleases);
  }

  /** packaging's `==`: the same canonical clauses; pre-release overrides are ignored. */
  equals(other: SpecifierSet | Specifier | string): boolean {
    const o = other instanceof SpecifierSet ? other : SpecifierSet.parse(other.toString());
    const a = this.canonicalItems;
    const b = o.canonicalItems;
    return a.length === b.length && a.every((s, i) => s._canonical === b[i]!._canonical);
  }

  /** packaging's `&`: all clauses of both; conflicting true/false overrides are an error. */
  and(other: SpecifierSet | string): SpecifierSet {
    const o = typeof other === 'string' ? SpecifierSet.parse(other) : other;
    let pre: boolean | null;
    if (this.#explicitPre === null || this.#explicitPre === o.#explicitPre) pre = o.#explicitPre;
    else if (o.#explicitPre === null) pre = this.#explicitPre;
    else {
      throw new InvalidSpecifier('Cannot combine specifier sets with True and False pre-release overrides', {
        left: this.toString(),
        right: o.toString(),
      });
    }
    return new SpecifierSet([...this.#specs, ...o.#specs], pre);
  }

  /** The explicit override of this set (null when auto-detected). */
  get explicitPrereleases(): boolean | null {
    return this.#explicitPre;
  }

  #matchesAll(parsed: Version, item: Version | string): boolean {
    for (const s of this.#specs) if (!s._matches(parsed, item)) return false;
    return true;
  }

  #unparsedMatches(item: Version | string): boolean {
    for (const s of this.#specs) if (!(s.operator === '===' && arbitraryEquals(item, s.version))) return false;
    return true;
  }

  /** packaging's `SpecifierSet.contains`. */
  contains(version: Version | string, opts: ContainsOptions = {}): boolean {
    const parsed = typeof version === 'string' ? Version.tryParse(version) : version;
    let pre = opts.prereleases ?? null;
    if (parsed !== null && opts.installed && parsed.isPrerelease) pre = true;
    if (pre === null) pre = this.#explicitPre;
    if (parsed === null) return this.#specs.length === 0 || this.#unparsedMatches(version);
    if (pre === false && parsed.isPrerelease) return false;
    return this.#matchesAll(parsed, version);
  }

  /**
   * packaging's `SpecifierSet.filter`: the matching items (as given) in order; with
   * `prereleases` unset, pre-releases only when no final release matched.
   */
  *filter<T extends Version | string>(versions: Iterable<T>, opts: FilterOptions = {}): Generator<T> {
    const pre = opts.prereleases ?? this.prereleases;
    const hasSpecs = this.#specs.length > 0;
    const matched = (function* (self: SpecifierSet): Generator<[T, Version | null]> {
      for (const item of versions) {
        const parsed = typeof item === 'string' ? Version.tryParse(item) : (item as Version);
        if (parsed === null) {
          if (!hasSpecs || self.#unparsedMatches(item)) yield [item, null];
        } else if (pre === false && parsed.isPrerelease) {
          // refused
        } else if (!hasSpecs || self.#matchesAll(parsed, item)) {
          yield [item, parsed];
        }
      }
    })(this);
    if (pre !== null) {
      for (const [item] of matched) yield item;
      return;
    }
    // PEP 440: pre-releases only if no final release; text that is no version counts as neither
    // and comes out with the finals (or with everything when there are none).
    const held: T[] = [];
    const unparsed: T[] = [];
    let foundFinal = false;
    for (const [item, parsed] of matched) {
      if (parsed === null) {
        if (foundFinal) yield item;
        else {
          unparsed.push(item);
          held.push(item);
        }
      } else if (!parsed.isPrerelease) {
        if (!foundFinal) {
          yield* unparsed;
          foundFinal = true;
        }
        yield item;
      } else if (!foundFinal) {
        held.push(item);
      }
    }
    if (!foundFinal) yield* held;
  }

  /** True when no version can satisfy every clause (packaging 26 `is_unsatisfiable`). */
  isUnsatisfiable(): boolean {
    this.#unsatisfiable ??= this.#computeUnsatisfiable();
    return this.#unsatisfiable;
  }

  #ranges(): readonly Range[] {
    let result: readonly Range[] | null = null;
    for (const s of this.#specs) {
      result = result === null ? s._ranges() : intersectRanges(result, s._ranges());
      if (result.length === 0) break;
    }
    return result ?? FULL_RANGE;
  }

  #computeUnsatisfiable(): boolean {
    if (this.#specs.length === 0) return false;
    const ranges = this.#ranges();
    if (ranges.length === 0) return true;
    if (this.#arbitraryUnsatisfiable()) return true;
    if (this.prereleases === false) {
      // only pre-releases remain, and they are refused
      for (const [lower, upper] of ranges) {
        const nearest = nearestNonPrerelease(lower.version);
        if (nearest === null || upper.version === null || ltPoint(nearest, upper.version)) return false;
        if (eqPoint(nearest, upper.version) && upper.inclusive) return false;
      }
      return true;
    }
    return false;
  }

  #arbitraryUnsatisfiable(): boolean {
    const arbitrary = this.#specs.filter((s) => s.operator === '===');
    if (arbitrary.length === 0) return false;
    const first = arbitrary[0]!.version.toLowerCase();
    if (arbitrary.some((s) => s.version.toLowerCase() !== first)) return true;
    const candidate = Version.tryParse(arbitrary[0]!.version);
    if (this.prereleases === false && candidate !== null && candidate.isPrerelease) return true;
    const standard = this.#specs.filter((s) => s.operator !== '===');
    if (standard.length === 0) return false;
    if (candidate === null) return true;
    return !standard.every((s) => s.contains(candidate));
  }
}
