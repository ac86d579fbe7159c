// Currency: how far the hosted set is behind its upstreams, what is known to be vulnerable and
// which version (hosted or upstream) fixes it, and a plan of upgrades that keeps every target
// closed. The plan is checked by running closure over the set as it would be after the upgrades
// (old versions of upgraded projects replaced), with the new files' metadata read from upstream;
// an upgrade that would break closure steps back to the project's next preferred version.
// The patch of the latest release is resolved as the release code resolves: the base's pins with
// the upgrades in their place, so that every project the upgraded versions need that the base
// lacks is pinned too, whether it was just mirrored or hosted already.
import { AdvisoryIndex, groupByAlias } from '../advisories/match.js';
import type { FileRecord } from '../catalog/types.js';
import { asPyvetError, PyvetError } from '../errors.js';
import type { Actor, Repository } from '../repository/types.js';
import { listReleases, patchRelease, type ReleaseSummary } from '../releases/service.js';
import { type ClosureProblem, type ClosureReport, closureOfFiles } from '../resolve/closure.js';
import { resolveIn } from '../resolve/resolver.js';
import { fileTagRank, getTargets, type Target } from '../resolve/targets.js';
import { buildUniverse, parseVersion } from '../resolve/universe.js';
import { parseRequirement } from '../resolve/requirements.js';
import { parseDistributionFilename } from '../standards/filenames.js';
import { canonicalizeName } from '../standards/names.js';
import { canonicalizeVersion, type Version } from '../standards/version.js';
import { ownedNameMatcher, sdistsAllowed } from './guard.js';
import { type MirroredFile, type MirrorReport, mirror } from './mirror.js';
import { chooseUpstreams, type ProjectSource, transferOptions, UpstreamSources } from './sources.js';
import { fromUpstream } from '../vetting/evaluate.js';

export interface VersionFix {
  version: string;
  /** Hosted already (quarantined or approved): moving to it downloads nothing. */
  hosted: boolean;
}

export interface VulnerableVersion {
  version: string;
  advisories: string[];
  /** The lowest version above it, hosted or upstream, that no known advisory affects. */
  fix: VersionFix | null;
}

export interface ProjectCurrency {
  project: string;
  /** Hosted versions (quarantined or approved), newest first. */
  hosted: string[];
  /** Newest upstream version (final releases unless pre-releases were asked for); null when no upstream has it. */
  newest: string | null;
  /** Upstream versions newer than the newest hosted one. */
  behind: number;
  upstream: string | null;
  /** Hosted versions affected by a known advisory. */
  vulnerable: VulnerableVersion[];
  /** The lowest version, hosted or upstream, that no known advisory affects, above every affected
   *  version in use (pinned by the latest release, else approved, else hosted). */
  lowestFix: string | null;
  /** lowestFix is hosted already. */
  lowestFixHosted: boolean;
  /** Where its hosted files came from: 'upstream', 'local' (pyvet add or upload only) or 'mixed'
   *  (both). Local and mixed projects are compared with the upstreams (a public project brought in
   *  by hand still gets its fixes shown), but planned only when named with --project: a public
   *  project of the same name need not be this one (dependency confusion). */
  origin: 'upstream' | 'local' | 'mixed';
  /** Why there is no upstream information (owned name, not allowed, not found, published here), or a warning (mixed origins). */
  note: string | null;
  /** Its upstream page could not be read: only hosted versions are known (newest, behind and fixes are incomplete). */
  error: { code: string; message: string } | null;
}

export interface OutdatedReport {
  checkedAt: string;
  projects: ProjectCurrency[];
}

export interface OutdatedOptions {
  prereleases?: boolean;
  from?: string | undefined;
  /** Only these projects (normalized); default every hosted project. */
  projects?: string[];
}

/** A version a project could be at: hosted (with an unyanked file) and/or offered upstream. */
interface Available {
  version: Version;
  text: string;
  hosted: boolean;
  affected: boolean;
  /** Tags of each wheel it has (hosted unyanked or offered upstream). */
  wheels: string[][];
  /** It has an sdist (hosted or upstream). */
  sdist: boolean;
  /** Why it cannot be used here whatever the upstream offers (yanked or rejected locally), else null. */
  blocked: string | null;
}

interface Survey {
  report: OutdatedReport;
  /** Per project, every available version, oldest first. */
  available: Map<string, Available[]>;
  /** Per project, the newest vulnerable version in use (pinned by the latest release, else approved, else hosted): every fix must be above it. */
  floors: Map<string, Version>;
}

export async function outdated(repo: Repository, opts: OutdatedOptions = {}): Promise<OutdatedReport> {
  return (await survey(repo, opts)).report;
}

async function survey(repo: Repository, opts: OutdatedOptions): Promise<Survey> {
  const upstreams = await chooseUpstreams(repo, opts.from);
  const sources = new UpstreamSources(repo, upstreams, {
    isOwned: await ownedNameMatcher(repo),
    allowSdists: await sdistsAllowed(repo),
    transfer: transferOptions(repo),
  });
  const files = await repo.catalog.files.list({ states: ['quarantined', 'approved', 'rejected'] });
  const hostedBy = new Map<string, Set<string>>();
  const approvedBy = new Map<string, Set<string>>();
  // Per project, whether some hosted file came from an upstream and whether some came from here.
  const origins = new Map<string, { upstream: boolean; local: boolean }>();
  // Versions with an unyanked file: only those can be moved to.
  const usable = new Set<string>();
  // Versions refused here (every hosted file of it yanked or rejected), with why.
  const refusedHere = new Map<string, string>();
  const hostedFiles = new Map<string, FileRecord[]>();
  const vkey = (project: string, version: string) => `${project}\u0000${canonicalizeVersion(version)}`;
  for (const f of files) {
    if (opts.projects && !opts.projects.includes(f.project)) continue;
    const key = vkey(f.project, f.version);
    if (f.state === 'rejected') {
      if (!refusedHere.has(key)) refusedHere.set(key, `rejected here${f.stateReason ? `: ${f.stateReason}` : ''}`);
      continue;
    }
    let set = hostedBy.get(f.project);
    if (!set) hostedBy.set(f.project, (set = new Set()));
    set.add(f.version);
    if (f.state === 'approved') {
      let a = approvedBy.get(f.project);
      if (!a) approvedBy.set(f.project, (a = new Set()));
      a.add(canonicalizeVersion(f.version));
    }
    const o = origins.get(f.project) ?? { upstream: false, local: false };
    if (fromUpstream(f.origin)) o.upstream = true;
    else o.local = true;
    origins.set(f.project, o);
    if (f.yanked) refusedHere.set(key, `yanked here${f.yankedReason ? `: ${f.yankedReason}` : ''}`);
    else {
      usable.add(key);
      hostedFiles.set(key, [...(hostedFiles.get(key) ?? []), f]);
    }
  }
  // A version with one usable file is usable; otherwise its local yank or rejection stands.
  for (const key of usable) refusedHere.delete(key);
  const projects = [...hostedBy.keys()].sort();
  const index = new AdvisoryIndex(await repo.catalog.advisories.forPackages(projects));
  // What is in use: the latest release's pins, else the approved versions, else the hosted ones.
  const base = await latestRelease(repo);
  const pinnedBy = new Map<string, Set<string>>();
  if (base) {
    for (const pin of await repo.catalog.releaseSets.listPins(base.name)) {
      let set = pinnedBy.get(pin.project);
      if (!set) pinnedBy.set(pin.project, (set = new Set()));
      set.add(canonicalizeVersion(pin.version));
    }
  }
  const limit = repo.config.mirror.concurrency;
  const out: ProjectCurrency[] = [];
  const available = new Map<string, Available[]>();
  const floors = new Map<string, Version>();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, projects.length) }, async () => {
      while (next < projects.length) {
        const project = projects[next++]!;
        out.push(await currencyOf(project));
      }
    }),
  );
  out.sort((a, b) => a.project.localeCompare(b.project));
  return { report: { checkedAt: new Date().toISOString(), projects: out }, available, floors };

  async function currencyOf(project: string): Promise<ProjectCurrency> {
    const hostedTexts = [...hostedBy.get(project)!];
    const hosted = hostedTexts.map(parseVersion).sort((a, b) => b.compare(a));
    const newestHosted = hosted[0]!;
    const o = origins.get(project)!;
    const origin: ProjectCurrency['origin'] = o.upstream ? (o.local ? 'mixed' : 'upstream') : 'local';
    // Every version it could be at, keyed so that 2.0 and 2.0.0 are one.
    const versions = new Map<string, Available>();
    const offer = (v: Version, text: string, isHosted: boolean, file: { kind: 'wheel' | 'sdist'; tags: string[] }[]) => {
      if (v.isPrerelease && !opts.prereleases) return;
      const key = canonicalizeVersion(v);
      let cur = versions.get(key);
      if (cur) cur.hosted ||= isHosted;
      else {
        cur = {
          version: v,
          text,
          hosted: isHosted,
          affected: index.match(project, text).length > 0,
          wheels: [],
          sdist: false,
          blocked: refusedHere.get(vkey(project, text)) ?? null,
        };
        versions.set(key, cur);
      }
      for (const f of file) {
        if (f.kind === 'wheel') cur.wheels.push(f.tags);
        else cur.sdist = true;
      }
    };
    for (const text of hostedTexts) {
      const fs = hostedFiles.get(vkey(project, text));
      if (fs) offer(parseVersion(text), text, true, fs.map((f) => ({ kind: f.kind, tags: f.tags })));
    }

    let source: ProjectSource | null = null;
    let error: ProjectCurrency['error'] = null;
    let note: string | null = null;
    try {
      source = await sources.get(project);
    } catch (err) {
      // As in mirror: a page that cannot be read fails its own project, not the survey.
      const e = asPyvetError(err);
      error = { code: e.code, message: e.message };
    }
    const seen = new Map<string, Version>();
    if (!source && !error) {
      const refusal = sources.refused.find((r) => r.project === project);
      note = refusal ? refusal.reason : 'not found in any upstream allowed to supply it';
    } else if (source) {
      for (const c of source.candidates) {
        if (c.file.yanked !== false) continue;
        if (c.version.isPrerelease && !opts.prereleases) continue;
        seen.set(c.versionText, c.version);
        offer(c.version, c.versionText, false, [{ kind: c.kind, tags: c.tags }]);
      }
    }
    if (origin === 'mixed') {
      note = `${note ? `${note}; ` : ''}some hosted files came from an upstream and some were added or uploaded here: upgrade-plan plans it only when named with --project`;
    }
    if (origin === 'local' && source) {
      note = `added or uploaded here, compared with upstream '${source.upstream.name}', whose project of that name need not be this one: upgrade-plan plans it only when named with --project (if it is yours, list it in owned_names)`;
    }
    const all = [...versions.values()].sort((a, b) => a.version.compare(b.version));
    available.set(project, all);
    // The fix for a version: the lowest unaffected version above it, wherever it is, that is not refused here.
    const fixAbove = (v: Version): VersionFix | null => {
      const f = all.find((a) => !a.affected && !a.blocked && a.version.compare(v) > 0);
      return f ? { version: f.text, hosted: f.hosted } : null;
    };
    const vulnerable = hosted
      // One id per vulnerability, however many databases published it.
      .map((v) => ({ v, advisories: groupByAlias(index.match(project, v.toString())).map((g) => g[0]!.id) }))
      .filter((x) => x.advisories.length > 0)
      .map((x) => ({ version: x.v.toString(), advisories: x.advisories, fix: fixAbove(x.v) }));
    // Every fix must be above the newest vulnerable version in use: the one the latest release pins,
    // else the newest approved one, else the newest hosted; not above a newer version affected by
    // another advisory that nobody installs yet (one only in quarantine, say).
    const pinned = pinnedBy.get(project);
    const approvedVersions = approvedBy.get(project);
    const floorText = (
      vulnerable.find((x) => pinned?.has(canonicalizeVersion(x.version))) ??
      vulnerable.find((x) => approvedVersions?.has(canonicalizeVersion(x.version))) ??
      vulnerable[0]
    )?.version;
    if (floorText) floors.set(project, parseVersion(floorText));
    const lowestFix = floorText ? fixAbove(parseVersion(floorText)) : null;
    const upstreamVersions = [...seen.values()].sort((a, b) => a.compare(b));
    return {
      project,
      hosted: hosted.map(String),
      newest: upstreamVersions.length ? upstreamVersions[upstreamVersions.length - 1]!.toString() : null,
      behind: upstreamVersions.filter((v) => v.compare(newestHosted) > 0).length,
      upstream: source ? source.upstream.name : null,
      vulnerable,
      lowestFix: lowestFix?.version ?? null,
      lowestFixHosted: lowestFix?.hosted ?? false,
      origin,
      note,
      error,
    };
  }
}

export interface PlannedUpgrade {
  project: string;
  /** The hosted versions it upgrades from (older than `to`), newest first. */
  from: string[];
  to: string;
  /** `to` is hosted already: nothing is downloaded for it. */
  hosted: boolean;
  reasons: string[];
}

export interface PlanOptions {
  securityOnly?: boolean;
  /** Target names; default every target of the latest release, else cp311-manylinux_x86_64. */
  targets?: string[];
  from?: string | undefined;
  /** Only these projects (any spelling). A project whose hosted files came both from an upstream and
   *  from here is planned only when named here. */
  projects?: string[];
  apply?: boolean;
  actor: Actor;
}

/** A project the upgraded versions need that the latest release does not pin. */
export interface NewDependency {
  project: string;
  /** The version the resolver picks for it on the release's targets (newest where they differ). */
  version: string;
  /** Who needs it ('project version'). */
  neededBy: string[];
  /** Its file is hosted already (quarantined or approved): nothing is downloaded for it. */
  hosted: boolean;
  /** The patch release pins it (false: only the upgrade of a project the release lacks needs it). */
  pinned: boolean;
}

/** The patch release the plan drafts from the latest release. */
export interface PatchPlan {
  base: string;
  /** NAME==VERSION each, as `pyvet release patch <base> --upgrade …` takes them: the upgrades of projects
   *  the base pins at another version, and every project they need that the base does not pin. */
  upgrades: string[];
  /** Upgrades the base pins at that version already: nothing to patch for them. */
  pinnedAlready: string[];
  /** Upgraded projects the base does not contain: it needs no patch for them. */
  notInBase: string[];
  /** The command that would add them to the base anyway, with everything they need (null when that does not resolve). */
  addCommand: string | null;
  /** Why the patch does not resolve on a target. */
  problems: string[];
  /** Why adding the projects the base lacks does not resolve (then there is no addCommand). */
  addProblems: string[];
}

export interface UpgradePlan {
  upgrades: PlannedUpgrade[];
  /** New files the upgrades bring in (the upgrades themselves and new dependencies). */
  newFiles: { filename: string; neededBy: string[] }[];
  /** Projects the upgrades need that the latest release does not pin (with no release: that are not hosted). */
  newDependencies: NewDependency[];
  /** The patch of the latest release; null when there is no release. */
  patch: PatchPlan | null;
  /** Closure of the set as it would be after the upgrades, per target. */
  closure: { target: string; closed: boolean; problems: string[] }[];
  skipped: { project: string; reason: string }[];
  /** Projects whose upstream page could not be read: not planned. */
  unassessed: { project: string; code: string; message: string }[];
  applied: { mirror: MirrorReport; release: string | null; waiting: string[] } | null;
}

const DEFAULT_TARGET = 'cp311-manylinux_x86_64';

/** One project's candidate upgrades, preferred first, and which one the plan is trying. */
interface Choice {
  project: ProjectCurrency;
  options: Available[];
  at: number;
  reasons: string[];
  /** Preferred versions given up, with the closure problem each would have left. */
  passedOver: string[];
}

/**
 * The upgrades that bring the repository current (or out of known vulnerabilities) while keeping
 * closure: per project the newest version (with --security-only the lowest fixing one) whose
 * new files leave every target closed. With `apply`, a plan that is not closed is refused
 * before anything is mirrored (UPGRADE_PLAN_NOT_CLOSED, the plan in its details); one that is
 * mirrored but whose patch release cannot be drafted (files wait for review, the patch does not
 * resolve, the release's checks refuse it) is an UPGRADE_PATCH_NOT_DRAFTED error, the plan with
 * its mirror report in its details. A release that needs no patch (it pins the fixes already,
 * or lacks the upgraded projects) is no error. A project whose upstream page cannot be read is
 * not planned but listed in `unassessed`; the others are planned.
 */
export async function planUpgrades(repo: Repository, opts: PlanOptions): Promise<UpgradePlan> {
  const targets = getTargets(repo.config, opts.targets?.length ? opts.targets : await defaultTargets(repo));
  const named = opts.projects?.length ? new Set(opts.projects.map((n) => canonicalizeName(n))) : null;
  const { report, available, floors } = await survey(repo, { from: opts.from });
  const skipped: UpgradePlan['skipped'] = [];
  const unassessed: UpgradePlan['unassessed'] = [];
  const choices: Choice[] = [];
  // Projects published here: an upgrade whose new files would bring one in from an upstream is
  // refused, unless the project itself is named (then upgrading it is the operator's choice).
  const localProjects = new Set(report.projects.filter((p) => p.origin === 'local' && !named?.has(p.project)).map((p) => p.project));
  // Why a version cannot be moved to, before any download: refused here, or no wheel a release
  // can install on some target (releases and patches resolve wheels only, so an sdist-only fix
  // could be mirrored but never pinned, whatever allow_sdists says).
  const unusable = (a: Available): string | null => {
    if (a.blocked) return `${a.text} is ${a.blocked}`;
    const without = targets.filter((t) => !a.wheels.some((tags) => fileTagRank(t, tags) !== undefined));
    if (without.length > 0 && a.sdist) {
      return `${a.text} has no wheel for ${without.map((t) => t.name).join(', ')} (only an sdist, which releases do not install)`;
    }
    return null;
  };
  // The candidates in order of preference, less the unusable ones: those passed over before the
  // first usable one are said (the others would not have been taken anyway).
  const usableOf = (list: Available[]): { options: Available[]; passedOver: string[] } => {
    const options: Available[] = [];
    const passedOver: string[] = [];
    for (const a of list) {
      const why = unusable(a);
      if (!why) options.push(a);
      else if (options.length === 0) passedOver.push(`${a.text} not taken: ${why}`);
    }
    return { options, passedOver };
  };
  for (const p of report.projects) {
    if (named && !named.has(p.project)) continue;
    if ((p.origin === 'local' || p.origin === 'mixed') && !named) {
      // Bound to an upstream only by the operator's explicit choice: a same-name public package need not be this project.
      if (p.note) skipped.push({ project: p.project, reason: p.note });
      continue;
    }
    if (p.error) {
      unassessed.push({ project: p.project, ...p.error });
      continue;
    }
    const all = available.get(p.project) ?? [];
    const floor = floors.get(p.project);
    if (floor) {
      // Above the newest vulnerable version in use and itself unaffected: a hosted one needs no download.
      const fixes = all.filter((a) => !a.affected && a.version.compare(floor) > 0);
      const reasons = p.vulnerable
        .filter((v) => parseVersion(v.version).compare(floor) <= 0)
        .map((v) => `${v.version} affected by ${v.advisories.join(', ')}`);
      const { options, passedOver } = usableOf(opts.securityOnly ? fixes : fixes.reverse());
      if (options.length === 0) {
        const why = fixes.length === 0 ? 'no hosted or upstream version fixes it' : 'no fixing version can be used';
        skipped.push({ project: p.project, reason: `${[...reasons, why, ...passedOver].join('; ')}${p.note ? ` (${p.note})` : ''}` });
        continue;
      }
      choices.push({ project: p, options, at: 0, reasons, passedOver });
    } else if (!opts.securityOnly && p.behind > 0) {
      // Never onto a known-vulnerable version.
      const newer = all.filter((a) => !a.affected && a.version.compare(parseVersion(p.hosted[0]!)) > 0).reverse();
      const { options, passedOver } = usableOf(newer);
      if (options.length === 0) {
        const why = newer.length === 0 ? 'each affected by a known advisory' : 'none can be used';
        skipped.push({ project: p.project, reason: [`${p.behind} newer release(s) upstream, ${why}`, ...passedOver].join('; ') });
        continue;
      }
      choices.push({ project: p, options, at: 0, reasons: [`${p.behind} newer release(s) upstream`], passedOver });
    }
  }

  const approved = await repo.catalog.files.list({ states: ['approved'] });
  const quarantined = (await repo.catalog.files.list({ states: ['quarantined'] })).filter((f) => !f.yanked);
  const before = closureOfFiles(approved, targets);
  const plan: UpgradePlan = {
    upgrades: [],
    newFiles: [],
    newDependencies: [],
    patch: null,
    closure: closureSummary(before),
    skipped,
    unassessed,
    applied: null,
  };
  // Problems the repository has already are not the upgrades' doing.
  const known = new Set(problemKeys(before).keys());
  let planned: MirrorReport = emptyReport(true);
  let hostedFiles: FileRecord[] = [];
  /** Dependencies the upgrades need that are hosted but still in quarantine (counted as if approved). */
  let heldFiles: FileRecord[] = [];
  // The set as it would be after the upgrades: what the patch release is resolved from.
  let afterSet: FileRecord[] = approved;
  let live = choices;
  // Each round checks the whole set; every upgrade that left a problem steps back one version.
  while (live.length > 0) {
    const upgrades = live.map((c) => ({ project: c.project.project, to: c.options[c.at]! }));
    const requirements = upgrades.filter((u) => !u.to.hosted).map((u) => `${u.project}==${u.to.text}`);
    planned = requirements.length
      ? await mirror(repo, { actor: opts.actor, requirements, from: opts.from, targets, withDeps: true, dryRun: true })
      : emptyReport(true);
    hostedFiles = await hostedFilesOf(repo, upgrades.filter((u) => u.to.hosted));
    const upgraded = new Set(upgrades.map((u) => u.project));
    let after = [
      ...approved.filter((f) => !upgraded.has(f.project)),
      ...[...planned.fetched, ...planned.present].map(asApproved),
      ...hostedFiles.map((f) => ({ ...f, state: 'approved' as const })),
    ];
    let closure = closureOfFiles(after, targets);
    // A dependency hosted but waiting in quarantine counts as it will once approved (as a planned
    // file that is present does): a hosted upgrade's new dependency may be hosted too.
    heldFiles = [];
    for (;;) {
      const have = new Set(after.map((f) => f.filename));
      const wanted = new Set(closure.targets.flatMap((t) => [...t.missing, ...t.unsatisfiable].map((p) => p.project)));
      const held = quarantined.filter((f) => wanted.has(f.project) && !upgraded.has(f.project) && !have.has(f.filename));
      if (held.length === 0) break;
      heldFiles.push(...held);
      after = [...after, ...held.map((f) => ({ ...f, state: 'approved' as const }))];
      closure = closureOfFiles(after, targets);
    }
    plan.closure = closureSummary(closure);
    afterSet = after;

    // Who brought each new file in: the upgrade at the root of its chain.
    const broughtBy = new Map<string, string>();
    for (const f of [...planned.fetched, ...planned.present]) broughtBy.set(f.filename, f.neededBy[0] ?? f.project);
    for (const f of hostedFiles) broughtBy.set(f.filename, f.project);
    // Per upgrade: the closure problems it would leave, and the files it needs that could not be fetched.
    const blame = new Map<string, { open: string[]; unfetched: string[] }>();
    const charge = (project: string, problem: string, kind: 'open' | 'unfetched' = 'open') => {
      if (!upgraded.has(project)) return;
      const b = blame.get(project) ?? { open: [], unfetched: [] };
      if (!b[kind].includes(problem)) b[kind].push(problem);
      blame.set(project, b);
    };
    for (const [key, p] of problemKeys(closure)) {
      if (known.has(key)) continue;
      const roots = p.files.map((f) => broughtBy.get(f)).filter((r): r is string => r !== undefined);
      // A new file's unmet need is its upgrade's; an old file left unmet is the upgrade that replaced what it used.
      if (roots.length > 0) for (const r of roots) charge(r, p.text);
      else if (p.project) charge(p.project, p.text);
    }
    // A pinned upgrade with no file for a target leaves that target without the project.
    const requested = new Map(upgrades.map((u) => [`${u.project}==${u.to.text}`, u.project]));
    for (const u of planned.unsatisfied) {
      if (u.neededBy.length === 0 && requested.has(u.requirement)) charge(requested.get(u.requirement)!, `${u.target}: ${u.reason}`);
    }
    // A dependency the mirror would not fetch because it was added here says so, beside the closure problem it leaves.
    const newFilesSoFar = [...planned.fetched, ...planned.present, ...hostedFiles];
    for (const r of planned.refused) {
      if (r.code !== 'PUBLISHED_HERE') continue;
      const text = `${r.project} was added or uploaded here, so it is not fetched from an upstream as a dependency`;
      for (const m of newFilesSoFar) if (needsProject(m.requiresDist, r.project)) charge(broughtBy.get(m.filename) ?? m.project, text, 'unfetched');
    }
    // A file that could not be fetched (or its metadata read) cannot be counted on: it is held
    // against the upgrade it belongs to, or the upgrades whose new files need its project.
    const newFiles = [...planned.fetched, ...planned.present, ...hostedFiles];
    for (const f of planned.failed) {
      const filename = f.filename.replace(/\.metadata$/, '');
      const text = `${f.filename} could not be fetched: ${f.message} [${f.code}]`;
      const project = projectOfFile(filename);
      const root = broughtBy.get(filename) ?? (project && upgraded.has(project) ? project : undefined);
      if (root) charge(root, text, 'unfetched');
      else if (project) for (const m of newFiles) if (needsProject(m.requiresDist, project)) charge(broughtBy.get(m.filename)!, text, 'unfetched');
    }
    // What the upgrades bring in besides themselves is held to the same rules as the upgrades: never
    // a project published here taken from an upstream, never a known-vulnerable version.
    const approvedNames = new Set(approved.map((f) => f.filename));
    const fetchedNames = new Set(planned.fetched.map((f) => f.filename));
    const brought = [...planned.fetched, ...planned.present, ...heldFiles].filter(
      (f) => !upgraded.has(f.project) && !approvedNames.has(f.filename),
    );
    const depIndex = new AdvisoryIndex(await repo.catalog.advisories.forPackages([...new Set(brought.map((f) => f.project))]));
    for (const f of brought) {
      const ids = groupByAlias(depIndex.match(f.project, f.version)).map((g) => g[0]!.id);
      // A file of it already stored is its own (added here); one to be fetched is the public namesake.
      const local = localProjects.has(f.project) && fetchedNames.has(f.filename);
      if (ids.length === 0 && !local) continue;
      const text = local
        ? `it would bring in ${f.filename} from an upstream, but ${f.project} is published here`
        : `it would bring in ${f.project} ${f.version}, affected by ${ids.join(', ')}`;
      const root = broughtBy.get(f.filename);
      if (root) charge(root, text, 'unfetched');
      else for (const m of newFiles) if (needsProject(m.requiresDist, f.project)) charge(broughtBy.get(m.filename) ?? m.project, text, 'unfetched');
    }
    if (blame.size === 0) break;
    const next: Choice[] = [];
    for (const c of live) {
      const b = blame.get(c.project.project);
      if (!b) {
        next.push(c);
        continue;
      }
      const why = [...(b.open.length > 0 ? [`it would leave ${b.open.join('; ')}`] : []), ...b.unfetched];
      c.passedOver.push(`${c.options[c.at]!.text} not taken: ${why.join('; ')}`);
      c.at++;
      if (c.at < c.options.length) next.push(c);
      else {
        skipped.push({
          project: c.project.project,
          reason: `${[...c.reasons, `no ${opts.securityOnly ? 'fixing ' : ''}version can be fetched and keeps closure`, ...c.passedOver].join('; ')}`,
        });
      }
    }
    live = next;
    if (live.length === 0) {
      planned = emptyReport(true);
      hostedFiles = [];
      heldFiles = [];
      afterSet = approved;
      plan.closure = closureSummary(before);
    }
  }

  plan.upgrades = live.map((c) => {
    const to = c.options[c.at]!;
    return {
      project: c.project.project,
      from: c.project.hosted.filter((v) => parseVersion(v).compare(to.version) < 0),
      to: to.text,
      hosted: to.hosted,
      reasons: [...c.reasons, ...(to.hosted ? [`${to.text} is hosted already`] : []), ...c.passedOver],
    };
  });
  plan.newFiles = [...planned.fetched, ...planned.present].map((f) => ({ filename: f.filename, neededBy: f.neededBy }));
  for (const u of planned.unsatisfied) skipped.push({ project: u.requirement, reason: `${u.target}: ${u.reason}` });
  for (const f of planned.failed) skipped.push({ project: f.filename, reason: `${f.code}: ${f.message}` });
  const base = await latestRelease(repo);
  await describePatch(repo, base, plan, afterSet, new Set(planned.fetched.map((f) => f.filename)));
  if (!opts.apply || plan.upgrades.length === 0) return plan;

  // Nothing is mirrored for a plan that would not keep closure, or whose new files could not all be read.
  const open = plan.closure.filter((t) => !t.closed);
  if (open.length > 0 || planned.failed.length > 0) {
    const why = [
      ...open.map((t) => `${t.target} would not be closed: ${t.problems.join('; ')}`),
      ...planned.failed.map((f) => `${f.filename}: ${f.message}`),
    ];
    throw new PyvetError('UPGRADE_PLAN_NOT_CLOSED', 'policy', `upgrade plan not applied, nothing was mirrored:\n  ${why.join('\n  ')}`, {
      problems: why,
      plan,
    });
  }
  const requirements = plan.upgrades.filter((u) => !u.hosted).map((u) => `${u.project}==${u.to}`);
  const mirrored = requirements.length
    ? await mirror(repo, { actor: opts.actor, requirements, from: opts.from, targets, withDeps: true })
    : emptyReport(false);
  // The set as it is now, with what this plan brought in counted as if approved (so that the next
  // step can be named while files wait for review).
  const upgraded = new Set(plan.upgrades.map((u) => u.project));
  const pool = new Map<string, FileRecord>();
  for (const f of await repo.catalog.files.list({ states: ['approved'] })) if (!upgraded.has(f.project)) pool.set(f.filename, f);
  const unapproved = new Map<string, string>();
  for (const f of [...mirrored.fetched, ...mirrored.present]) {
    const rec = await repo.catalog.files.getByFilename(f.filename);
    if (!rec) continue;
    if (rec.state !== 'approved') unapproved.set(rec.filename, rec.state);
    if (rec.state === 'approved' || rec.state === 'quarantined') pool.set(rec.filename, rec);
  }
  for (const f of [...hostedFiles, ...heldFiles]) {
    const rec = (await repo.catalog.files.getByFilename(f.filename)) ?? f;
    if (rec.state !== 'approved') unapproved.set(rec.filename, rec.state);
    if (rec.state === 'approved' || rec.state === 'quarantined') pool.set(rec.filename, rec);
  }
  const waiting = [...unapproved].map(([filename, state]) => `${filename} (${state})`);
  plan.applied = { mirror: mirrored, release: null, waiting };
  const patched = await describePatch(repo, base, plan, [...pool.values()], new Set(mirrored.fetched.map((f) => f.filename)));
  const patch = plan.patch;
  // No release, or one that needs no patch (it pins the fixes already, or lacks the projects): nothing to draft.
  if (!base || !patch || (patch.upgrades.length === 0 && patch.problems.length === 0)) return plan;

  const command = `pyvet release patch ${base.name} ${patch.upgrades.map((r) => `--upgrade ${r}`).join(' ')}`;
  const reasons: string[] = [];
  // Only what the patch pins has to be approved for it (files for projects the release lacks may wait).
  const waits = [...unapproved].filter(([filename]) => patched.filenames.has(filename)).map(([filename, state]) => `${filename} (${state})`);
  if (patch.problems.length > 0) reasons.push(...patch.problems.map((p) => `the patch does not resolve: ${p}`));
  else if (waits.length > 0) reasons.push(`${waits.join(', ')} wait for review: approve them (pyvet review), then ${command}`);
  else {
    // Everything the patch pins is in and approved (auto-approval passed every gate): draft it.
    try {
      const release = await patchRelease(repo, base.name, { upgrades: patch.upgrades }, opts.actor);
      plan.applied.release = release.name;
      return plan;
    } catch (err) {
      // What was mirrored stays reported; the release's own checks say why it cannot be drafted.
      if (!(err instanceof PyvetError) || (err.kind !== 'policy' && err.kind !== 'conflict')) throw err;
      throw notDrafted(base.name, plan, [`${err.message} (after fixing that: ${command})`], err.kind, err);
    }
  }
  throw notDrafted(base.name, plan, reasons, patch.problems.length > 0 ? 'conflict' : 'policy');
}

/** --apply mirrored what it could but drafted no release: an error, with the plan it applied. */
function notDrafted(base: string, plan: UpgradePlan, reasons: string[], kind: 'policy' | 'conflict', cause?: unknown): PyvetError {
  const mirrored = plan.applied?.mirror.fetched.length ?? 0;
  return new PyvetError(
    'UPGRADE_PATCH_NOT_DRAFTED',
    kind,
    `upgrade plan applied (mirrored ${mirrored} files), but no patch release of ${base} was drafted:\n  ${reasons.join('\n  ')}`,
    { base, reasons, plan },
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Fills in the plan's patch of the latest release and its new dependencies, resolved from `pool`
 * (the set as it would be after the upgrades, every file counted as approved). `fresh` names the
 * files that are not hosted yet. Returns the files the patch pins.
 */
async function describePatch(
  repo: Repository,
  base: ReleaseSummary | undefined,
  plan: UpgradePlan,
  pool: FileRecord[],
  fresh: Set<string>,
): Promise<{ filenames: Set<string> }> {
  if (!base) {
    // No release to patch: the new dependencies are what the upgrades bring in besides themselves.
    const upgraded = new Set(plan.upgrades.map((u) => u.project));
    const deps = new Map<string, NewDependency>();
    for (const f of plan.newFiles) {
      const rec = pool.find((r) => r.filename === f.filename);
      if (!rec || upgraded.has(rec.project)) continue;
      const cur = deps.get(rec.project);
      if (cur && parseVersion(cur.version).compare(parseVersion(rec.version)) >= 0) continue;
      deps.set(rec.project, { project: rec.project, version: rec.version, neededBy: f.neededBy.slice(0, 1), hosted: !fresh.has(f.filename), pinned: false });
    }
    plan.newDependencies = [...deps.values()].sort((a, b) => a.project.localeCompare(b.project));
    plan.patch = null;
    return { filenames: new Set() };
  }
  const basePins = await repo.catalog.releaseSets.listPins(base.name);
  const targets = getTargets(repo.config, base.targets);
  const asApproved = pool.map((f) => (f.state === 'approved' ? f : { ...f, state: 'approved' as const }));
  const inBase = new Set(basePins.map((p) => p.project));
  const same = (a: string, b: string) => parseVersion(a).compare(parseVersion(b)) === 0;
  const contained = plan.upgrades.filter((u) => inBase.has(u.project));
  const changing = contained.filter((u) => basePins.some((p) => p.project === u.project && !same(p.version, u.to)));
  const pinnedAlready = contained.filter((u) => !changing.includes(u)).map((u) => `${u.project}==${u.to}`);
  const outside = plan.upgrades.filter((u) => !inBase.has(u.project));

  // Per target, the base's pins with the upgrades in their place, resolved as the release code
  // resolves: whatever else the resolution pins is a new dependency (one version for every target).
  const resolvePatch = (ups: PlannedUpgrade[]) => {
    const upgradedTo = new Map(ups.map((u) => [u.project, u.to]));
    const deps = new Map<string, { version: string; neededBy: Set<string>; filename: string }>();
    const filenames = new Set<string>();
    const problems: string[] = [];
    for (const target of targets) {
      const own = basePins.filter((p) => p.target === target.name);
      const requirements = [
        ...own.filter((p) => !upgradedTo.has(p.project)).map((p) => `${p.project}==${p.version}`),
        ...ups.map((u) => `${u.project}==${u.to}`),
      ];
      let pins: ReturnType<typeof resolveIn>['pins'];
      try {
        pins = resolveIn(buildUniverse(asApproved, target), requirements).pins;
      } catch (err) {
        if (!(err instanceof PyvetError) || err.code !== 'RESOLUTION_IMPOSSIBLE') throw err;
        problems.push(`${target.name}: ${err.message}`);
        continue;
      }
      for (const pin of pins) {
        if (upgradedTo.has(pin.project)) filenames.add(pin.filename);
        if (own.some((p) => p.project === pin.project) || upgradedTo.has(pin.project)) continue;
        filenames.add(pin.filename);
        const cur = deps.get(pin.project);
        const neededBy = pin.requiredBy.filter((r) => r !== 'the user');
        if (!cur || parseVersion(pin.version).compare(parseVersion(cur.version)) > 0) {
          deps.set(pin.project, { version: pin.version, neededBy: new Set([...(cur?.neededBy ?? []), ...neededBy]), filename: pin.filename });
        } else for (const n of neededBy) cur.neededBy.add(n);
      }
    }
    const upgrades = [
      ...ups.map((u) => `${u.project}==${u.to}`),
      ...[...deps].sort(([a], [b]) => a.localeCompare(b)).map(([project, d]) => `${project}==${d.version}`),
    ];
    return { upgrades, deps, filenames, problems };
  };

  const patch = changing.length > 0 ? resolvePatch(changing) : { upgrades: [], deps: new Map(), filenames: new Set<string>(), problems: [] };
  const full = outside.length > 0 ? resolvePatch([...changing, ...outside]) : patch;
  plan.patch = {
    base: base.name,
    upgrades: patch.upgrades,
    pinnedAlready,
    notInBase: outside.map((u) => u.project),
    addCommand:
      outside.length > 0 && full.problems.length === 0
        ? `pyvet release patch ${base.name} ${full.upgrades.map((r) => `--upgrade ${r}`).join(' ')}`
        : null,
    problems: patch.problems,
    addProblems: full === patch ? [] : full.problems,
  };
  plan.newDependencies = [...full.deps]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([project, d]) => ({
      project,
      version: d.version,
      neededBy: [...d.neededBy].sort(),
      hosted: !fresh.has(d.filename),
      pinned: patch.deps.has(project),
    }));
  return { filenames: patch.filenames };
}

/** The hosted, unyanked files of the versions being moved to. */
async function hostedFilesOf(repo: Repository, upgrades: { project: string; to: Available }[]): Promise<FileRecord[]> {
  const out: FileRecord[] = [];
  for (const u of upgrades) {
    const files = await repo.catalog.files.list({ project: u.project, states: ['quarantined', 'approved'] });
    out.push(...files.filter((f) => !f.yanked && parseVersion(f.version).compare(u.to.version) === 0));
  }
  return out;
}

/** The (normalized) project of a distribution filename; null when it is not one. */
function projectOfFile(filename: string): string | null {
  try {
    return parseDistributionFilename(filename).name;
  } catch {
    return null;
  }
}

/** Whether Requires-Dist lines name `project` (markers aside). */
function needsProject(requiresDist: string[] | null, project: string): boolean {
  return (requiresDist ?? []).some((line) => {
    try {
      return parseRequirement(line).project === project;
    } catch {
      return false;
    }
  });
}

/** Every closure problem by a stable key, with the files that have it and the project it names. */
function problemKeys(r: ClosureReport): Map<string, { text: string; files: string[]; project: string | null }> {
  const out = new Map<string, { text: string; files: string[]; project: string | null }>();
  for (const t of r.targets) {
    for (const p of [...t.missing, ...t.unsatisfiable]) {
      const files = p.neededBy.map((n) => n.filename);
      out.set(`${t.target}\u0000${p.requirement}\u0000${files.join(' ')}`, {
        text: `${t.target}: ${describeProblem(p)}`,
        files,
        project: p.project,
      });
    }
    for (const v of t.requiresPythonViolations) {
      out.set(`${t.target}\u0000python\u0000${v.filename}`, {
        text: `${t.target}: ${v.filename} requires Python ${v.requiresPython}`,
        files: [v.filename],
        project: null,
      });
    }
    for (const i of t.invalid) {
      out.set(`${t.target}\u0000invalid\u0000${i.requirement}\u0000${i.neededBy.filename}`, {
        text: `${t.target}: ${i.neededBy.filename} has an invalid requirement '${i.requirement}'`,
        files: [i.neededBy.filename],
        project: null,
      });
    }
  }
  return out;
}

function emptyReport(dryRun: boolean): MirrorReport {
  return { fetched: [], present: [], refused: [], unsatisfied: [], failed: [], bytes: 0, storedBytes: 0, seconds: 0, dryRun };
}

/** The newest release, by creation time (its targets are what a patch must keep closed). */
async function latestRelease(repo: Repository): Promise<ReleaseSummary | undefined> {
  const all = await listReleases(repo);
  return [...all].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.name.localeCompare(a.name))[0];
}

async function defaultTargets(repo: Repository): Promise<string[]> {
  return (await latestRelease(repo))?.targets ?? [DEFAULT_TARGET];
}

/** A FileRecord-shaped view of a planned upstream file, as if approved, for the closure check. */
function asApproved(f: MirroredFile): FileRecord {
  const now = new Date().toISOString();
  return {
    id: -1,
    project: f.project,
    version: f.version,
    filename: f.filename,
    kind: f.filename.endsWith('.whl') ? 'wheel' : 'sdist',
    size: f.size ?? 0,
    sha256: f.sha256,
    blake2b256: '',
    md5: '',
    requiresPython: f.requiresPython,
    metadataSha256: null,
    requiresDist: f.requiresDist ?? [],
    providesExtra: f.providesExtra,
    summary: null,
    license: null,
    tags: f.tags,
    uploadedAt: now,
    upstreamUploadedAt: null,
    origin: `upstream:${f.upstream}`,
    state: 'approved',
    stateChangedAt: now,
    stateChangedBy: 'plan',
    stateReason: null,
    yanked: false,
    yankedReason: null,
    integrity: { checks: [] },
  };
}

function closureSummary(r: ClosureReport): UpgradePlan['closure'] {
  return r.targets.map((t) => ({
    target: t.target,
    closed: t.closed,
    problems: [
      ...[...t.missing, ...t.unsatisfiable].map(describeProblem),
      ...t.requiresPythonViolations.map((v) => `${v.filename} requires Python ${v.requiresPython}`),
      ...t.invalid.map((i) => `${i.neededBy.filename} has an invalid requirement '${i.requirement}'`),
    ],
  }));
}

function describeProblem(p: ClosureProblem): string {
  return `${p.requirement} (needed by ${p.neededBy.map((n) => `${n.project}==${n.version}`).join(', ')})`;
}

export type { Target };
