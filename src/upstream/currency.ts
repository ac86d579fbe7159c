// Currency: how far the hosted set is behind its upstreams, what is known to be vulnerable and
// which upstream version fixes it, and a plan of upgrades that keeps every target closed. The
// plan is checked by running closure over the set as it would be after the upgrades (old
// versions of upgraded projects replaced), with the new files' metadata read from upstream.
import { AdvisoryIndex } from '../advisories/match.js';
import type { FileRecord } from '../catalog/types.js';
import type { Actor, Repository } from '../repository/types.js';
import { listReleases, patchRelease, type ReleaseSummary } from '../releases/service.js';
import { closureOfFiles } from '../resolve/closure.js';
import { getTargets, type Target } from '../resolve/targets.js';
import { parseVersion } from '../resolve/universe.js';
import { Version } from '../standards/version.js';
import { ownedNameMatcher, sdistsAllowed } from './guard.js';
import { type MirroredFile, type MirrorReport, mirror } from './mirror.js';
import { chooseUpstreams, transferOptions, UpstreamSources } from './sources.js';

export interface VulnerableVersion {
  version: string;
  advisories: string[];
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
  /** The lowest upstream version above the newest hosted one that no known advisory affects, when something hosted is vulnerable. */
  lowestFix: string | null;
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

export async function outdated(repo: Repository, opts: OutdatedOptions = {}): Promise<OutdatedReport> {
  const upstreams = await chooseUpstreams(repo, opts.from);
  const sources = new UpstreamSources(repo, upstreams, {
    isOwned: await ownedNameMatcher(repo),
    allowSdists: await sdistsAllowed(repo),
    transfer: transferOptions(repo),
  });
  const files = await repo.catalog.files.list({ states: ['quarantined', 'approved'] });
  const hostedBy = new Map<string, Set<string>>();
  for (const f of files) {
    if (opts.projects && !opts.projects.includes(f.project)) continue;
    let set = hostedBy.get(f.project);
    if (!set) hostedBy.set(f.project, (set = new Set()));
    set.add(f.version);
  }
  const projects = [...hostedBy.keys()].sort();
  const index = new AdvisoryIndex(await repo.catalog.advisories.forPackages(projects));
  const limit = repo.config.mirror.concurrency;
  const out: ProjectCurrency[] = [];
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
  return { checkedAt: new Date().toISOString(), projects: out };

  async function currencyOf(project: string): Promise<ProjectCurrency> {
    const hosted = [...hostedBy.get(project)!].map(parseVersion).sort((a, b) => b.compare(a));
    const newestHosted = hosted[0]!;
    const vulnerable = hosted
      .map((v) => ({ version: v.toString(), advisories: index.match(project, v.toString()).map((a) => a.id) }))
      .filter((v) => v.advisories.length > 0);
    const base: ProjectCurrency = {
      project,
      hosted: hosted.map(String),
      newest: null,
      behind: 0,
      upstream: null,
      vulnerable,
      lowestFix: null,
      note: null,
    };
    const source = await sources.get(project);
    if (!source) {
      const refusal = sources.refused.find((r) => r.project === project);
      return { ...base, note: refusal ? refusal.reason : 'not found in any upstream allowed to supply it' };
    }
    const seen = new Map<string, Version>();
    for (const c of source.candidates) {
      if (c.file.yanked !== false) continue;
      if (c.version.isPrerelease && !opts.prereleases) continue;
      seen.set(c.versionText, c.version);
    }
    const upstreamVersions = [...seen.values()].sort((a, b) => a.compare(b));
    const newer = upstreamVersions.filter((v) => v.compare(newestHosted) > 0);
    const fix = vulnerable.length > 0 ? newer.find((v) => index.match(project, v.toString()).length === 0) : undefined;
    return {
      ...base,
      newest: upstreamVersions.length ? upstreamVersions[upstreamVersions.length - 1]!.toString() : null,
      behind: newer.length,
      upstream: source.upstream.name,
      lowestFix: fix ? fix.toString() : null,
    };
  }
}

export interface PlannedUpgrade {
  project: string;
  from: string[];
  to: string;
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

/** The upgrades that bring the repository current (or out of known vulnerabilities), checked for closure. */
export async function planUpgrades(repo: Repository, opts: PlanOptions): Promise<UpgradePlan> {
  const targets = getTargets(repo.config, opts.targets?.length ? opts.targets : await defaultTargets(repo));
  const report = await outdated(repo, { from: opts.from });
  const upgrades: PlannedUpgrade[] = [];
  const skipped: UpgradePlan['skipped'] = [];
  for (const p of report.projects) {
    if (p.note && p.newest === null) continue;
    if (p.vulnerable.length > 0) {
      const reasons = p.vulnerable.map((v) => `${v.version} affected by ${v.advisories.join(', ')}`);
      const to = opts.securityOnly ? p.lowestFix : p.newest;
      if (!to || Version.compare(to, p.hosted[0]!) <= 0) {
        skipped.push({ project: p.project, reason: `${reasons.join('; ')}; no upstream version fixes it` });
      } else {
        upgrades.push({ project: p.project, from: p.hosted, to, reasons });
      }
    } else if (!opts.securityOnly && p.newest && p.behind > 0) {
      upgrades.push({ project: p.project, from: p.hosted, to: p.newest, reasons: [`${p.behind} newer release(s) upstream`] });
    }
  }
  const plan: UpgradePlan = { upgrades, newFiles: [], closure: [], skipped, applied: null };
  if (upgrades.length === 0) {
    plan.closure = closureSummary(closureOfFiles(await repo.catalog.files.list({ states: ['approved'] }), targets));
    return plan;
  }

  const requirements = upgrades.map((u) => `${u.project}==${u.to}`);
  const planned = await mirror(repo, {
    actor: opts.actor,
    requirements,
    from: opts.from,
    targets,
    withDeps: true,
    dryRun: true,
  });
  plan.newFiles = [...planned.fetched, ...planned.present].map((f) => ({ filename: f.filename, neededBy: f.neededBy }));
  for (const u of planned.unsatisfied) skipped.push({ project: u.requirement, reason: `${u.target}: ${u.reason}` });

  // The set after the upgrades: approved files, with every upgraded project's old versions replaced.
  const upgraded = new Set(upgrades.map((u) => u.project));
  const approved = await repo.catalog.files.list({ states: ['approved'] });
  const after = [...approved.filter((f) => !upgraded.has(f.project)), ...[...planned.fetched, ...planned.present].map(asApproved)];
  plan.closure = closureSummary(closureOfFiles(after, targets));

  if (opts.apply) {
    const mirrored = await mirror(repo, { actor: opts.actor, requirements, from: opts.from, targets, withDeps: true });
    const waiting: string[] = [];
    for (const f of [...mirrored.fetched, ...mirrored.present]) {
      const rec = await repo.catalog.files.getByFilename(f.filename);
      if (rec && rec.state !== 'approved') waiting.push(`${f.filename} (${rec.state})`);
    }
    plan.applied = { mirror: mirrored, release: null, waiting };
    const base = await latestRelease(repo);
    if (base && waiting.length === 0 && mirrored.failed.length === 0) {
      // Everything is in and approved (auto-approval passed every gate): draft the patch release.
      const release = await patchRelease(repo, base.name, { upgrades: requirements }, opts.actor);
      plan.applied.release = release.name;
    } else if (base) {
      plan.skipped.push({
        project: '(release)',
        reason: `patch release from ${base.name} not drafted: approve what waits (pyvet review), then pyvet release patch ${base.name} ${requirements.map((r) => `--upgrade ${r}`).join(' ')}`,
      });
    }
  }
  return plan;
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

function closureSummary(r: ReturnType<typeof closureOfFiles>): UpgradePlan['closure'] {
  return r.targets.map((t) => ({
    target: t.target,
    closed: t.closed,
    problems: [...t.missing, ...t.unsatisfiable].map(
      (p) => `${p.requirement} (needed by ${p.neededBy.map((n) => `${n.project}==${n.version}`).join(', ')})`,
    ),
  }));
}

export type { Target };
