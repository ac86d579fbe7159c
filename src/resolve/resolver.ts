// The resolver: one version per project inside the approved set of a target. It is resolvelib's
// backjumping algorithm (1.0, as pip 23 vendors it) driven by pip's provider rules, so that it
// picks what pip would pick from the pyvet index for the same environment: newest versions first,
// candidates filtered like pip's finder, the same preference order (pinned first, backtrack
// causes, depth, the order the user asked in, constrained before free, then name), and extras
// as pip models them (`a[x]` is its own node that depends on `a==<same version>`).
import { PyvetError } from '../errors.js';
import type { Repository } from '../repository/types.js';
import {
  markerApplies,
  matching,
  type ParsedRequirement,
  parseRequirement,
  parseRequirementFrom,
} from './requirements.js';
import type { Target } from './targets.js';
import { buildUniverse, type Candidate, type Universe, type UniverseOptions } from './universe.js';

export interface ResolveOptions extends UniverseOptions {
  /** Accept pre-releases everywhere (pip --pre). */
  prereleases?: boolean;
  /** Give up after this many rounds (pip: 200 000). */
  maxRounds?: number;
}

export interface Pin {
  project: string;
  version: string;
  /** The file pip installs for this version on the target. */
  filename: string;
  sha256: string;
  /** Extras requested of it, normalized. */
  extras: string[];
  /** Who asked for it: 'the user' or 'project version'. */
  requiredBy: string[];
}

export interface Resolution {
  target: string;
  requirements: string[];
  pins: Pin[];
  /** Resolver rounds, for the curious (and the benchmark). */
  rounds: number;
}

/** Resolves top-level requirements against the repository's approved files for one target. */
export async function resolve(
  repo: Repository,
  requirements: readonly string[],
  target: Target,
  opts: ResolveOptions = {},
): Promise<Resolution> {
  const files = await repo.catalog.files.list({ states: ['approved'] });
  return resolveIn(buildUniverse(files, target, opts), requirements, opts);
}

// --- the provider's model -------------------------------------------------------------------

interface Cand {
  /** Identifier: 'name' or 'name[extra1,extra2]'. */
  id: string;
  /** id==version: what incompatibilities remember. */
  key: string;
  extras: string[];
  c: Candidate;
}

type Req =
  | { kind: 'spec'; id: string; r: ParsedRequirement }
  /** `a==<the same version>` that an extras node `a[x]` requires of its base. */
  | { kind: 'explicit'; id: string; cand: Cand };

interface Info {
  req: Req;
  parent: Cand | null;
}

interface Criterion {
  candidates: Cand[];
  information: Info[];
  incompatibilities: Cand[];
}

interface State {
  mapping: Map<string, Cand>;
  criteria: Map<string, Criterion>;
  backtrackCauses: Info[];
}

class RequirementsConflicted extends Error {
  constructor(readonly criterion: Criterion) {
    super('requirements conflicted');
  }
}

function identifier(project: string, extras: readonly string[]): string {
  return extras.length === 0 ? project : `${project}[${extras.join(',')}]`;
}

function reqText(req: Req): string {
  return req.kind === 'spec' ? req.r.text : `${req.cand.c.project}==${req.cand.c.versionText}`;
}

function describeParent(parent: Cand | null): string {
  return parent ? `${parent.id} ${parent.c.versionText}` : 'the user';
}

class Resolver {
  private readonly states: State[] = [];
  private readonly cands = new Map<string, Cand>();
  private readonly deps = new Map<string, Req[]>();
  private readonly knownDepths = new Map<string, number>();
  private readonly userRequested = new Map<string, number>();
  rounds = 0;

  constructor(
    private readonly universe: Universe,
    private readonly opts: ResolveOptions,
  ) {}

  private get state(): State {
    return this.states[this.states.length - 1]!;
  }

  private cand(id: string, extras: string[], c: Candidate): Cand {
    const key = `${id}==${c.versionText}`;
    let x = this.cands.get(key);
    if (!x) {
      x = { id, key, extras, c };
      this.cands.set(key, x);
    }
    return x;
  }

  private specReq(r: ParsedRequirement): Req {
    return { kind: 'spec', id: identifier(r.project, r.extras), r };
  }

  /** pip's dist.iter_dependencies(extras) + make_requirement_from_spec, in metadata order. */
  private dependencies(cand: Cand): Req[] {
    let out = this.deps.get(cand.key);
    if (out) return out;
    out = [];
    const target = this.universe.target;
    const valid = cand.extras.filter((e) => cand.c.file.providesExtra.includes(e));
    if (cand.extras.length > 0) {
      out.push({ kind: 'explicit', id: cand.c.project, cand: this.cand(cand.c.project, [], cand.c) });
    }
    for (const text of cand.c.file.requiresDist) {
      let r: ParsedRequirement;
      try {
        r = parseRequirement(text);
      } catch {
        continue; // pip skips a Requires-Dist it cannot parse too
      }
      const applies =
        valid.length === 0 ? markerApplies(r, target, '') : valid.some((e) => markerApplies(r, target, e));
      if (applies) out.push(this.specReq(r));
    }
    this.deps.set(cand.key, out);
    return out;
  }

  /** pip's factory.find_candidates: explicit candidates when any, else the finder's, newest first. */
  private findMatches(id: string, reqsOf: (id: string) => Req[], incompatible: readonly Cand[]): Cand[] {
    const reqs = reqsOf(id);
    const bad = new Set(incompatible.map((c) => c.key));
    const bracket = id.indexOf('[');
    const project = bracket < 0 ? id : id.slice(0, bracket);
    const extras = bracket < 0 ? [] : id.slice(bracket + 1, -1).split(',');
    const explicit = new Map<string, Cand>();
    for (const q of reqs) if (q.kind === 'explicit') explicit.set(q.cand.key, q.cand);
    if (bracket >= 0) {
      for (const q of reqsOf(project)) {
        if (q.kind === 'explicit') {
          const x = this.cand(id, extras, q.cand.c);
          explicit.set(x.key, x);
        }
      }
    }
    if (explicit.size > 0) {
      return [...explicit.values()].filter((x) => !bad.has(x.key) && reqs.every((q) => this.satisfies(q, x)));
    }
    const specs: ParsedRequirement[] = [];
    for (const q of reqs) if (q.kind === 'spec') specs.push(q.r);
    if (specs.some((s) => s.url)) return [];
    const available = this.universe.byProject.get(project) ?? [];
    return matching(specs, available, this.opts.prereleases)
      .map((c) => this.cand(id, extras, c))
      .filter((x) => !bad.has(x.key));
  }

  private satisfies(q: Req, x: Cand): boolean {
    if (q.kind === 'explicit') return q.cand.c.versionText === x.c.versionText;
    if (q.r.url) return false;
    return q.r.specifier.contains(x.c.version, { prereleases: true });
  }

  private addToCriteria(criteria: Map<string, Criterion>, req: Req, parent: Cand | null): void {
    const existing = criteria.get(req.id);
    const incompatibilities = existing ? [...existing.incompatibilities] : [];
    const reqsOf = (id: string): Req[] => {
      const base = (criteria.get(id)?.information ?? []).map((i) => i.req);
      return id === req.id ? [...base, req] : base;
    };
    const candidates = this.findMatches(req.id, reqsOf, incompatibilities);
    const information = existing ? [...existing.information, { req, parent }] : [{ req, parent }];
    const criterion: Criterion = { candidates, information, incompatibilities };
    if (candidates.length === 0) throw new RequirementsConflicted(criterion);
    criteria.set(req.id, criterion);
  }

  private isPinSatisfying(id: string, criterion: Criterion): boolean {
    const pin = this.state.mapping.get(id);
    return pin !== undefined && criterion.information.every((i) => this.satisfies(i.req, pin));
  }

  /** pip 23's PipProvider.get_preference; the smallest tuple is resolved first. */
  private preference(id: string): (number | string | boolean)[] {
    const criterion = this.state.criteria.get(id)!;
    let pinned = false;
    let unfree = false;
    for (const { req } of criterion.information) {
      if (req.kind !== 'spec') continue;
      if (req.r.specifierText !== '') unfree = true;
      if (req.r.pinned) pinned = true;
    }
    const requested = this.userRequested.get(id);
    let depth: number;
    if (requested === undefined) {
      let min = Number.POSITIVE_INFINITY;
      for (const { parent } of criterion.information) {
        const d = parent ? (this.knownDepths.get(parent.id) ?? Number.POSITIVE_INFINITY) : 0;
        if (d < min) min = d;
      }
      depth = min + 1;
    } else depth = 1;
    this.knownDepths.set(id, depth);
    const cause = this.state.backtrackCauses.some((i) => i.req.id === id || i.parent?.id === id);
    return [!pinned, !cause, depth, requested ?? Number.POSITIVE_INFINITY, !unfree, id];
  }

  private push(): void {
    const s = this.state;
    this.states.push({ mapping: new Map(s.mapping), criteria: new Map(s.criteria), backtrackCauses: [...s.backtrackCauses] });
  }

  private attemptToPin(id: string): Criterion[] {
    const criterion = this.state.criteria.get(id)!;
    const causes: Criterion[] = [];
    for (const candidate of criterion.candidates) {
      const criteria = new Map(this.state.criteria);
      try {
        for (const dep of this.dependencies(candidate)) this.addToCriteria(criteria, dep, candidate);
      } catch (err) {
        if (!(err instanceof RequirementsConflicted)) throw err;
        causes.push(err.criterion);
        continue;
      }
      this.state.criteria = criteria;
      this.state.mapping.delete(id);
      this.state.mapping.set(id, candidate);
      return [];
    }
    return causes;
  }

  private backjump(causes: Info[]): boolean {
    const incompatibleDeps = new Set<string>();
    for (const c of causes) {
      if (c.parent) incompatibleDeps.add(c.parent.id);
      incompatibleDeps.add(c.req.id);
    }
    while (this.states.length >= 3) {
      this.states.pop();
      let broken: State;
      let name: string;
      let candidate: Cand;
      for (;;) {
        const popped = this.states.pop();
        const last = popped ? [...popped.mapping.entries()].pop() : undefined;
        if (!popped || !last) throw this.impossible(causes);
        broken = popped;
        [name, candidate] = last;
        broken.mapping.delete(name);
        const current = new Set(this.dependencies(candidate).map((d) => d.id));
        if ([...current].some((d) => incompatibleDeps.has(d))) break;
      }
      const fromBroken: [string, Cand[]][] = [...broken.criteria.entries()].map(([k, v]) => [k, [...v.incompatibilities]]);
      fromBroken.push([name, [candidate]]);
      this.push();
      if (this.patchCriteria(fromBroken)) return true;
    }
    return false;
  }

  private patchCriteria(fromBroken: [string, Cand[]][]): boolean {
    const criteria = this.state.criteria;
    for (const [k, incompatibilities] of fromBroken) {
      if (incompatibilities.length === 0) continue;
      const criterion = criteria.get(k);
      if (!criterion) continue;
      const reqsOf = (id: string) => (criteria.get(id)?.information ?? []).map((i) => i.req);
      const all = [...incompatibilities, ...criterion.incompatibilities];
      const candidates = this.findMatches(k, reqsOf, all);
      if (candidates.length === 0) return false;
      criteria.set(k, { candidates, information: [...criterion.information], incompatibilities: all });
    }
    return true;
  }

  private removeInformationFrom(parents: Set<string>): void {
    if (parents.size === 0) return;
    const criteria = this.state.criteria;
    for (const [k, c] of criteria) {
      criteria.set(k, {
        candidates: c.candidates,
        information: c.information.filter((i) => i.parent === null || !parents.has(i.parent.id)),
        incompatibilities: c.incompatibilities,
      });
    }
  }

  run(roots: Req[]): State {
    this.states.push({ mapping: new Map(), criteria: new Map(), backtrackCauses: [] });
    roots.forEach((r, i) => {
      if (!this.userRequested.has(r.id)) this.userRequested.set(r.id, i);
    });
    for (const r of roots) {
      try {
        this.addToCriteria(this.state.criteria, r, null);
      } catch (err) {
        if (err instanceof RequirementsConflicted) throw this.impossible(err.criterion.information);
        throw err;
      }
    }
    this.push();
    const maxRounds = this.opts.maxRounds ?? 200_000;
    for (let round = 0; round < maxRounds; round++) {
      this.rounds = round + 1;
      const unsatisfied: string[] = [];
      const satisfied = new Set<string>();
      for (const [k, c] of this.state.criteria) {
        if (this.isPinSatisfying(k, c)) satisfied.add(k);
        else unsatisfied.push(k);
      }
      if (unsatisfied.length === 0) return this.state;
      let best = unsatisfied[0]!;
      let bestKey = this.preference(best);
      for (const name of unsatisfied.slice(1)) {
        const key = this.preference(name);
        if (compareTuples(key, bestKey) < 0) {
          best = name;
          bestKey = key;
        }
      }
      const failures = this.attemptToPin(best);
      if (failures.length > 0) {
        const causes = failures.flatMap((c) => c.information);
        const ok = this.backjump(causes);
        this.state.backtrackCauses = causes;
        if (!ok) throw this.impossible(causes);
      } else {
        const newlyUnsatisfied = new Set<string>();
        for (const [k, c] of this.state.criteria) {
          if (satisfied.has(k) && !this.isPinSatisfying(k, c)) newlyUnsatisfied.add(k);
        }
        this.removeInformationFrom(newlyUnsatisfied);
        this.push();
      }
    }
    throw new PyvetError(
      'RESOLUTION_TOO_DEEP',
      'conflict',
      `gave up after ${maxRounds} rounds without settling on a set for target ${this.universe.target.name}`,
      { target: this.universe.target.name },
    );
  }

  /** pip's ResolutionImpossible, in words: which requirements conflict and who asked for them. */
  impossible(causes: Info[]): PyvetError {
    const target = this.universe.target.name;
    const conflicts = causes.map((i) => ({ requirement: reqText(i.req), requiredBy: describeParent(i.parent) }));
    const unique = [...new Map(conflicts.map((c) => [`${c.requiredBy}\u0000${c.requirement}`, c])).values()];
    const projects = [...new Set(causes.map((i) => (i.req.kind === 'spec' ? i.req.r.project : i.req.cand.c.project)))];
    const available = Object.fromEntries(
      projects.map((p) => [p, (this.universe.byProject.get(p) ?? []).map((c) => c.versionText)]),
    );
    const lines = unique.map((c) => `  ${c.requiredBy === 'the user' ? 'The user requested' : `${c.requiredBy} depends on`} ${c.requirement}`);
    // A yanked file is never a candidate; when it is what the requirement asks for, say so, or
    // "nothing approved" sends people to approve a file that is approved.
    const yanked = projects.flatMap((p) =>
      (this.universe.yanked.get(p) ?? [])
        .filter((y) => causes.every((i) => i.req.kind !== 'spec' || i.req.r.project !== p || i.req.r.specifier.contains(y.version, { prereleases: true })))
        .map((y) => ({ project: p, version: y.versionText, filename: y.filename })),
    );
    const avail = projects.map((p) => {
      const own = yanked.filter((y) => y.project === p);
      const listed = available[p]!.length ? available[p]!.join(', ') : own.length ? 'nothing unyanked for this target' : 'nothing approved for this target';
      return `  ${p}: ${listed}${own.length ? `; yanked: ${own.map((y) => y.version).join(', ')}` : ''}`;
    });
    if (yanked.length > 0) {
      avail.push(
        `Yanked files are never resolved or released; if one was yanked by mistake: ${yanked.map((y) => `pyvet unyank ${y.filename}`).join('; ')}`,
      );
    }
    // A project with no candidate at all (nothing approved for the target, nothing yanked) is
    // missing, not in conflict: loosening a requirement cannot help, bringing it in does.
    const missing = projects.filter((p) => available[p]!.length === 0 && !yanked.some((y) => y.project === p));
    if (missing.length > 0 && missing.length === projects.length) {
      // The names as written (PySocks, not pysocks), for the message and the command to run.
      const written = missing.map((p) => {
        const spec = causes.find((i) => i.req.kind === 'spec' && i.req.r.project === p)?.req;
        return (spec?.kind === 'spec' && /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(spec.r.text)?.[1]) || p;
      });
      const message =
        `cannot resolve on target ${target}: missing: ${written.join(', ')} (nothing approved for this target)\n${lines.join('\n')}\n` +
        `To fix this, mirror it from an upstream (then vet and approve it): pyvet mirror ${written.map((n) => `'${n}'`).join(' ')} --with-deps --target ${target}`;
      return new PyvetError('RESOLUTION_IMPOSSIBLE', 'conflict', message, { target, conflicts: unique, available, missing });
    }
    const message =
      unique.length === 1 && unique[0]!.requiredBy === 'the user'
        ? `no approved version of ${projects[0]} on target ${target} satisfies ${unique[0]!.requirement}\nApproved versions:\n${avail.join('\n')}`
        : `cannot resolve on target ${target}: these requirements conflict:\n${lines.join('\n')}\nApproved versions:\n${avail.join('\n')}\nTo fix this, loosen one of the requirements above or approve a version that satisfies all of them.`;
    return new PyvetError('RESOLUTION_IMPOSSIBLE', 'conflict', message, {
      target,
      conflicts: unique,
      available,
      ...(yanked.length ? { yanked } : {}),
    });
  }
}

function compareTuples(a: (number | string | boolean)[], b: (number | string | boolean)[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'boolean') return x ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** Resolves over a prepared universe (one target's installable set). */
export function resolveIn(universe: Universe, requirements: readonly string[], opts: ResolveOptions = {}): Resolution {
  const roots: Req[] = [];
  for (const text of requirements) {
    const r = parseRequirementFrom(text, 'requirement');
    if (r.url) {
      throw new PyvetError('REQUIREMENT_URL', 'invalid', `${text}: direct URL references cannot be resolved from the index`, {
        requirement: text,
      });
    }
    // Like pip, a top-level requirement whose marker does not match the target is ignored.
    if (markerApplies(r, universe.target, '')) roots.push({ kind: 'spec', id: identifier(r.project, r.extras), r });
  }
  const resolver = new Resolver(universe, opts);
  const state = resolver.run(roots);
  const pins = new Map<string, Pin>();
  for (const cand of state.mapping.values()) {
    const p = pins.get(cand.c.project) ?? {
      project: cand.c.project,
      version: cand.c.versionText,
      filename: cand.c.file.filename,
      sha256: cand.c.file.sha256,
      extras: [],
      requiredBy: [],
    };
    for (const e of cand.extras) if (!p.extras.includes(e)) p.extras.push(e);
    for (const i of state.criteria.get(cand.id)?.information ?? []) {
      if (i.parent && i.parent.c.project === cand.c.project) continue; // a[x] → a: not news
      const who = i.parent ? `${i.parent.c.project} ${i.parent.c.versionText}` : 'the user';
      if (!p.requiredBy.includes(who)) p.requiredBy.push(who);
    }
    pins.set(cand.c.project, p);
  }
  const list = [...pins.values()].sort((a, b) => (a.project < b.project ? -1 : 1));
  for (const p of list) {
    p.extras.sort();
    p.requiredBy.sort();
  }
  return { target: universe.target.name, requirements: [...requirements], pins: list, rounds: resolver.rounds };
}
