// Closure: proof that the repository is complete for a target. Every dependency (markers
// evaluated for the target) of every file that installs there must be satisfiable by another
// file that installs there, and every such file's Requires-Python must admit the target.
// Problems are reported with who needs them, and the chain of projects leading there, so that
// an operator knows what to mirror next.
import type { FileRecord } from '../catalog/types.js';
import type { Repository } from '../repository/types.js';
import { anyMatching, markerApplies, type ParsedRequirement, parseRequirement } from './requirements.js';
import type { Target } from './targets.js';
import {
  buildUniverse,
  type Candidate,
  type RequiresPythonViolation,
  type UnavailableProject,
  type Universe,
} from './universe.js';

export interface FileRef {
  project: string;
  version: string;
  filename: string;
}

export interface ClosureProblem {
  /** The requirement as written in the dependant's metadata. */
  requirement: string;
  /** The project it names (normalized). */
  project: string;
  /** Set when the requirement applies only through this extra of the dependant. */
  extra: string | null;
  /** The files whose metadata asks for it. */
  neededBy: FileRef[];
  /** One shortest chain of projects from a project nothing depends on down to the first dependant. */
  chain: string[];
  /** Versions of the project that install on the target (none for a missing project). */
  available: string[];
}

export interface TargetClosure {
  target: string;
  closed: boolean;
  /** The file each version installs with on this target (best wheel by tag rank). */
  installable: FileRef[];
  /** Requirements naming a project with nothing installable on the target. */
  missing: ClosureProblem[];
  /** Requirements whose project is there, but in no version (or without the extra) they accept. */
  unsatisfiable: ClosureProblem[];
  /** Files whose Requires-Python excludes the target, of projects no version of which installs here. */
  requiresPythonViolations: RequiresPythonViolation[];
  /**
   * Files whose Requires-Python excludes the target while another version of the project installs
   * (a release that dropped an old Python): pip skips them as it skips another platform's wheels,
   * so they are noted, not problems.
   */
  requiresPythonSkipped: RequiresPythonViolation[];
  /** Requirements that could not be parsed (the file's metadata is broken): they count as unsatisfiable. */
  invalid: { requirement: string; neededBy: FileRef; error: string }[];
  /**
   * Approved projects none of whose files installs on the target. Not a problem by itself (pywin32
   * on Linux); a requirement on one is reported as missing, and one excluded by Requires-Python
   * alone is also in requiresPythonViolations.
   */
  unavailable: UnavailableProject[];
}

export interface ClosureOptions {
  /** Follow extras of every file: true for all, or these extra names. Extras named by requirements (`a[b]`) are always followed. */
  extras?: boolean | readonly string[];
  /** Let sdists count as installable (when no wheel fits that version). */
  sdists?: boolean;
  /** Accept pre-releases for every requirement (pip --pre). */
  prereleases?: boolean;
}

export interface ClosureReport {
  closed: boolean;
  targets: TargetClosure[];
}

/** Checks closure of the repository's approved, unyanked files for each target. */
export async function checkClosure(
  repo: Repository,
  targets: readonly Target[],
  opts: ClosureOptions = {},
): Promise<ClosureReport> {
  const files = await repo.catalog.files.list({ states: ['approved'] });
  return closureOfFiles(files, targets, opts);
}

/** Closure over an explicit list of files (the repository, or one release's pinned set). */
export function closureOfFiles(
  files: readonly FileRecord[],
  targets: readonly Target[],
  opts: ClosureOptions = {},
): ClosureReport {
  const reports = targets.map((t) => closureOfUniverse(buildUniverse(files, t, opts), opts));
  return { closed: reports.every((r) => r.closed), targets: reports };
}

function ref(file: FileRecord): FileRef {
  return { project: file.project, version: file.version, filename: file.filename };
}

type Outcome = 'ok' | 'missing' | 'unsatisfiable';

export function closureOfUniverse(universe: Universe, opts: ClosureOptions = {}): TargetClosure {
  const target = universe.target;
  const outcomes = new Map<ParsedRequirement, Outcome>();
  const problems = new Map<string, ClosureProblem & { outcome: Outcome }>();
  const invalid: TargetClosure['invalid'] = [];
  // Reverse edges (dependency project → dependant projects) for the chains.
  const dependants = new Map<string, Set<string>>();
  const installable: FileRef[] = [];
  const followAll = opts.extras === true;
  const followSome = Array.isArray(opts.extras) ? new Set<string>(opts.extras) : null;
  // (project, extra) pairs still to check, from requirements such as `a[b]`.
  const extrasNeeded: [string, string][] = [];
  const extrasSeen = new Set<string>();

  const outcomeOf = (r: ParsedRequirement): Outcome => {
    let o = outcomes.get(r);
    if (o === undefined) {
      const candidates = universe.byProject.get(r.project);
      if (r.url || !candidates || candidates.length === 0) o = r.url && candidates?.length ? 'unsatisfiable' : 'missing';
      else {
        // An extra the project does not provide only earns a warning from pip: not a problem.
        o = anyMatching(r, candidates, opts.prereleases) ? 'ok' : 'unsatisfiable';
      }
      outcomes.set(r, o);
    }
    return o;
  };

  const check = (c: Candidate, extra: string) => {
    for (const text of c.file.requiresDist) {
      let r: ParsedRequirement;
      try {
        r = parseRequirement(text);
      } catch (err) {
        if (extra === '') invalid.push({ requirement: text, neededBy: ref(c.file), error: (err as Error).message });
        continue;
      }
      if (!markerApplies(r, target, extra)) continue;
      // Under an extra, only what the extra adds: the base requirements were checked already.
      if (extra !== '' && markerApplies(r, target, '')) continue;
      let deps = dependants.get(r.project);
      if (!deps) {
        deps = new Set();
        dependants.set(r.project, deps);
      }
      deps.add(c.project);
      for (const e of r.extras) {
        const k = `${r.project}[${e}]`;
        if (!extrasSeen.has(k)) {
          extrasSeen.add(k);
          extrasNeeded.push([r.project, e]);
        }
      }
      const o = outcomeOf(r);
      if (o === 'ok') continue;
      const pkey = `${extra}\u0000${text}`;
      let p = problems.get(pkey);
      if (!p) {
        p = {
          requirement: text,
          project: r.project,
          extra: extra === '' ? null : extra,
          neededBy: [],
          chain: [],
          available: (universe.byProject.get(r.project) ?? []).map((x) => x.versionText),
          outcome: o,
        };
        problems.set(pkey, p);
      }
      p.neededBy.push(ref(c.file));
    }
  };

  for (const candidates of universe.byProject.values()) {
    for (const c of candidates) {
      installable.push(ref(c.file));
      check(c, '');
      if (followAll || followSome) {
        for (const e of c.file.providesExtra) {
          if (followAll || followSome?.has(e)) {
            extrasSeen.add(`${c.project}[${e}]`);
            check(c, e);
          }
        }
      }
    }
  }
  for (let i = 0; i < extrasNeeded.length; i++) {
    const [project, e] = extrasNeeded[i]!;
    if (followAll || followSome?.has(e)) continue; // already checked above
    for (const c of universe.byProject.get(project) ?? []) if (c.file.providesExtra.includes(e)) check(c, e);
  }

  const missing: ClosureProblem[] = [];
  const unsatisfiable: ClosureProblem[] = [];
  const up = chainLinks(dependants);
  for (const { outcome, ...p } of problems.values()) {
    p.neededBy.sort(compareRefs);
    p.chain = chainFrom(p.neededBy[0]!.project, up);
    (outcome === 'missing' ? missing : unsatisfiable).push(p);
  }
  const byRequirement = (a: ClosureProblem, b: ClosureProblem) =>
    a.project < b.project ? -1 : a.project > b.project ? 1 : a.requirement < b.requirement ? -1 : 1;
  missing.sort(byRequirement);
  unsatisfiable.sort(byRequirement);
  installable.sort(compareRefs);
  const excluded = [...universe.requiresPythonViolations].sort((a, b) => (a.filename < b.filename ? -1 : 1));
  const requiresPythonViolations = excluded.filter((v) => !universe.byProject.has(v.project));
  const requiresPythonSkipped = excluded.filter((v) => universe.byProject.has(v.project));
  return {
    target: target.name,
    closed: missing.length === 0 && unsatisfiable.length === 0 && requiresPythonViolations.length === 0 && invalid.length === 0,
    installable,
    missing,
    unsatisfiable,
    requiresPythonViolations,
    requiresPythonSkipped,
    invalid,
    unavailable: universe.unavailable,
  };
}

function compareRefs(a: FileRef, b: FileRef): number {
  return a.project < b.project ? -1 : a.project > b.project ? 1 : a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0;
}

/**
 * For every project, the next project up a shortest chain to a project nothing depends on: one
 * breadth-first walk down from all such roots at once (per-problem searches were quadratic).
 * Projects only reachable through a cycle get no link.
 */
function chainLinks(dependants: Map<string, Set<string>>): Map<string, string | null> {
  const forward = new Map<string, string[]>();
  const nodes = new Set<string>(dependants.keys());
  for (const [dep, users] of dependants) {
    for (const u of users) {
      nodes.add(u);
      if (u === dep) continue;
      let list = forward.get(u);
      if (!list) {
        list = [];
        forward.set(u, list);
      }
      list.push(dep);
    }
  }
  const up = new Map<string, string | null>();
  const queue: string[] = [];
  for (const n of [...nodes].sort()) {
    const users = dependants.get(n);
    if (!users || [...users].every((u) => u === n)) {
      up.set(n, null);
      queue.push(n);
    }
  }
  for (let i = 0; i < queue.length; i++) {
    const u = queue[i]!;
    for (const d of (forward.get(u) ?? []).sort()) {
      if (!up.has(d)) {
        up.set(d, u);
        queue.push(d);
      }
    }
  }
  return up;
}

/** The chain of projects from a root down to `project` (just `project` when only a cycle leads there). */
function chainFrom(project: string, up: Map<string, string | null>): string[] {
  const chain = [project];
  for (let p = up.get(project); p; p = up.get(p)) chain.push(p);
  return chain.reverse();
}
