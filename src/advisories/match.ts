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
import { Version } from '../standards/version.js';
import type { AffectedPackage, Advisory, RangeEvent } from './types.js';

// Ranks events that share a version, so that the result never depends on their order in
// the record: introduced, then last_affected, then fixed.
const KIND_ORDER = { introduced: 0, last_affected: 1, fixed: 2, limit: 3 } as const;
type Kind = keyof typeof KIND_ORDER;

interface CompiledEvent {
  kind: Kind;
  /** null only for introduced "0": before every version. */
  version: Version | null;
}

interface CompiledRange {
  events: CompiledEvent[];
  limits: Version[];
}

/** One advisory's entry for one package, ready to evaluate many versions quickly. */
export interface CompiledAffected {
  advisory: Advisory;
  ranges: CompiledRange[];
  versions: Version[];
  /** `versions` entries that are not PEP 440: matched as text. */
  rawVersions: Set<string>;
}

const cache = new Map<string, Version | null>();

/** Version.tryParse with a cache: advisory data repeats the same bounds over and over. */
export function parseVersionCached(s: string): Version | null {
  let v = cache.get(s);
  if (v === undefined) {
    v = Version.tryParse(s);
    if (cache.size > 200_000) cache.clear();
    cache.set(s, v);
  }
  return v;
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
  const limits: Version[] = [];
  for (const e of events) {
    const ev = eventOf(e);
    if (!ev) continue;
    if (ev.kind === 'limit') {
      // "*" is the schema's "no limit".
      if (ev.raw === '*') continue;
      const v = parseVersionCached(ev.raw);
      if (v) limits.push(v);
      continue;
    }
    if (ev.kind === 'introduced' && ev.raw === '0') {
      out.push({ kind: 'introduced', version: null });
      continue;
    }
    const v = parseVersionCached(ev.raw);
    if (v) out.push({ kind: ev.kind, version: v });
  }
  out.sort((a, b) => {
    if (a.version === null || b.version === null) {
      if (a.version === b.version) return KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
      return a.version === null ? -1 : 1;
    }
    return Version.compare(a.version, b.version) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  });
  return { events: out, limits };
}

export function rangeAffects(range: CompiledRange, v: Version): boolean {
  if (range.limits.length > 0 && !range.limits.some((limit) => v.compare(limit) < 0)) return false;
  let affected = false;
  for (const e of range.events) {
    if (e.kind === 'introduced') {
      if (e.version === null || v.compare(e.version) >= 0) affected = true;
    } else if (e.kind === 'fixed') {
      if (e.version !== null && v.compare(e.version) >= 0) affected = false;
    } else if (e.version !== null && v.compare(e.version) > 0) {
      affected = false;
    }
  }
  return affected;
}

export function compileAffected(advisory: Advisory, entry: AffectedPackage): CompiledAffected {
  const versions: Version[] = [];
  const rawVersions = new Set<string>();
  for (const s of entry.versions) {
    const v = parseVersionCached(s);
    if (v) versions.push(v);
    else rawVersions.add(s);
  }
  return { advisory, ranges: entry.ranges.map(compileRange), versions, rawVersions };
}

/** Does this entry cover `version` (a string as stored, e.g. a file's version)? */
export function affects(entry: CompiledAffected, version: string, parsed = parseVersionCached(version)): boolean {
  if (entry.rawVersions.has(version)) return true;
  if (parsed === null) return false;
  for (const v of entry.versions) if (parsed.compare(v) === 0) return true;
  for (const r of entry.ranges) if (rangeAffects(r, parsed)) return true;
  return false;
}

/** Advisories indexed by normalized package name; withdrawn records are left out. */
export class AdvisoryIndex {
  private readonly byPackage = new Map<string, CompiledAffected[]>();
  readonly size: number;

  constructor(advisories: Iterable<Advisory>) {
    let n = 0;
    for (const a of advisories) {
      if (a.withdrawn) continue;
      n++;
      for (const entry of a.affected) {
        let list = this.byPackage.get(entry.package);
        if (!list) this.byPackage.set(entry.package, (list = []));
        list.push(compileAffected(a, entry));
      }
    }
    this.size = n;
  }

  /** Advisories affecting `project` (normalized) at `version`, each once. */
  match(project: string, version: string): Advisory[] {
    const entries = this.byPackage.get(project);
    if (!entries) return [];
    const parsed = parseVersionCached(version);
    const out: Advisory[] = [];
    for (const e of entries) {
      if (affects(e, version, parsed) && !out.includes(e.advisory)) out.push(e.advisory);
    }
    return out;
  }

  packages(): string[] {
    return [...this.byPackage.keys()];
  }
}
