// Is a version affected? Exactly the OSV schema's evaluation (ossf.github.io/osv-schema,
// "Evaluation"): a version is affected when it is in the `versions` list (PEP 440 equality) or
// inside any ECOSYSTEM range on its own. Within a range the events are sorted by version
// ("0" before everything) and walked: `introduced` at or below the version turns it affected,
// `fixed` at or below turns it back, `last_affected` strictly below turns it back; `limit`s,
// when present, require the version to be below at least one of them.
//
// Pre-releases count like any version (unlike a SpecifierSet). A bound that does not parse as
// PEP 440 is skipped (its range evaluated without it); a `versions` entry that does not parse
// still matches by exact text.
import { canonicalizeVersion, Version } from '../standards/version.js';
import type { AffectedPackage, Advisory, RangeEvent } from './types.js';

// Ranks events that share a version, so that the result never depends on their order in
// the record: introduced, then last_affected, then fixed.
const KIND_ORDER = { introduced: 0, last_affected: 1, fixed: 2, limit: 3 } as const;
type Kind = keyof typeof KIND_ORDER;

/** A bound: its version and, inside an AdvisoryIndex, its position among the package's bounds. */
interface Bound {
  version: Version;
  /** 2 * (index in the package's sorted distinct bounds) + 1; see AdvisoryIndex. */
  rank: number;
}

interface CompiledEvent {
  kind: Exclude<Kind, 'limit'>;
  /** null only for introduced "0": before every version. */
  bound: Bound | null;
}

export interface CompiledRange {
  events: CompiledEvent[];
  limits: Bound[];
}

/** One advisory's entry for one package, ready to evaluate many versions quickly. */
export interface CompiledAffected {
  advisory: Advisory;
  ranges: CompiledRange[];
  /** The `versions` list as equality keys: PEP 440 equality is equality of the canonical form
   * without trailing zeros (1.0 == 1.0.0); entries that are not PEP 440 stay as written. */
  versions: Set<string>;
}

/** A version string parsed once, with its PEP 440 equality key (see `versions`). */
interface Parsed {
  version: Version | null;
  key: string;
}

const cache = new Map<string, Parsed>();

/** Parses with a cache: advisory data and file lists repeat the same versions over and over. */
function parseCached(s: string): Parsed {
  let p = cache.get(s);
  if (p === undefined) {
    const version = Version.tryParse(s);
    p = { version, key: version ? canonicalizeVersion(version) : s };
    if (cache.size > 200_000) cache.clear();
    cache.set(s, p);
  }
  return p;
}

/** Version.tryParse, cached. */
export function parseVersionCached(s: string): Version | null {
  return parseCached(s).version;
}

function eventOf(e: RangeEvent): { kind: Kind; raw: string } | null {
  for (const kind of ['introduced', 'fixed', 'last_affected', 'limit'] as const) {
    const raw = e[kind];
    if (typeof raw === 'string') return { kind, raw };
  }
  return null;
}

export function compileRange(events: RangeEvent[]): CompiledRange {
  const out: CompiledEvent[] = [];
  const limits: Bound[] = [];
  for (const e of events) {
    const ev = eventOf(e);
    if (!ev) continue;
    if (ev.kind === 'limit') {
      // "*" is the schema's "no limit".
      if (ev.raw === '*') continue;
      const v = parseVersionCached(ev.raw);
      if (v) limits.push({ version: v, rank: 0 });
      continue;
    }
    if (ev.kind === 'introduced' && ev.raw === '0') {
      out.push({ kind: 'introduced', bound: null });
      continue;
    }
    const v = parseVersionCached(ev.raw);
    if (v) out.push({ kind: ev.kind, bound: { version: v, rank: 0 } });
  }
  out.sort((a, b) => {
    if (a.bound === null || b.bound === null) {
      if (a.bound === b.bound) return KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
      return a.bound === null ? -1 : 1;
    }
    return Version.compare(a.bound.version, b.bound.version) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  });
  return { events: out, limits };
}

/** The OSV walk; `sign(b)` is the sign of (version − b). */
function walk(range: CompiledRange, sign: (b: Bound) => number): boolean {
  if (range.limits.length > 0 && !range.limits.some((l) => sign(l) < 0)) return false;
  let affected = false;
  for (const e of range.events) {
    if (e.kind === 'introduced') {
      if (e.bound === null || sign(e.bound) >= 0) affected = true;
    } else if (e.kind === 'fixed') {
      if (sign(e.bound!) >= 0) affected = false;
    } else if (sign(e.bound!) > 0) {
      affected = false;
    }
  }
  return affected;
}

export function rangeAffects(range: CompiledRange, v: Version): boolean {
  return walk(range, (b) => v.compare(b.version));
}

export function compileAffected(advisory: Advisory, entry: AffectedPackage): CompiledAffected {
  const versions = new Set<string>();
  for (const s of entry.versions) versions.add(parseCached(s).key);
  return { advisory, ranges: entry.ranges.map(compileRange), versions };
}

/** Does this entry cover `version` (a string as stored, e.g. a file's version)? */
export function affects(entry: CompiledAffected, version: string): boolean {
  const { version: parsed, key } = parseCached(version);
  if (entry.versions.has(key)) return true;
  return parsed !== null && entry.ranges.some((r) => rangeAffects(r, parsed));
}

/** The position of `v` among sorted distinct `bounds` (see AdvisoryIndex). */
function positionOf(bounds: Version[], v: Version): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Version.compare(bounds[mid]!, v) < 0) lo = mid + 1;
    else hi = mid;
  }
  return 2 * lo + (lo < bounds.length && Version.compare(bounds[lo]!, v) === 0 ? 1 : 0);
}

interface PackageTable {
  /** Every distinct bound of the package's ranges, sorted. */
  bounds: Version[];
  entries: CompiledAffected[];
  /** Built on first use: the advisories whose ranges cover each position (see AdvisoryIndex). */
  byPosition?: Advisory[][];
  /** Built on first use: for each equality key some `versions` list holds, the full answer
   * (those lists' advisories plus what the ranges say at that version's position). */
  byVersion?: Map<string, Advisory[]>;
}

/**
 * Advisories indexed by normalized package name; withdrawn records are left out. A package's
 * range bounds split the version line into positions: a version between bounds i-1 and i has
 * position 2i, one equal to bound i has 2i + 1, and bound i has rank 2i + 1, so position − rank
 * has the sign of (version − bound). Every version at one position gets the same answer from
 * every range, so the answers are computed once per position; matching is then one binary
 * search over the bounds and two lookups.
 */
export class AdvisoryIndex {
  private readonly byPackage = new Map<string, PackageTable>();
  readonly size: number;

  constructor(advisories: Iterable<Advisory>) {
    let n = 0;
    for (const a of advisories) {
      if (a.withdrawn) continue;
      n++;
      for (const entry of a.affected) {
        let table = this.byPackage.get(entry.package);
        if (!table) this.byPackage.set(entry.package, (table = { bounds: [], entries: [] }));
        table.entries.push(compileAffected(a, entry));
      }
    }
    this.size = n;
  }

  private prepare(table: PackageTable): { byPosition: Advisory[][]; byVersion: Map<string, Advisory[]> } {
    if (table.byPosition && table.byVersion) return { byPosition: table.byPosition, byVersion: table.byVersion };
    const all: Bound[] = [];
    for (const e of table.entries)
      for (const r of e.ranges) {
        for (const ev of r.events) if (ev.bound) all.push(ev.bound);
        all.push(...r.limits);
      }
    all.sort((x, y) => Version.compare(x.version, y.version));
    for (const b of all) {
      const last = table.bounds.at(-1);
      if (last === undefined || Version.compare(last, b.version) !== 0) table.bounds.push(b.version);
      b.rank = 2 * (table.bounds.length - 1) + 1;
    }
    const byPosition: Advisory[][] = [];
    for (let position = 0; position <= 2 * table.bounds.length; position++) {
      const sign = (b: Bound) => position - b.rank;
      const hits: Advisory[] = [];
      for (const e of table.entries) {
        if (!hits.includes(e.advisory) && e.ranges.some((r) => walk(r, sign))) hits.push(e.advisory);
      }
      byPosition.push(hits);
    }
    const listed = new Map<string, { version: Version | null; advisories: Set<Advisory> }>();
    for (const e of table.entries)
      for (const key of e.versions) {
        let l = listed.get(key);
        if (!l) listed.set(key, (l = { version: parseCached(key).version, advisories: new Set() }));
        l.advisories.add(e.advisory);
      }
    const byVersion = new Map<string, Advisory[]>();
    for (const [key, l] of listed) {
      const ranged = l.version ? byPosition[positionOf(table.bounds, l.version)]! : [];
      const merged = new Set(ranged);
      for (const a of l.advisories) merged.add(a);
      byVersion.set(key, merged.size === ranged.length ? ranged : [...merged]);
    }
    table.byPosition = byPosition;
    table.byVersion = byVersion;
    return { byPosition, byVersion };
  }

  /** Advisories affecting `project` (normalized) at `version`, each once. Shared: do not modify. */
  match(project: string, version: string): readonly Advisory[] {
    const table = this.byPackage.get(project);
    if (!table) return [];
    const { byPosition, byVersion } = this.prepare(table);
    const { version: parsed, key } = parseCached(version);
    const listed = byVersion.get(key);
    if (listed) return listed;
    return parsed === null ? [] : byPosition[positionOf(table.bounds, parsed)]!;
  }

  packages(): string[] {
    return [...this.byPackage.keys()];
  }
}

/**
 * Advisories that describe one vulnerability, grouped: OSV records that share an identifier (one
 * lists the other among its aliases, or both alias the same CVE) are one vulnerability published
 * by several databases (PYSEC, GHSA…), and a file should get one finding for it, not one per
 * database. The first of each group is its representative: the most severe (highest CVSS, then a
 * text severity), a PyPA record before others, then the smallest id. Input order is otherwise kept.
 */
export function groupByAlias(advisories: readonly Advisory[]): Advisory[][] {
  if (advisories.length < 2) return advisories.map((a) => [a]);
  const parent = advisories.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const owner = new Map<string, number>();
  advisories.forEach((a, i) => {
    for (const id of [a.id, ...a.aliases]) {
      const j = owner.get(id);
      if (j === undefined) owner.set(id, i);
      else parent[root(i)] = root(j);
    }
  });
  const groups = new Map<number, Advisory[]>();
  advisories.forEach((a, i) => {
    const r = root(i);
    const g = groups.get(r);
    if (g) g.push(a);
    else groups.set(r, [a]);
  });
  return [...groups.values()].map((g) => g.sort(moreRepresentative));
}

const LEVELS = ['low', 'medium', 'high', 'critical'];

function moreRepresentative(a: Advisory, b: Advisory): number {
  return (
    (b.score ?? -1) - (a.score ?? -1) ||
    LEVELS.indexOf(b.severityLevel ?? '') - LEVELS.indexOf(a.severityLevel ?? '') ||
    Number(b.id.startsWith('PYSEC-')) - Number(a.id.startsWith('PYSEC-')) ||
    a.id.localeCompare(b.id)
  );
}
