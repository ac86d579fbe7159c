// The installable set of a target: per project, per version, the one file pip would pick there
// (best wheel by tag rank; an sdist only when allowed and no wheel fits), newest version first.
// Closure, the resolver and releases all reason over this same view.
import type { FileRecord } from '../catalog/types.js';
import { type BuildTag, parseWheelFilename } from '../standards/filenames.js';
import { Version } from '../standards/version.js';
import { requiresPythonAdmits } from './requirements.js';
import { fileTagRank, type Target } from './targets.js';

export interface Candidate {
  project: string;
  version: Version;
  /** Normalized version string. */
  versionText: string;
  /** The file that would be installed for this version on the target. */
  file: FileRecord;
}

export interface RequiresPythonViolation {
  project: string;
  version: string;
  filename: string;
  requiresPython: string;
}

/** Why a usable file is not a candidate on the target. */
export type DropReason = 'tag' | 'sdist' | 'requires-python';

export interface DroppedFile {
  project: string;
  version: string;
  filename: string;
  reason: DropReason;
}

/**
 * An approved project with no file that installs on the target (pywin32 on Linux, cp311-only
 * wheels on cp312): legitimate at times, so not a closure problem, but never dropped silently.
 */
export interface UnavailableProject {
  project: string;
  /** Its approved, unyanked versions, newest first. */
  versions: string[];
  /** In words: no file with a compatible tag, only sdists, or Requires-Python excludes the target. */
  why: string;
}

export interface Universe {
  target: Target;
  /** project → candidates, newest version first. */
  byProject: Map<string, Candidate[]>;
  /** Files that fit the target by tag but whose Requires-Python excludes it (pip skips them). */
  requiresPythonViolations: RequiresPythonViolation[];
  /** Usable files that are not a candidate here, with the reason. */
  dropped: DroppedFile[];
  /** Projects none of whose versions installs here, by project. */
  unavailable: UnavailableProject[];
  /**
   * Approved but yanked files that would otherwise install here, per project: never candidates
   * (releases refuse yanked files), but named when nothing else satisfies a requirement.
   */
  yanked: Map<string, { version: Version; versionText: string; filename: string }[]>;
}

export interface UniverseOptions {
  /** Let an sdist stand for a version that has no fitting wheel (pip without --only-binary). */
  sdists?: boolean;
}

const versions = new Map<string, Version>();

/** Version.parse, memoized: the same version strings recur across targets and calls. */
export function parseVersion(text: string): Version {
  let v = versions.get(text);
  if (!v) {
    v = Version.parse(text);
    versions.set(text, v);
  }
  return v;
}

/** Only approved, unyanked files are ever part of a release or a closure. */
export function usable(file: FileRecord): boolean {
  return file.state === 'approved' && !file.yanked;
}

/** A project's usable files grouped by version, newest version first. */
interface Grouped {
  project: string;
  versions: { versionText: string; version: Version; files: FileRecord[] }[];
  /** Approved files that are yanked. */
  yanked: FileRecord[];
}

// Grouping and version sorting do not depend on the target: done once per file list, then
// shared by every target (closure checks five targets over the same 10 000 rows).
const groupedCache = new WeakMap<readonly FileRecord[], Grouped[]>();

function grouped(files: readonly FileRecord[]): Grouped[] {
  let out = groupedCache.get(files);
  if (out) return out;
  const byProject = new Map<string, Map<string, FileRecord[]>>();
  const yanked = new Map<string, FileRecord[]>();
  for (const file of files) {
    if (!usable(file)) {
      if (file.state === 'approved') {
        const list = yanked.get(file.project);
        if (list) list.push(file);
        else yanked.set(file.project, [file]);
      }
      continue;
    }
    let byVersion = byProject.get(file.project);
    if (!byVersion) {
      byVersion = new Map();
      byProject.set(file.project, byVersion);
    }
    const list = byVersion.get(file.version);
    if (list) list.push(file);
    else byVersion.set(file.version, [file]);
  }
  out = [];
  for (const [project, byVersion] of byProject) {
    const versions = [...byVersion].map(([versionText, fs]) => ({ versionText, version: parseVersion(versionText), files: fs }));
    versions.sort((a, b) => Version.compare(b.version, a.version));
    out.push({ project, versions, yanked: yanked.get(project) ?? [] });
  }
  for (const [project, fs] of yanked) if (!byProject.has(project)) out.push({ project, versions: [], yanked: fs });
  groupedCache.set(files, out);
  return out;
}

/** A wheel's build tag as pip orders it: none < any, then by its number, then by the rest. */
function buildTag(file: FileRecord): BuildTag {
  if (file.kind !== 'wheel') return [];
  try {
    return parseWheelFilename(file.filename).build;
  } catch {
    return [];
  }
}

/** Negative when `a` is preferred to `b` at the same tag rank. */
function tieBreak(a: FileRecord, b: FileRecord): number {
  const [ta, tb] = [buildTag(a), buildTag(b)];
  if (ta.length !== tb.length) return tb.length - ta.length;
  if (ta.length === 2 && tb.length === 2) {
    if (ta[0] !== tb[0]) return tb[0] - ta[0];
    if (ta[1] !== tb[1]) return ta[1] > tb[1] ? -1 : 1;
  }
  return a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0;
}

export function buildUniverse(files: readonly FileRecord[], target: Target, opts: UniverseOptions = {}): Universe {
  const byProject = new Map<string, Candidate[]>();
  const requiresPythonViolations: RequiresPythonViolation[] = [];
  const dropped: DroppedFile[] = [];
  const unavailable: UnavailableProject[] = [];
  const yanked: Universe['yanked'] = new Map();
  for (const { project, versions, yanked: withdrawn } of grouped(files)) {
    const fitting = withdrawn.filter(
      (f) => (f.kind === 'wheel' ? fileTagRank(target, f.tags) !== undefined : opts.sdists === true) && requiresPythonAdmits(f.requiresPython, target),
    );
    if (fitting.length > 0) {
      yanked.set(
        project,
        fitting.map((f) => ({ version: parseVersion(f.version), versionText: f.version, filename: f.filename })),
      );
    }
    if (versions.length === 0) continue;
    const list: Candidate[] = [];
    const reasons = new Set<DropReason>();
    const drop = (file: FileRecord, reason: DropReason) => {
      reasons.add(reason);
      dropped.push({ project, version: file.version, filename: file.filename, reason });
    };
    for (const { versionText, version, files: fs } of versions) {
      let best: FileRecord | undefined;
      let bestRank = Number.POSITIVE_INFINITY;
      for (const file of fs) {
        let rank: number | undefined;
        if (file.kind === 'wheel') rank = fileTagRank(target, file.tags);
        else if (opts.sdists) rank = Number.MAX_SAFE_INTEGER;
        if (rank === undefined) {
          drop(file, file.kind === 'wheel' ? 'tag' : 'sdist');
          continue;
        }
        if (!requiresPythonAdmits(file.requiresPython, target)) {
          drop(file, 'requires-python');
          requiresPythonViolations.push({
            project: file.project,
            version: file.version,
            filename: file.filename,
            requiresPython: file.requiresPython ?? '',
          });
          continue;
        }
        // Ties (two wheels with the same best tag) go, as in pip, to the higher build tag, then to
        // the smaller filename, so that the choice is stable.
        if (rank < bestRank || (rank === bestRank && best && tieBreak(file, best) < 0)) {
          best = file;
          bestRank = rank;
        }
      }
      if (best) list.push({ project, version, versionText, file: best });
    }
    if (list.length > 0) byProject.set(project, list);
    else unavailable.push({ project, versions: versions.map((v) => v.versionText), why: unavailableWhy(reasons) });
  }
  unavailable.sort((a, b) => (a.project < b.project ? -1 : 1));
  return { target, byProject, requiresPythonViolations, dropped, unavailable, yanked };
}

function unavailableWhy(reasons: Set<DropReason>): string {
  const parts: string[] = [];
  if (reasons.has('requires-python')) parts.push('Requires-Python excludes the target');
  if (reasons.has('tag')) parts.push('no file with a compatible tag');
  if (reasons.has('sdist')) parts.push('only an sdist (not counted without --sdists)');
  return parts.join('; ');
}
