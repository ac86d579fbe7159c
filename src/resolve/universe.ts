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

export function buildUniverse(files: readonly FileRecord[], target: Target, opts: UniverseOptions = {}): Universe {
  // project → version → [best rank, file]
  const best = new Map<string, Map<string, { rank: number; file: FileRecord }>>();
  const requiresPythonViolations: RequiresPythonViolation[] = [];
  for (const file of files) {
    if (!usable(file)) continue;
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
    let byVersion = best.get(file.project);
    if (!byVersion) {
      byVersion = new Map();
      best.set(file.project, byVersion);
    }
    const current = byVersion.get(file.version);
    // Ties (two wheels with the same best tag) go to the smaller filename, so the choice is stable.
    if (!current || rank < current.rank || (rank === current.rank && file.filename < current.file.filename)) {
      byVersion.set(file.version, { rank, file });
    }
  }
  const byProject = new Map<string, Candidate[]>();
  for (const [project, byVersion] of best) {
    const list: Candidate[] = [];
    for (const [versionText, { file }] of byVersion) {
      list.push({ project, version: parseVersion(versionText), versionText, file });
    }
    list.sort((a, b) => Version.compare(b.version, a.version));
    byProject.set(project, list);
  }
  return { target, byProject, requiresPythonViolations };
}
