// Differences between two pinned sets: two releases (per target) or two plain requirements files
// (the toolkit's published ones included): added, removed, upgraded, downgraded, and re-hashed
// (same version, other bytes: the case a reviewer must look at twice).
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { PyvetError } from '../errors.js';
import type { Repository } from '../repository/types.js';
import { Version } from '../standards/version.js';
import { parseRequirementsFile } from '../standards/requirements-file.js';

export interface PinnedEntry {
  project: string;
  version: string;
  hashes: string[];
}

export interface PinSet {
  /** What the set is: 'release 2026.11.29 / cp311-zos', a file name. */
  label: string;
  pins: Map<string, PinnedEntry>;
}

export interface VersionChange {
  project: string;
  from: string;
  to: string;
}

export interface DiffResult {
  from: string;
  to: string;
  added: { project: string; version: string }[];
  removed: { project: string; version: string }[];
  upgraded: VersionChange[];
  downgraded: VersionChange[];
  rehashed: { project: string; version: string; removedHashes: string[]; addedHashes: string[] }[];
  unchanged: number;
  /** Set when the target exists on one side only: every pin of it is then added or removed. */
  target?: { name: string; change: 'added' | 'removed' };
}

/** The `name==version --hash=…` pins of a requirements file; anything not pinned with == is refused. */
export function pinSetFromRequirements(text: string, label: string): PinSet {
  const file = parseRequirementsFile(text, { filename: label });
  const pins = new Map<string, PinnedEntry>();
  for (const e of file.requirements) {
    const spec = e.requirement ? String(e.requirement.specifier) : '';
    const m = /^===?([^,*]+)$/.exec(spec);
    if (!e.requirement || !e.name || !m) {
      throw new PyvetError('REQUIREMENT_NOT_PINNED', 'invalid', `${label}, line ${e.line}: '${e.text}' is not pinned with ==`, {
        file: label,
        line: e.line,
      });
    }
    const previous = pins.get(e.name);
    // The same project twice: pip would refuse to install it; keep every hash so nothing hides.
    const hashes = [...new Set([...(previous?.hashes ?? []), ...e.hashes])].sort();
    pins.set(e.name, { project: e.name, version: m[1]!, hashes });
  }
  return { label, pins };
}

function compareVersions(a: string, b: string): number {
  const va = Version.tryParse(a);
  const vb = Version.tryParse(b);
  if (va && vb) return Version.compare(va, vb);
  return a < b ? -1 : a > b ? 1 : 0;
}

export function diffPinSets(a: PinSet, b: PinSet): DiffResult {
  const out: DiffResult = {
    from: a.label,
    to: b.label,
    added: [],
    removed: [],
    upgraded: [],
    downgraded: [],
    rehashed: [],
    unchanged: 0,
  };
  const names = [...new Set([...a.pins.keys(), ...b.pins.keys()])].sort();
  for (const name of names) {
    const x = a.pins.get(name);
    const y = b.pins.get(name);
    if (!x) out.added.push({ project: name, version: y!.version });
    else if (!y) out.removed.push({ project: name, version: x.version });
    else {
      const c = compareVersions(x.version, y.version);
      if (c < 0) out.upgraded.push({ project: name, from: x.version, to: y.version });
      else if (c > 0) out.downgraded.push({ project: name, from: x.version, to: y.version });
      else {
        const removedHashes = x.hashes.filter((h) => !y.hashes.includes(h));
        const addedHashes = y.hashes.filter((h) => !x.hashes.includes(h));
        // A side without hashes (a plain requirements file) says nothing about bytes.
        const bothHashed = x.hashes.length > 0 && y.hashes.length > 0;
        if (bothHashed && (removedHashes.length > 0 || addedHashes.length > 0)) {
          out.rehashed.push({ project: name, version: y.version, removedHashes, addedHashes });
        } else out.unchanged++;
      }
    }
  }
  return out;
}

/** Pin sets of an operand: a requirements file on disk (one set) or a release (one set per target). */
async function operandSets(repo: Repository | null, operand: string): Promise<Map<string | null, PinSet>> {
  if (existsSync(operand)) {
    return new Map([[null, pinSetFromRequirements(readFileSync(operand, 'utf8'), basename(operand))]]);
  }
  const release = repo ? await repo.catalog.releaseSets.get(operand) : undefined;
  if (!release) {
    throw new PyvetError('DIFF_OPERAND_NOT_FOUND', 'not_found', `'${operand}' is neither a requirements file nor a release`, {
      operand,
    });
  }
  const out = new Map<string | null, PinSet>();
  for (const t of release.targets) {
    const doc = await repo!.catalog.releaseSets.getDocument(release.name, `${t}.txt`);
    if (doc) out.set(t, pinSetFromRequirements(doc.content, `${release.name}/${t}`));
  }
  return out;
}

/**
 * Diffs two operands (release names or requirements files). Two releases are compared target
 * by target: their common targets, each target only one of them has (all its pins added or
 * removed), or only `target`. `target` may map one target onto another, 'A:B' (a cp311 release
 * against its cp312 successor). A file is compared with each target of a release.
 */
export async function diffReleases(repo: Repository | null, a: string, b: string, target?: string): Promise<DiffResult[]> {
  const x = await operandSets(repo, a);
  const y = await operandSets(repo, b);
  const [fromTarget, toTarget] = target?.includes(':') ? (target.split(':', 2) as [string, string]) : [target, target];
  if (target?.includes(':') && (x.has(null) || y.has(null))) {
    throw new PyvetError('DIFF_TARGET_INVALID', 'invalid', `--target ${target} maps one release's target onto another's: both operands must be releases`);
  }
  if (fromTarget !== toTarget) {
    const from = x.get(fromTarget!);
    const to = y.get(toTarget!);
    if (!from || !to) {
      const missing = !from ? `${a} has no target ${fromTarget}` : `${b} has no target ${toTarget}`;
      throw new PyvetError('DIFF_NO_COMMON_TARGET', 'invalid', missing, { target });
    }
    return [diffPinSets(from, to)];
  }
  const results: DiffResult[] = [];
  if (x.has(null) || y.has(null)) {
    // A file against each target of a release (or another file).
    for (const k of x.has(null) ? y.keys() : x.keys()) {
      if (target !== undefined && k !== null && k !== target) continue;
      results.push(diffPinSets(x.get(x.has(null) ? null : k)!, y.get(y.has(null) ? null : k)!));
    }
  } else {
    const common = [...x.keys()].filter((k) => y.has(k) && (target === undefined || k === target));
    for (const k of common) results.push(diffPinSets(x.get(k)!, y.get(k)!));
    if (common.length === 0) {
      const onlyHere = (m: Map<string | null, PinSet>) => [...m.keys()].join(', ');
      throw new PyvetError(
        'DIFF_NO_COMMON_TARGET',
        'invalid',
        `${a} and ${b} have no target in common${target ? ` named ${target}` : ''} (${a}: ${onlyHere(x)}; ${b}: ${onlyHere(y)}): compare two of them with --target FROM:TO`,
      );
    }
    if (target === undefined) {
      // A target one side lacks is a change too: all of its pins came or went.
      for (const [k, set] of x) if (!y.has(k)) results.push(targetChange(set, `${b} (no ${k})`, k!, 'removed'));
      for (const [k, set] of y) if (!x.has(k)) results.push(targetChange(set, `${a} (no ${k})`, k!, 'added'));
    }
  }
  if (results.length === 0) {
    throw new PyvetError('DIFF_NO_COMMON_TARGET', 'invalid', `${a} and ${b} have no target in common${target ? ` named ${target}` : ''}`);
  }
  return results;
}

function targetChange(set: PinSet, otherLabel: string, name: string, change: 'added' | 'removed'): DiffResult {
  const none: PinSet = { label: otherLabel, pins: new Map() };
  return { ...(change === 'removed' ? diffPinSets(set, none) : diffPinSets(none, set)), target: { name, change } };
}
