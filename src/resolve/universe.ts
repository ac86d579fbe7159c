// The installable set of a target: per project, per version, the one file pip would pick there
// (best wheel by tag rank; an sdist only when allowed and no wheel fits), newest version first.
// Closure, the resolver and releases all reason over this same view.
import type { FileRecord } from '../catalog/types.js';
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

export interface Universe {
  target: Target;
  /** project → candidates, newest version first. */
  byProject: Map<string, Candidate[]>;
  /** Files that fit the target by tag but whose Requires-Python excludes it (pip skips them). */
  requiresPythonViolations: RequiresPythonViolation[];
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
}

// Grouping and version sorting do not depend on the target: done once per file list, then
// shared by every target (closure checks five targets over the same 10 000 rows).
const groupedCache = new WeakMap<readonly FileRecord[], Grouped[]>();

function grouped(files: readonly FileRecord[]): Grouped[] {
  let out = groupedCache.get(files);
  if (out) return out;
  const byProject = new Map<string, Map<string, FileRecord[]>>();
  for (const file of files) {
    if (!usable(file)) continue;
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
    out.push({ project, versions });
  }
  groupedCache.set(files, out);
  return out;
}

export function buildUniverse(files: readonly FileRecord[], target: Target, opts: UniverseOptions = {}): Universe {
  const byProject = new Map<string, Candidate[]>();
  const requiresPythonViolations: RequiresPythonViolation[] = [];
  for (const { project, versions } of grouped(files)) {
    const list: Candidate[] = [];
    for (const { versionText, version, files: fs } of versions) {
      let best: FileRecord | undefined;
      let bestRank = Number.POSITIVE_INFINITY;
      for (const file of fs) {
        let rank: number | undefined;
        if (file.kind === 'wheel') rank = fileTagRank(target, file.tags);
        else if (opts.sdists) rank = Number.MAX_SAFE_INTEGER;
        if (rank === undefined) continue;
        if (!requiresPythonAdmits(file.requiresPython, target)) {
          requiresPythonViolations.push({
            project: file.project,
            version: file.version,
            filename: file.filename,
            requiresPython: file.requiresPython ?? '',
          });
          continue;
        }
        // Ties (two wheels with the same best tag) go to the smaller filename, so the choice is stable.
        if (rank < bestRank || (rank === bestRank && best && file.filename < best.filename)) {
          best = file;
          bestRank = rank;
        }
      }
      if (best) list.push({ project, version, versionText, file: best });
    }
    if (list.length > 0) byProject.set(project, list);
  }
  return { target, byProject, requiresPythonViolations };
}
