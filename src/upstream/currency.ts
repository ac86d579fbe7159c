// Currency: how far the hosted set is behind its upstreams, what is known to be vulnerable and
// which version (hosted or upstream) fixes it, and a plan of upgrades that keeps every target
// closed. The plan is checked by running closure over the set as it would be after the upgrades
// (old versions of upgraded projects replaced), with the new files' metadata read from upstream;
// an upgrade that would break closure steps back to the project's next preferred version.
import { AdvisoryIndex } from '../advisories/match.js';
import type { FileRecord } from '../catalog/types.js';
import { PyvetError } from '../errors.js';
import type { Actor, Repository } from '../repository/types.js';
import { listReleases, patchRelease, type ReleaseSummary } from '../releases/service.js';
import { type ClosureProblem, type ClosureReport, closureOfFiles } from '../resolve/closure.js';
import { getTargets, type Target } from '../resolve/targets.js';
import { parseVersion } from '../resolve/universe.js';
import { canonicalizeVersion, type Version } from '../standards/version.js';
import { ownedNameMatcher, sdistsAllowed } from './guard.js';
import { type MirroredFile, type MirrorReport, mirror } from './mirror.js';
import { chooseUpstreams, transferOptions, UpstreamSources } from './sources.js';

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
  /** The lowest version, hosted or upstream, above every affected hosted one that no known advisory affects. */
  lowestFix: string | null;
  /** lowestFix is hosted already. */
  lowestFixHosted: boolean;
  /** Why there is no upstream information (owned name, not allowed, not found). */
  note: string | null;
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
}

interface Survey {
  report: OutdatedReport;
  /** Per project, every available version, oldest first. */
  available: Map<string, Available[]>;
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
  const files = await repo.catalog.files.list({ states: ['quarantined', 'approved'] });
  const hostedBy = new Map<string, Set<string>>();
  // Versions with an unyanked file: only those can be moved to.
  const usable = new Set<string>();
  for (const f of files) {
    if (opts.projects && !opts.projects.includes(f.project)) continue;
    let set = hostedBy.get(f.project);
    if (!set) hostedBy.set(f.project, (set = new Set()));
    set.add(f.version);
    if (!f.yanked) usable.add(`${f.project}\u0000${f.version}`);
  }
  const projects = [...hostedBy.keys()].sort();
  const index = new AdvisoryIndex(await repo.catalog.advisories.forPackages(projects));
  const limit = repo.config.mirror.concurrency;
  const out: ProjectCurrency[] = [];
  const available = new Map<string, Available[]>();
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
  return { report: { checkedAt: new Date().toISOString(), projects: out }, available };

  async function currencyOf(project: string): Promise<ProjectCurrency> {
    const hostedTexts = [...hostedBy.get(project)!];
    const hosted = hostedTexts.map(parseVersion).sort((a, b) => b.compare(a));
    const newestHosted = hosted[0]!;
    // Every version it could be at, keyed so that 2.0 and 2.0.0 are one.
    const versions = new Map<string, Available>();
    const offer = (v: Version, text: string, isHosted: boolean) => {
      if (v.isPrerelease && !opts.prereleases) return;
      const key = canonicalizeVersion(v);
      const cur = versions.get(key);
      if (cur) cur.hosted ||= isHosted;
      else versions.set(key, { version: v, text, hosted: isHosted, affected: index.match(project, text).length > 0 });
    };
    for (const text of hostedTexts) if (usable.has(`${project}\u0000${text}`)) offer(parseVersion(text), text, true);

    const source = await sources.get(project);
    let note: string | null = null;
    const seen = new Map<string, Version>();
    if (!source) {
      const refusal = sources.refused.find((r) => r.project === project);
      note = refusal ? refusal.reason : 'not found in any upstream allowed to supply it';
    } else {
      for (const c of source.candidates) {
        if (c.file.yanked !== false) continue;
        if (c.version.isPrerelease && !opts.prereleases) continue;
        seen.set(c.versionText, c.version);
        offer(c.version, c.versionText, false);
      }
    }
    const all = [...versions.values()].sort((a, b) => a.version.compare(b.version));
    available.set(project, all);
    // The fix for a version: the lowest unaffected version above it, wherever it is.
    const fixAbove = (v: Version): VersionFix | null => {
      const f = all.find((a) => !a.affected && a.version.compare(v) > 0);
      return f ? { version: f.text, hosted: f.hosted } : null;
    };
    const vulnerable = hosted
      .map((v) => ({ v, advisories: index.match(project, v.toString()).map((a) => a.id) }))
      .filter((x) => x.advisories.length > 0)
      .map((x) => ({ version: x.v.toString(), advisories: x.advisories, fix: fixAbove(x.v) }));
    // Newest first, so the first affected version is the one every fix must be above.
    const lowestFix = vulnerable.length > 0 ? fixAbove(parseVersion(vulnerable[0]!.version)) : null;
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
      note,
    };
  }
}

export interface PlannedUpgrade {
  project: string;
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
  apply?: boolean;
  actor: Actor;
}

export interface UpgradePlan {
  upgrades: PlannedUpgrade[];
  /** New files the upgrades bring in (the upgrades themselves and new dependencies). */
  newFiles: { filename: string; neededBy: string[] }[];
  /** Closure of the set as it would be after the upgrades, per target. */
  closure: { target: string; closed: boolean; problems: string[] }[];
  skipped: { project: string; reason: string }[];
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
 * before anything is mirrored (UPGRADE_PLAN_NOT_CLOSED, the plan in its details).
 */
export async function planUpgrades(repo: Repository, opts: PlanOptions): Promise<UpgradePlan> {
  const targets = getTargets(repo.config, opts.targets?.length ? opts.targets : await defaultTargets(repo));
  const { report, available } = await survey(repo, { from: opts.from });
  const skipped: UpgradePlan['skipped'] = [];
  const choices: Choice[] = [];
  for (const p of report.projects) {
    const all = available.get(p.project) ?? [];
    if (p.vulnerable.length > 0) {
      // Above every affected hosted version and itself unaffected: a hosted one needs no download.
      const floor = parseVersion(p.vulnerable[0]!.version);
      const fixes = all.filter((a) => !a.affected && a.version.compare(floor) > 0);
      const reasons = p.vulnerable.map((v) => `${v.version} affected by ${v.advisories.join(', ')}`);
      if (fixes.length === 0) {
        skipped.push({ project: p.project, reason: `${reasons.join('; ')}; no hosted or upstream version fixes it${p.note ? ` (${p.note})` : ''}` });
        continue;
      }
      choices.push({ project: p, options: opts.securityOnly ? fixes : fixes.reverse(), at: 0, reasons, passedOver: [] });
    } else if (!opts.securityOnly && p.behind > 0) {
      // Never onto a known-vulnerable version.
      const newer = all.filter((a) => !a.affected && a.version.compare(parseVersion(p.hosted[0]!)) > 0).reverse();
      if (newer.length === 0) {
        skipped.push({ project: p.project, reason: `${p.behind} newer release(s) upstream, each affected by a known advisory` });
        continue;
      }
      choices.push({ project: p, options: newer, at: 0, reasons: [`${p.behind} newer release(s) upstream`], passedOver: [] });
    }
  }

  const approved = await repo.catalog.files.list({ states: ['approved'] });
  const before = closureOfFiles(approved, targets);
  const plan: UpgradePlan = { upgrades: [], newFiles: [], closure: closureSummary(before), skipped, applied: null };
  // Problems the repository has already are not the upgrades' doing.
  const known = new Set(problemKeys(before).keys());
  let planned: MirrorReport = emptyReport(true);
  let hostedFiles: FileRecord[] = [];
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
    const after = [
      ...approved.filter((f) => !upgraded.has(f.project)),
      ...[...planned.fetched, ...planned.present].map(asApproved),
      ...hostedFiles.map((f) => ({ ...f, state: 'approved' as const })),
    ];
    const closure = closureOfFiles(after, targets);
    plan.closure = closureSummary(closure);

    // Who brought each new file in: the upgrade at the root of its chain.
    const broughtBy = new Map<string, string>();
    for (const f of [...planned.fetched, ...planned.present]) broughtBy.set(f.filename, f.neededBy[0] ?? f.project);
    for (const f of hostedFiles) broughtBy.set(f.filename, f.project);
    const blame = new Map<string, string[]>();
    const charge = (project: string, problem: string) => {
      if (!upgraded.has(project)) return;
      const list = blame.get(project) ?? [];
      if (!list.includes(problem)) list.push(problem);
      blame.set(project, list);
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
    if (blame.size === 0) break;
    const next: Choice[] = [];
    for (const c of live) {
      const problems = blame.get(c.project.project);
      if (!problems) {
        next.push(c);
        continue;
      }
      c.passedOver.push(`${c.options[c.at]!.text} not taken: it would leave ${problems.join('; ')}`);
      c.at++;
      if (c.at < c.options.length) next.push(c);
      else {
        skipped.push({
          project: c.project.project,
          reason: `${[...c.reasons, `no ${opts.securityOnly ? 'fixing ' : ''}version keeps closure`, ...c.passedOver].join('; ')}`,
        });
      }
    }
    live = next;
    if (live.length === 0) {
      planned = emptyReport(true);
      hostedFiles = [];
      plan.closure = closureSummary(before);
    }
  }

  plan.upgrades = live.map((c) => {
    const to = c.options[c.at]!;
    return {
      project: c.project.project,
      from: c.project.hosted,
      to: to.text,
      hosted: to.hosted,
      reasons: [...c.reasons, ...(to.hosted ? [`${to.text} is hosted already`] : []), ...c.passedOver],
    };
  });
  plan.newFiles = [...planned.fetched, ...planned.present].map((f) => ({ filename: f.filename, neededBy: f.neededBy }));
  for (const u of planned.unsatisfied) skipped.push({ project: u.requirement, reason: `${u.target}: ${u.reason}` });
  for (const f of planned.failed) skipped.push({ project: f.filename, reason: `${f.code}: ${f.message}` });
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
  const waiting: string[] = [];
  for (const f of [...mirrored.fetched, ...mirrored.present]) {
    const rec = await repo.catalog.files.getByFilename(f.filename);
    if (rec && rec.state !== 'approved') waiting.push(`${f.filename} (${rec.state})`);
  }
  for (const f of hostedFiles) if (f.state !== 'approved') waiting.push(`${f.filename} (${f.state})`);
  plan.applied = { mirror: mirrored, release: null, waiting };
  const base = await latestRelease(repo);
  // The patch pins the upgrades and the new dependencies they brought in (newest per project).
  const pins = new Map(plan.upgrades.map((u) => [u.project, u.to]));
  for (const f of [...mirrored.fetched, ...mirrored.present]) {
    const cur = pins.get(f.project);
    if (f.neededBy.length > 0 && !plan.upgrades.some((u) => u.project === f.project) && (!cur || parseVersion(f.version).compare(parseVersion(cur)) > 0)) {
      pins.set(f.project, f.version);
    }
  }
  const pinList = [...pins].map(([project, version]) => `${project}==${version}`);
  if (base && waiting.length === 0 && mirrored.failed.length === 0) {
    // Everything is in and approved (auto-approval passed every gate): draft the patch release.
    try {
      const release = await patchRelease(repo, base.name, { upgrades: pinList }, opts.actor);
      plan.applied.release = release.name;
    } catch (err) {
      // What was mirrored stays reported; the release's own checks say why it cannot be drafted.
      if (!(err instanceof PyvetError) || err.kind !== 'policy') throw err;
      plan.skipped.push({ project: '(release)', reason: `patch release from ${base.name} not drafted: ${err.message}` });
    }
  } else if (base) {
    plan.skipped.push({
      project: '(release)',
      reason: `patch release from ${base.name} not drafted: approve what waits (pyvet review), then pyvet release patch ${base.name} ${pinList.map((r) => `--upgrade ${r}`).join(' ')}`,
    });
  }
  return plan;
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
  return { fetched: [], present: [], refused: [], unsatisfied: [], failed: [], bytes: 0, seconds: 0, dryRun };
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
