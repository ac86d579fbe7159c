// Vetting services: vet one file when it arrives, rescan everything when advisories (or time)
// change, list findings. Each loads the policy, the advisories of the projects involved and the
// waivers, evaluates (evaluate.ts), stores the result and, where the policy says so, acts: every
// action and its audit entry commit in one transaction.
import { ensureBundledAdvisories } from '../advisories/import.js';
import { AdvisoryIndex } from '../advisories/match.js';
import type { Catalog } from '../catalog/catalog.js';
import type { FileRecord, FileState, IntegrityReport } from '../catalog/types.js';
import { PyvetError } from '../errors.js';
import { SYSTEM_ACTOR } from '../repository/roles.js';
import type { Actor, Repository } from '../repository/types.js';
import { evaluateFile, reasonRule } from './evaluate.js';
import { loadPolicy, type Policy } from './policy.js';
import type { Finding, VettingResult, Verdict, Waiver } from './types.js';

export interface VetOptions {
  /** The clock: waivers expire and releases age by it (tests inject one). */
  now?: () => Date;
}

export interface Decision {
  fileId: number;
  verdict: Verdict;
  /** Why, one line each, each naming its gate. */
  reasons: string[];
  findings: Finding[];
}

interface Context {
  policy: Policy;
  index: AdvisoryIndex;
  hosted: Set<string>;
  /** Projects with at least one approved file. */
  established: Set<string>;
  /** The origins of each established project's approved files (for the origin gate). */
  approvedOrigins: Map<string, string[]>;
  waivers: Map<number, Waiver[]>;
  now: Date;
}

/**
 * What evaluating files of `projects` needs. `waiversOf`: the one file whose waivers count, or
 * 'all' (a rescan), or 'none' (a file not stored yet has none). `approved`: every approved file
 * of those projects when the caller has them already (a rescan lists them anyway).
 */
async function loadContext(
  repo: Repository,
  projects: string[],
  waiversOf: number | 'all' | 'none',
  opts: VetOptions,
  approved?: readonly FileRecord[],
): Promise<Context> {
  await ensureBundledAdvisories(repo, SYSTEM_ACTOR);
  const { policy } = await loadPolicy(repo);
  const index = new AdvisoryIndex(await repo.catalog.advisories.forPackages(projects));
  // Vetting one file (every ingest) asks about its own project only; a rescan about all.
  const few = projects.length <= 100;
  const established = await repo.catalog.files.projectNames({ states: ['approved'], ...(few ? { among: projects } : {}) });
  let approvedFiles = approved;
  if (!approvedFiles) {
    const list: FileRecord[] = [];
    if (few) for (const p of projects.filter((x) => established.has(x))) list.push(...(await repo.catalog.files.list({ project: p, states: ['approved'] })));
    else list.push(...(await repo.catalog.files.list({ states: ['approved'] })));
    approvedFiles = list;
  }
  const approvedOrigins = new Map<string, string[]>();
  for (const f of approvedFiles) {
    if (f.state !== 'approved') continue;
    const list = approvedOrigins.get(f.project) ?? [];
    if (!list.includes(f.origin)) list.push(f.origin);
    approvedOrigins.set(f.project, list);
  }
  // Every hosted name, for the typosquat gate, which only new projects go through.
  const typosquat = policy.typosquat.enabled && projects.some((p) => !established.has(p));
  const hosted = typosquat ? await repo.catalog.files.projectNames() : new Set<string>();
  const waivers = new Map<number, Waiver[]>();
  const allWaivers =
    waiversOf === 'none' ? [] : await repo.catalog.vetting.listWaivers(waiversOf === 'all' ? undefined : waiversOf);
  for (const w of allWaivers) {
    const list = waivers.get(w.fileId) ?? [];
    list.push(w);
    waivers.set(w.fileId, list);
  }
  return { policy, index, hosted, established, approvedOrigins, waivers, now: (opts.now ?? (() => new Date()))() };
}

/** loadContext for files already stored; `complete`: `files` holds every approved file of their projects. */
function contextFor(repo: Repository, files: FileRecord[], opts: VetOptions, complete = false): Promise<Context> {
  const projects = [...new Set(files.map((f) => f.project))];
  return loadContext(repo, projects, files.length === 1 ? files[0]!.id : 'all', opts, complete ? files : undefined);
}

function evaluate(ctx: Context, file: FileRecord): VettingResult {
  return evaluateFile({
    file,
    advisories: ctx.index.match(file.project, file.version),
    waivers: ctx.waivers.get(file.id) ?? [],
    policy: ctx.policy,
    hostedProjects: ctx.hosted,
    newProject: !ctx.established.has(file.project),
    approvedOrigins: ctx.approvedOrigins.get(file.project) ?? [],
    now: ctx.now,
  });
}

async function getFile(catalog: Catalog, fileId: number): Promise<FileRecord> {
  const file = await catalog.files.get(fileId);
  if (!file) throw new PyvetError('FILE_NOT_FOUND', 'not_found', `no file with id ${fileId}`, { fileId });
  return file;
}

/** Applies a verdict to a quarantined file: approve or reject it, with audit entries. */
async function applyVerdict(tx: Catalog, file: FileRecord, result: VettingResult, actor: Actor): Promise<void> {
  await tx.vetting.putResult(result);
  await tx.audit.append({
    actor: actor.name,
    action: 'file.vet',
    subject: file.filename,
    details: {
      project: file.project,
      version: file.version,
      verdict: result.verdict,
      reasons: result.reasons,
      findings: result.findings.map((f) => ({ id: f.advisoryId, score: f.score, blocking: f.blocking, waiver: f.waiverId })),
    },
  });
  if (file.state !== 'quarantined' || result.verdict === 'hold') return;
  const target: FileState = result.verdict === 'approve' ? 'approved' : 'rejected';
  const reason = `vetting policy: ${result.reasons.join('; ')}`;
  await tx.files.setState(file.id, target, actor.name, reason);
  await tx.audit.append({
    actor: actor.name,
    action: result.verdict === 'approve' ? 'file.approve' : 'file.reject',
    subject: file.filename,
    details: { project: file.project, version: file.version, sha256: file.sha256, from: file.state, to: target, reason, auto: true },
  });
}

/** Vets one stored file: evaluates every gate, stores the result and applies it. */
export async function vetStoredFile(repo: Repository, fileId: number, actor: Actor, opts: VetOptions = {}): Promise<Decision> {
  const file = await getFile(repo.catalog, fileId);
  const ctx = await contextFor(repo, [file], opts);
  const result = evaluate(ctx, file);
  await repo.catalog.transaction(async (tx) => {
    // Re-read inside the transaction: someone may have approved or rejected it meanwhile.
    await applyVerdict(tx, await getFile(tx, fileId), result, actor);
  });
  repo.logger.info({ filename: file.filename, verdict: result.verdict }, 'file vetted');
  return { fileId, verdict: result.verdict, reasons: result.reasons, findings: result.findings };
}

/**
 * Vetting for a file about to be stored in `project`: the context is read now, and `decide`
 * evaluates and applies the decision inside the caller's transaction, the one that inserts the
 * file, so that a file is never stored without its decision.
 */
export async function prepareVetting(
  repo: Repository,
  project: string,
  actor: Actor,
  opts: VetOptions = {},
): Promise<{ decide: (tx: Catalog, file: FileRecord) => Promise<Decision> }> {
  const ctx = await loadContext(repo, [project], 'none', opts);
  return {
    decide: async (tx, file) => {
      const result = evaluate(ctx, file);
      await applyVerdict(tx, file, result, actor);
      return { fileId: file.id, verdict: result.verdict, reasons: result.reasons, findings: result.findings };
    },
  };
}

/**
 * Vets every quarantined file that has no decision yet. Ingest now commits the decision with the
 * row, but repositories written before it did (row first, vetting after) can hold files a crash
 * left undecided: quarantined and safe, but waiting on nobody. Batch ingest, mirroring and the
 * server run this first; it costs one query when there are none.
 */
export async function vetUndecided(repo: Repository, actor: Actor = SYSTEM_ACTOR, opts: VetOptions = {}): Promise<Decision[]> {
  const out: Decision[] = [];
  for (const id of await repo.catalog.vetting.undecidedFileIds()) out.push(await vetStoredFile(repo, id, actor, opts));
  if (out.length > 0) repo.logger.warn({ files: out.length }, 'vetted files that had no decision (left by an interrupted ingest of an earlier version)');
  return out;
}

/** Evaluates one file now and stores the result, changing no state. */
export async function scanFile(repo: Repository, fileId: number, opts: VetOptions = {}): Promise<VettingResult> {
  const file = await getFile(repo.catalog, fileId);
  const ctx = await contextFor(repo, [file], opts);
  const result = evaluate(ctx, file);
  await repo.catalog.vetting.putResult(result);
  return result;
}

export interface FileChange {
  fileId: number;
  filename: string;
  project: string;
  version: string;
  state: FileState;
  /** The blocking advisories now (newly vulnerable) or before (no longer vulnerable). */
  advisories: string[];
}

export interface RescanReport {
  scanned: number;
  /** Approved files that now have a blocking finding they did not have before. */
  newlyVulnerable: FileChange[];
  /** Files whose blocking findings are all gone (fixed advisories, withdrawn, waived). */
  noLongerVulnerable: FileChange[];
  /**
   * Approved files that a policy gate other than advisories now fails and did not before (a
   * licence or project put on a deny list, an owned name, sdists or a size limit turned on):
   * reported and audited, never acted on; withdrawing them is the operator's call.
   */
  newlyBlocked: BlockedChange[];
  /** Approved files yanked because of on_newly_vulnerable: yank. */
  yanked: string[];
  /** Quarantined files the re-evaluation approved or rejected. */
  approved: string[];
  rejected: string[];
  /**
   * Every approved, unyanked file that has an unwaived blocking finding or fails a policy rule
   * now, whether or not that is new (a cron job must keep noticing): what `rescan` exits 1 for.
   * A reason overridden by the file's approval (--force, its audit entry's overriddenBlockers)
   * was accepted then and is left out.
   */
  approvedBlocked: ApprovedBlocked[];
  onNewlyVulnerable: Policy['on_newly_vulnerable'];
}

export interface ApprovedBlocked {
  fileId: number;
  filename: string;
  project: string;
  version: string;
  reasons: string[];
}

export interface BlockedChange {
  fileId: number;
  filename: string;
  project: string;
  version: string;
  /** The gates newly failed, and why, one line each. */
  gates: string[];
  reasons: string[];
}

// Gates whose outcome for an approved file changes only with the policy. The advisory gate has
// its own report (newlyVulnerable); age only grows, and typosquatting concerns new projects only.
const POLICY_GATES = new Set(['owned_names', 'deny', 'allow_sdists', 'integrity', 'licenses', 'max_file_bytes']);

/** The policy gates a result fails (a result stored before gates were kept counts as none). */
const failedPolicyGates = (r: VettingResult | undefined) =>
  (r?.gates ?? []).filter((g) => POLICY_GATES.has(g.gate) && g.outcome !== 'pass');

/** Settings key: when the last rescan ran (ISO 8601), whichever process ran it (see clock.ts). */
export const LAST_RESCAN_KEY = 'vetting.last_rescan_at';

const blockingIds = (r: VettingResult | undefined) =>
  r ? r.findings.filter((f) => f.blocking).map((f) => f.advisoryId) : [];

/**
 * Re-evaluates every file not rejected (after an advisory import, a waiver, or just later:
 * waivers expire). Approved files that became vulnerable are reported, and yanked when the
 * policy says so; quarantined files get their decision applied again.
 */
export async function rescanAll(repo: Repository, actor: Actor = SYSTEM_ACTOR, opts: VetOptions = {}): Promise<RescanReport> {
  const files = await repo.catalog.files.list({ states: ['quarantined', 'approved'] });
  const ctx = await contextFor(repo, files, opts, true);
  const previous = new Map((await repo.catalog.vetting.listResults()).map((r) => [r.fileId, r]));
  const report: RescanReport = {
    scanned: files.length,
    newlyVulnerable: [],
    noLongerVulnerable: [],
    newlyBlocked: [],
    yanked: [],
    approved: [],
    rejected: [],
    approvedBlocked: [],
    onNewlyVulnerable: ctx.policy.on_newly_vulnerable,
  };
  const blocked: ApprovedBlocked[] = [];
  await repo.catalog.transaction(async (tx) => {
    for (const file of files) {
      const result = evaluate(ctx, file);
      const before = new Set(blockingIds(previous.get(file.id)));
      const now = blockingIds(result);
      const change = (advisories: string[]): FileChange => ({
        fileId: file.id,
        filename: file.filename,
        project: file.project,
        version: file.version,
        state: file.state,
        advisories,
      });
      if (before.size > 0 && now.length === 0) report.noLongerVulnerable.push(change([...before]));
      if (file.state === 'quarantined') {
        const prev = previous.get(file.id);
        // An unchanged hold is stored again (its time) but not audited again at every import.
        if (result.verdict === 'hold' && prev?.verdict === 'hold' && JSON.stringify(prev.reasons) === JSON.stringify(result.reasons)) {
          await tx.vetting.putResult(result);
          continue;
        }
        await applyVerdict(tx, file, result, actor);
        if (result.verdict === 'approve') report.approved.push(file.filename);
        if (result.verdict === 'reject') report.rejected.push(file.filename);
        continue;
      }
      await tx.vetting.putResult(result);
      // What keeps an approved file blocked: findings and the policy's rules, not the rules
      // about a file entering nor the holds that ask for the look its approval was.
      const still = result.reasons.filter((r) => {
        const rule = reasonRule(r);
        return rule.blocks !== false && !rule.entering;
      });
      if (!file.yanked && still.length > 0) {
        blocked.push({ fileId: file.id, filename: file.filename, project: file.project, version: file.version, reasons: still });
      }
      const failedBefore = new Set(failedPolicyGates(previous.get(file.id)).map((g) => g.gate));
      const newlyFailed = failedPolicyGates(result).filter((g) => !failedBefore.has(g.gate));
      if (newlyFailed.length > 0) {
        const entry: BlockedChange = {
          fileId: file.id,
          filename: file.filename,
          project: file.project,
          version: file.version,
          gates: newlyFailed.map((g) => g.gate),
          reasons: newlyFailed.flatMap((g) => g.reasons),
        };
        report.newlyBlocked.push(entry);
        await tx.audit.append({
          actor: actor.name,
          action: 'file.newly_blocked',
          subject: file.filename,
          details: { project: file.project, version: file.version, gates: entry.gates, reasons: entry.reasons },
        });
      }
      const added = now.filter((id) => !before.has(id));
      if (added.length === 0) continue;
      report.newlyVulnerable.push(change(added));
      await tx.audit.append({
        actor: actor.name,
        action: 'file.newly_vulnerable',
        subject: file.filename,
        details: { project: file.project, version: file.version, advisories: added, reasons: result.reasons },
      });
      if (ctx.policy.on_newly_vulnerable === 'yank' && !file.yanked) {
        const reason = `newly vulnerable: ${added.join(', ')}`;
        await tx.files.setYanked(file.id, true, reason);
        await tx.audit.append({
          actor: actor.name,
          action: 'file.yank',
          subject: file.filename,
          details: { project: file.project, version: file.version, reason, auto: true },
        });
        report.yanked.push(file.filename);
      }
    }
    // What the vetting clock (clock.ts) measures time-based changes from.
    await tx.settings.set(LAST_RESCAN_KEY, ctx.now.toISOString());
  });
  const open = blocked.filter((b) => !report.yanked.includes(b.filename));
  if (open.length > 0) {
    const history = await repo.catalog.audit.bySubject(open.map((b) => b.filename));
    for (const b of open) {
      const approval = history.filter((e) => e.subject === b.filename && e.action === 'file.approve').at(-1);
      const accepted = new Set((approval?.details.overriddenBlockers as string[] | undefined) ?? []);
      const reasons = b.reasons.filter((r) => !accepted.has(r));
      if (reasons.length > 0) report.approvedBlocked.push({ ...b, reasons });
    }
  }
  repo.logger.info(
    { scanned: report.scanned, newlyVulnerable: report.newlyVulnerable.length, yanked: report.yanked.length, approvedBlocked: report.approvedBlocked.length },
    'rescan done',
  );
  return report;
}

export interface ScanRow {
  fileId: number;
  project: string;
  version: string;
  filename: string;
  state: FileState;
  yanked: boolean;
  verdict: Verdict;
  reasons: string[];
  license: string | null;
  integrity: IntegrityReport;
  findings: Finding[];
}

/** Evaluates files now (all, or those in `states`) without storing or changing anything. */
export async function scanFiles(repo: Repository, opts: VetOptions & { states?: FileState[]; project?: string } = {}): Promise<ScanRow[]> {
  const files = await repo.catalog.files.list({
    ...(opts.states ? { states: opts.states } : {}),
    ...(opts.project ? { project: opts.project } : {}),
  });
  const ctx = await contextFor(repo, files, opts, !opts.states || opts.states.includes('approved'));
  return files.map((file) => {
    const r = evaluate(ctx, file);
    return {
      fileId: file.id,
      project: file.project,
      version: file.version,
      filename: file.filename,
      state: file.state,
      yanked: file.yanked,
      verdict: r.verdict,
      reasons: r.reasons,
      license: file.license,
      integrity: file.integrity,
      findings: r.findings,
    };
  });
}
