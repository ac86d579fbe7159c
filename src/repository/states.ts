// File states: quarantined → approved / rejected, and PEP 592 yanking. What each action may do to a
// file in each state is decided in one place (`step`). Every selector is resolved and every file
// checked before anything changes: a selector that names nothing, or a file named exactly that
// the action cannot apply to, fails the whole command; then all changes and their audit entries
// commit in one transaction.
import type { Catalog } from '../catalog/catalog.js';
import type { FileRecord, FileState } from '../catalog/types.js';
import { PyvetError } from '../errors.js';
import { canonicalizeName } from '../standards/names.js';
import { Version } from '../standards/version.js';
import { reasonRule } from '../vetting/evaluate.js';
import { approvalBlockers } from '../vetting/evidence.js';
import { requireRole } from './roles.js';
import type { Actor, Repository } from './types.js';

/**
 * Which files an action applies to: a filename (`x-1.0-py3-none-any.whl`), `NAME` (every file of
 * a project), `NAME==VERSION` (one release), or `all waiting` / `all-waiting` (every quarantined file).
 */
export type FileSelector = string;

export type FileAction = 'approve' | 'reject' | 'yank' | 'unyank';

/** A file a broad selector named that the action leaves alone, and why. */
export interface SkippedFile {
  file: FileRecord;
  reason: string;
  /** Set when the vetting policy blocks it (approve): what blocks it. */
  blockers?: string[];
}

/** A rejection overturned by approving the file by its exact filename. */
export interface OverturnedRejection {
  filename: string;
  rejectedBy: string;
  rejectedAt: string;
  rejectedReason: string | null;
}

export interface StateChangeResult {
  /** Files whose state changed (as they are now). */
  changed: FileRecord[];
  /** Files the selectors named that were already in the target state. */
  unchanged: FileRecord[];
  /** Files a NAME, NAME==VERSION or 'all waiting' named that the action does not apply to (a rejected file when approving). */
  skipped: SkippedFile[];
  /** Rejections this approval overturned. */
  overturned: OverturnedRejection[];
  /** Changed files that published releases pin: filename → release names (reject and yank only). */
  pinnedIn: Record<string, string[]>;
}

const ARCHIVE = /\.(whl|tar\.gz|zip)$/i;
const ALL_WAITING = /^all[ -]waiting$/i;

/** PEP 440 equality (1.0 == 1.0.0); versions that do not parse compare as strings. */
function sameVersion(stored: string, wanted: string): boolean {
  const a = Version.tryParse(stored);
  const b = Version.tryParse(wanted);
  return a && b ? Version.compare(a, b) === 0 : stored === wanted;
}

/** The files a selector names (possibly none), and whether it names one file by its exact filename. */
/**
 * The files a selector names. `exact`: by filename; `release`: by filename or NAME==VERSION (a
 * bare NAME or 'all waiting' is neither).
 */
async function resolveSelector(catalog: Catalog, selector: FileSelector): Promise<{ files: FileRecord[]; exact: boolean; release: boolean }> {
  const s = selector.trim();
  if (ALL_WAITING.test(s)) return { files: await catalog.files.list({ states: ['quarantined'] }), exact: false, release: false };
  if (ARCHIVE.test(s) && !s.includes('==')) {
    const f = await catalog.files.getByFilename(s);
    return { files: f ? [f] : [], exact: true, release: true };
  }
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:==\s*(\S+))?$/.exec(s);
  if (!m) {
    throw new PyvetError(
      'SELECTOR_INVALID',
      'invalid',
      `${JSON.stringify(selector)} is not a filename, NAME, NAME==VERSION or 'all waiting'`,
      { selector },
    );
  }
  let files = await catalog.files.list({ project: canonicalizeName(m[1]!) });
  const version = m[2];
  if (version !== undefined) files = files.filter((f) => sameVersion(f.version, version));
  return { files, exact: false, release: version !== undefined };
}

/** Resolves a selector to files; throws NOT_FOUND when it names none ('all waiting' may name none). */
export async function selectFiles(catalog: Catalog, selector: FileSelector): Promise<FileRecord[]> {
  const { files } = await resolveSelector(catalog, selector);
  if (files.length === 0 && !ALL_WAITING.test(selector.trim())) {
    throw new PyvetError('FILE_NOT_FOUND', 'not_found', `no file matches ${JSON.stringify(selector)}`, { selector });
  }
  return files;
}

type Step = 'change' | 'already' | 'overturn' | { refused: string };

/**
 * The allowed transitions: what `action` does to a file as it stands. 'already': it is so now;
 * 'overturn': approving a rejected file, which only naming it by its filename may do; `refused`:
 * the action means nothing in this state.
 */
function step(action: FileAction, f: FileRecord): Step {
  switch (action) {
    case 'approve':
      return f.state === 'approved' ? 'already' : f.state === 'rejected' ? 'overturn' : 'change';
    case 'reject':
      // An approved file may be withdrawn (a security response); its audit entry says from: approved.
      return f.state === 'rejected' ? 'already' : 'change';
    case 'yank':
      // Yanking (PEP 592) marks a file that is served; a quarantined or rejected one never is.
      if (f.state !== 'approved') return { refused: `it is ${f.state}, never served: only an approved file can be yanked` };
      return f.yanked ? 'already' : 'change';
    case 'unyank':
      return f.yanked ? 'change' : 'already';
  }
}

interface Plan {
  /** `exact`: named by its filename (not only by NAME, NAME==VERSION or 'all waiting'). */
  changes: { file: FileRecord; overturn: boolean; exact: boolean }[];
  unchanged: FileRecord[];
  skipped: SkippedFile[];
}

function rejection(f: FileRecord): string {
  return `rejected by ${f.stateChangedBy}${f.stateReason ? ` (${JSON.stringify(f.stateReason)})` : ''}`;
}

/** Resolves every selector and decides every file's step; throws before anything changes. */
async function plan(catalog: Catalog, selectors: readonly FileSelector[], action: FileAction): Promise<Plan> {
  const named = new Map<number, { file: FileRecord; exact: boolean; release: boolean }>();
  const unmatched: string[] = [];
  for (const s of selectors) {
    const { files, exact, release } = await resolveSelector(catalog, s);
    if (files.length === 0 && !ALL_WAITING.test(s.trim())) unmatched.push(s);
    // A file named both by its filename and by a broader selector counts as named exactly.
    for (const f of files) {
      const before = named.get(f.id);
      named.set(f.id, { file: f, exact: exact || before?.exact === true, release: release || before?.release === true });
    }
  }
  if (unmatched.length > 0) {
    throw new PyvetError(
      'FILE_NOT_FOUND',
      'not_found',
      `no file matches ${unmatched.map((s) => JSON.stringify(s)).join(', ')}${selectors.length > 1 ? '; nothing was changed' : ''}`,
      { selector: unmatched[0], selectors: unmatched },
    );
  }
  const p: Plan = { changes: [], unchanged: [], skipped: [] };
  const refused: string[] = [];
  for (const { file, exact, release } of named.values()) {
    if (action === 'reject' && file.state === 'approved' && !release) {
      // `reject NAME` to turn away a new upload must not take down the versions being served.
      p.skipped.push({ file, reason: 'approved and served: a bare project name rejects only what waits; name its release (NAME==VERSION) or its filename to withdraw it' });
      continue;
    }
    const s = step(action, file);
    if (s === 'already') p.unchanged.push(file);
    else if (s === 'change') p.changes.push({ file, overturn: false, exact });
    else if (s === 'overturn') {
      if (exact) p.changes.push({ file, overturn: true, exact });
      else {
        const reason = `${rejection(file)}: only approving it by its filename overturns a rejection (pyvet approve ${file.filename} --reason …)`;
        p.skipped.push({ file, reason });
      }
    } else if (exact) refused.push(`${file.filename}: ${s.refused}`);
    else p.skipped.push({ file, reason: s.refused });
  }
  if (refused.length > 0) {
    throw new PyvetError('FILE_STATE_INVALID', 'conflict', `cannot ${action} ${refused.join('; ')}; nothing was changed`, {
      action,
      refused,
    });
  }
  return p;
}

/** The published releases that pin each of `files`, by file id (newest release first). */

function needReason(reason: string | null | undefined, action: string): string {
  const r = reason?.trim();
  if (!r) throw new PyvetError('REASON_REQUIRED', 'invalid', `a reason is required to ${action}`, { action });
  return r;
}

function list(selectors: FileSelector | readonly FileSelector[]): readonly FileSelector[] {
  return typeof selectors === 'string' ? [selectors] : selectors;
}

async function changeFiles(
  repo: Repository,
  selectors: readonly FileSelector[],
  actor: Actor,
  action: FileAction,
  reason: string | null,
  overridden: Record<string, string[]> = {},
  /** Approve only these: the files whose blockers were asked about before the transaction. */
  checked?: ReadonlySet<string>,
): Promise<StateChangeResult> {
  const result = await repo.catalog.transaction(async (tx) => {
    const p = await plan(tx, selectors, action);
    if (checked) {
      // A file that arrived (or became approvable) after the policy was asked about it is left
      // for the next run: approving it now would skip its blockers.
      const late = p.changes.filter((c) => !checked.has(c.file.filename));
      p.changes = p.changes.filter((c) => checked.has(c.file.filename));
      for (const { file } of late) p.skipped.push({ file, reason: 'it arrived while this approval ran: approve it again' });
    }
    const withdrawn = action === 'reject' || action === 'yank';
    const pinned = withdrawn ? await tx.releaseSets.releasesPinning(p.changes.map((c) => c.file.id)) : new Map<number, string[]>();
    const result: StateChangeResult = { changed: [], unchanged: p.unchanged, skipped: p.skipped, overturned: [], pinnedIn: {} };
    for (const { file: f, overturn } of p.changes) {
      const releases = pinned.get(f.id) ?? [];
      if (releases.length > 0) result.pinnedIn[f.filename] = releases;
      let after: FileRecord;
      let transition: Record<string, unknown>;
      if (action === 'approve' || action === 'reject') {
        const to: FileState = action === 'approve' ? 'approved' : 'rejected';
        after = await tx.files.setState(f.id, to, actor.name, reason);
        transition = { from: f.state, to };
      } else {
        after = await tx.files.setYanked(f.id, action === 'yank', reason);
        transition = {};
      }
      const earlier = { by: f.stateChangedBy, at: f.stateChangedAt, reason: f.stateReason };
      if (overturn) result.overturned.push({ filename: f.filename, rejectedBy: earlier.by, rejectedAt: earlier.at, rejectedReason: earlier.reason });
      await tx.audit.append({
        actor: actor.name,
        action: `file.${action}`,
        subject: f.filename,
        details: {
          project: f.project,
          version: f.version,
          sha256: f.sha256,
          ...transition,
          reason,
          ...(overturn ? { overturnedRejection: earlier } : {}),
          ...(overridden[f.filename] ? { overriddenBlockers: overridden[f.filename] } : {}),
          ...(releases.length > 0 ? { pinnedIn: releases } : {}),
        },
      });
      result.changed.push(after);
    }
    return result;
  });
  repo.logger.info(
    { selectors, action, by: actor.name, changed: result.changed.length, skipped: result.skipped.length, overturned: result.overturned.length },
    `files ${action === 'approve' ? 'approved' : `${action}ed`}`,
  );
  return result;
}

/**
 * Approves the selected files (approver role); a reason is required. A rejected file is approved
 * only when named by its filename (the result and the audit entry say a rejection was overturned);
 * a broader selector skips it.
 */
export async function approveFiles(
  repo: Repository,
  selectors: FileSelector | readonly FileSelector[],
  actor: Actor,
  reason: string,
  opts: { force?: boolean } = {},
): Promise<StateChangeResult> {
  requireRole(actor, 'approver', 'approve files');
  const r = needReason(reason, 'approve');
  const all = list(selectors);
  // A file the policy blocks (an unwaived finding, an owned name from outside, the deny list)
  // is approved only on purpose: a waiver, or --force, which the audit entry records. Only the
  // files this approval would change are asked about.
  const changes = (await plan(repo.catalog, all, 'approve')).changes;
  const planned = changes.map((c) => c.file);
  const changing = new Set(planned.map((f) => f.filename));
  const blockers = await approvalBlockers(repo, planned);
  // A broad selector (NAME, NAME==VERSION, 'all waiting') approves what it can and leaves the
  // blocked files waiting, each with why: one bad upload must not hold up the rest. A blocked
  // file named by its filename, or a selection that would approve nothing, is refused instead.
  const passedOver = new Map<string, string[]>();
  if (!opts.force) {
    for (const c of changes) {
      const b = blockers[c.file.filename];
      if (b && !c.exact) passedOver.set(c.file.filename, b);
    }
    if (passedOver.size === changing.size) passedOver.clear();
    for (const f of passedOver.keys()) {
      changing.delete(f);
      delete blockers[f];
    }
  }
  const blocked = Object.keys(blockers);
  if (blocked.length > 0 && !opts.force) {
    throw new PyvetError(
      'APPROVAL_BLOCKED',
      'policy',
      `${blocked.length} file(s) are blocked by the vetting policy: ${blocked
        .map((f) => `${f} (${blockers[f]!.join('; ')})`)
        .join(', ')}; ${
        // A waiver answers a finding only: a licence, an origin or a size is accepted with --force.
        Object.values(blockers).flat().some((r) => reasonRule(r).blocks === 'finding')
          ? 'grant a waiver (pyvet waive) for a finding, or approve with --force (recorded in the audit log)'
          : 'approve with --force if that is intended (recorded in the audit log)'
      }`,
      { blockers },
    );
  }
  const result = await changeFiles(repo, all, actor, 'approve', r, blockers, changing);
  for (const skipped of result.skipped) {
    const b = passedOver.get(skipped.file.filename);
    if (!b) continue;
    skipped.reason = `blocked by the vetting policy (${b.join('; ')}): approve it by its filename, with a waiver for a finding or --force`;
    skipped.blockers = b;
  }
  return result;
}

/** Rejects the selected files (approver role); a reason is required. An approved file may be rejected. */
export async function rejectFiles(
  repo: Repository,
  selectors: FileSelector | readonly FileSelector[],
  actor: Actor,
  reason: string,
): Promise<StateChangeResult> {
  requireRole(actor, 'approver', 'reject files');
  return changeFiles(repo, list(selectors), actor, 'reject', needReason(reason, 'reject'));
}

/** Yanks the selected approved files (PEP 592; approver role); a reason is required and shown to pip users. */
export async function yankFiles(
  repo: Repository,
  selectors: FileSelector | readonly FileSelector[],
  actor: Actor,
  reason: string,
): Promise<StateChangeResult> {
  requireRole(actor, 'approver', 'yank files');
  return changeFiles(repo, list(selectors), actor, 'yank', needReason(reason, 'yank'));
}

/** Un-yanks the selected files (approver role); the reason, if any, goes to the audit log. */
export async function unyankFiles(
  repo: Repository,
  selectors: FileSelector | readonly FileSelector[],
  actor: Actor,
  reason?: string | null,
): Promise<StateChangeResult> {
  requireRole(actor, 'approver', 'unyank files');
  return changeFiles(repo, list(selectors), actor, 'unyank', reason?.trim() || null);
}
