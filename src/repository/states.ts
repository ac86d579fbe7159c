// File states: quarantined → approved / rejected, and PEP 592 yanking. Each change and its audit
// entry commit in one transaction; a selector that names nothing changes nothing and says so.
import type { Catalog } from '../catalog/catalog.js';
import type { FileRecord, FileState } from '../catalog/types.js';
import { PyvetError } from '../errors.js';
import { canonicalizeName } from '../standards/names.js';
import { Version } from '../standards/version.js';
import { requireRole } from './roles.js';
import { approvalBlockers } from '../vetting/evidence.js';
import type { Actor, Repository } from './types.js';

/**
 * Which files an action applies to: a filename (`x-1.0-py3-none-any.whl`), `NAME` (every file of
 * a project), `NAME==VERSION` (one release), or `all waiting` / `all-waiting` (every quarantined file).
 */
export type FileSelector = string;

export interface StateChangeResult {
  /** Files whose state changed (as they are now). */
  changed: FileRecord[];
  /** Files the selector named that were already in the target state. */
  unchanged: FileRecord[];
}

const ARCHIVE = /\.(whl|tar\.gz|zip)$/i;

/** PEP 440 equality (1.0 == 1.0.0); versions that do not parse compare as strings. */
function sameVersion(stored: string, wanted: string): boolean {
  const a = Version.tryParse(stored);
  const b = Version.tryParse(wanted);
  return a && b ? Version.compare(a, b) === 0 : stored === wanted;
}

/** Resolves a selector to files; throws NOT_FOUND when it names none. */
export async function selectFiles(catalog: Catalog, selector: FileSelector): Promise<FileRecord[]> {
  const s = selector.trim();
  let files: FileRecord[];
  if (/^all[ -]waiting$/i.test(s)) {
    files = await catalog.files.list({ states: ['quarantined'] });
    return files; // an empty queue is not an error
  }
  if (ARCHIVE.test(s) && !s.includes('==')) {
    const f = await catalog.files.getByFilename(s);
    files = f ? [f] : [];
  } else {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:==\s*(\S+))?$/.exec(s);
    if (!m) {
      throw new PyvetError(
        'SELECTOR_INVALID',
        'invalid',
        `${JSON.stringify(selector)} is not a filename, NAME, NAME==VERSION or 'all waiting'`,
        { selector },
      );
    }
    const project = canonicalizeName(m[1]!);
    files = await catalog.files.list({ project });
    if (m[2] !== undefined) {
      const version = m[2];
      files = files.filter((f) => sameVersion(f.version, version));
    }
  }
  if (files.length === 0) {
    throw new PyvetError('FILE_NOT_FOUND', 'not_found', `no file matches ${JSON.stringify(selector)}`, { selector });
  }
  return files;
}

function needReason(reason: string | null | undefined, action: string): string {
  const r = reason?.trim();
  if (!r) throw new PyvetError('REASON_REQUIRED', 'invalid', `a reason is required to ${action}`, { action });
  return r;
}

async function changeState(
  repo: Repository,
  selector: FileSelector,
  actor: Actor,
  target: FileState,
  reason: string,
  overridden: Record<string, string[]> = {},
): Promise<StateChangeResult> {
  const verb = target === 'approved' ? 'approve' : 'reject';
  return repo.catalog.transaction(async (tx) => {
    const result: StateChangeResult = { changed: [], unchanged: [] };
    for (const f of await selectFiles(tx, selector)) {
      if (f.state === target) {
        result.unchanged.push(f);
        continue;
      }
      const after = await tx.files.setState(f.id, target, actor.name, reason);
      await tx.audit.append({
        actor: actor.name,
        action: `file.${verb}`,
        subject: f.filename,
        details: {
          project: f.project,
          version: f.version,
          sha256: f.sha256,
          from: f.state,
          to: target,
          reason,
          ...(overridden[f.filename] ? { overriddenBlockers: overridden[f.filename] } : {}),
        },
      });
      result.changed.push(after);
    }
    return result;
  });
}

/** Approves the selected files (approver role); a reason is required. */
export async function approveFiles(
  repo: Repository,
  selector: FileSelector,
  actor: Actor,
  reason: string,
  opts: { force?: boolean } = {},
): Promise<StateChangeResult> {
  requireRole(actor, 'approver', 'approve files');
  const r = needReason(reason, 'approve');
  // A file the policy blocks (an unwaived finding, an owned name from outside, the deny list)
  // is approved only on purpose: a waiver, or --force, which the audit entry records.
  const blockers = await approvalBlockers(repo, selector);
  const blocked = Object.keys(blockers);
  if (blocked.length > 0 && !opts.force) {
    throw new PyvetError(
      'APPROVAL_BLOCKED',
      'policy',
      `${blocked.length} file(s) are blocked by the vetting policy: ${blocked
        .map((f) => `${f} (${blockers[f]!.join('; ')})`)
        .join(', ')}; grant a waiver (pyvet waive) or approve with --force`,
      { blockers },
    );
  }
  const result = await changeState(repo, selector, actor, 'approved', r, blockers);
  repo.logger.info({ selector, by: actor.name, changed: result.changed.length }, 'files approved');
  return result;
}

/** Rejects the selected files (approver role); a reason is required. */
export async function rejectFiles(
  repo: Repository,
  selector: FileSelector,
  actor: Actor,
  reason: string,
): Promise<StateChangeResult> {
  requireRole(actor, 'approver', 'reject files');
  const r = needReason(reason, 'reject');
  const result = await changeState(repo, selector, actor, 'rejected', r);
  repo.logger.info({ selector, by: actor.name, changed: result.changed.length }, 'files rejected');
  return result;
}

async function changeYank(
  repo: Repository,
  selector: FileSelector,
  actor: Actor,
  yanked: boolean,
  reason: string | null,
): Promise<StateChangeResult> {
  return repo.catalog.transaction(async (tx) => {
    const result: StateChangeResult = { changed: [], unchanged: [] };
    for (const f of await selectFiles(tx, selector)) {
      if (f.yanked === yanked) {
        result.unchanged.push(f);
        continue;
      }
      const after = await tx.files.setYanked(f.id, yanked, reason);
      await tx.audit.append({
        actor: actor.name,
        action: yanked ? 'file.yank' : 'file.unyank',
        subject: f.filename,
        details: { project: f.project, version: f.version, sha256: f.sha256, reason },
      });
      result.changed.push(after);
    }
    return result;
  });
}

/** Yanks the selected files (PEP 592; approver role); a reason is required and shown to pip users. */
export async function yankFiles(
  repo: Repository,
  selector: FileSelector,
  actor: Actor,
  reason: string,
): Promise<StateChangeResult> {
  requireRole(actor, 'approver', 'yank files');
  return changeYank(repo, selector, actor, true, needReason(reason, 'yank'));
}

/** Un-yanks the selected files (approver role); the reason, if any, goes to the audit log. */
export async function unyankFiles(
  repo: Repository,
  selector: FileSelector,
  actor: Actor,
  reason?: string | null,
): Promise<StateChangeResult> {
  requireRole(actor, 'approver', 'unyank files');
  return changeYank(repo, selector, actor, false, reason?.trim() || null);
}
