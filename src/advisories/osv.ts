// From an OSV JSON record (https://ossf.github.io/osv-schema/) to an Advisory. Records come
// from outside: anything malformed is a reason to skip the record, never a crash.
import { canonicalizeName } from '../standards/names.js';
import { scoreSeverity } from './cvss.js';
import type { AffectedPackage, Advisory, RangeEvent } from './types.js';

const MAX_DETAILS = 4000;
const EVENT_KEYS = ['introduced', 'fixed', 'last_affected', 'limit'] as const;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function optString(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** Converts one OSV record; returns a reason string when it is unusable for PyPI. */
export function advisoryFromOsv(record: unknown): Advisory | string {
  if (!isObject(record)) return 'not a JSON object';
  const id = record.id;
  const modified = record.modified;
  if (typeof id !== 'string' || id === '') return 'no id';
  if (typeof modified !== 'string' || modified === '') return `${id}: no modified time`;
  const affected: AffectedPackage[] = [];
  const fixed = new Set<string>();
  for (const entry of Array.isArray(record.affected) ? record.affected : []) {
    if (!isObject(entry) || !isObject(entry.package)) continue;
    const { ecosystem, name } = entry.package;
    // "PyPI" exactly; OSV ecosystems may carry a ":suffix" for variants, none of which is PyPI.
    if (ecosystem !== 'PyPI' || typeof name !== 'string' || name.trim() === '') continue;
    const ranges: RangeEvent[][] = [];
    for (const range of Array.isArray(entry.ranges) ? entry.ranges : []) {
      if (!isObject(range) || range.type !== 'ECOSYSTEM' || !Array.isArray(range.events)) continue;
      const events: RangeEvent[] = [];
      for (const ev of range.events) {
        if (!isObject(ev)) continue;
        for (const key of EVENT_KEYS) {
          const v = ev[key];
          if (typeof v === 'string' && v !== '') {
            events.push({ [key]: v });
            if (key === 'fixed') fixed.add(v);
          }
        }
      }
      if (events.length > 0) ranges.push(events);
    }
    const versions = strings(entry.versions);
    if (ranges.length === 0 && versions.length === 0) continue;
    affected.push({ package: canonicalizeName(name.trim()), ranges, versions });
  }
  if (affected.length === 0) return `${id}: no PyPI package with ECOSYSTEM ranges or versions`;
  const severity: { type: string; score: string }[] = [];
  for (const s of Array.isArray(record.severity) ? record.severity : []) {
    if (isObject(s) && typeof s.type === 'string' && typeof s.score === 'string') {
      severity.push({ type: s.type, score: s.score });
    }
  }
  const dbSpecific = isObject(record.database_specific) ? record.database_specific : {};
  const scored = scoreSeverity(severity, optString(dbSpecific.severity));
  const details = optString(record.details);
  return {
    id,
    modified,
    published: optString(record.published),
    withdrawn: optString(record.withdrawn),
    aliases: strings(record.aliases),
    summary: optString(record.summary),
    details: details && details.length > MAX_DETAILS ? `${details.slice(0, MAX_DETAILS)}…` : details,
    severity,
    score: scored.score,
    severityLevel: scored.severity,
    affected,
    fixed: [...fixed],
  };
}
