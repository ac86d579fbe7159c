// Evidence: everything pyvet knows about a file, for an auditor or an approver — integrity
// results from ingest, licence, findings and the decision as they stand now, waivers, and the
// file's history from the audit log.
import type { AuditEntry, FileRecord } from '../catalog/types.js';
import { selectFiles } from '../repository/states.js';
import type { Repository } from '../repository/types.js';
import { isWaiverActive, reasonRule } from './evaluate.js';
import { scanFiles, type ScanRow, type VetOptions } from './scan.js';
import type { VettingResult, Waiver } from './types.js';

export interface FileEvidence {
  file: FileRecord;
  /** The evaluation now (waivers and release age depend on the time). */
  current: ScanRow;
  /** The last stored result (from ingest or the last rescan). */
  stored: VettingResult | null;
  waivers: (Waiver & { active: boolean })[];
  history: AuditEntry[];
}

/** Evidence for every file a selector names (a filename, NAME==VERSION or NAME). */
export async function evidence(repo: Repository, selector: string, opts: VetOptions = {}): Promise<FileEvidence[]> {
  const files = await selectFiles(repo.catalog, selector);
  const now = (opts.now ?? (() => new Date()))();
  const ids = new Set(files.map((f) => f.id));
  const rows: ScanRow[] = [];
  for (const project of new Set(files.map((f) => f.project))) {
    rows.push(...(await scanFiles(repo, { ...opts, now: () => now, project })).filter((r) => ids.has(r.fileId)));
  }
  const subjects = [...new Set(files.flatMap((f) => [f.filename, `${f.project}==${f.version}`]))];
  const history: AuditEntry[] = await repo.catalog.audit.bySubject(subjects);
  const out: FileEvidence[] = [];
  for (const file of files) {
    out.push({
      file,
      current: rows.find((r) => r.fileId === file.id)!,
      stored: (await repo.catalog.vetting.getResult(file.id)) ?? null,
      waivers: (await repo.catalog.vetting.listWaivers(file.id)).map((w) => ({ ...w, active: isWaiverActive(w, now) })),
      history: history.filter((e) => e.subject === file.filename || e.subject === `${file.project}==${file.version}`),
    });
  }
  return out;
}

/** What waits for review, with the reasons it waits. */
export async function reviewQueue(repo: Repository, opts: VetOptions = {}): Promise<ScanRow[]> {
  return scanFiles(repo, { ...opts, states: ['quarantined'] });
}

/**
 * For `pyvet approve` (repository core): the reasons these files should not be approved by hand
 * (unwaived blocking findings, the policy's rules), keyed by filename. Empty when nothing stands
 * in the way. Each project is scanned once.
 */
export async function approvalBlockers(repo: Repository, files: readonly FileRecord[], opts: VetOptions = {}): Promise<Record<string, string[]>> {
  const ids = new Set(files.map((f) => f.id));
  const out: Record<string, string[]> = {};
  for (const project of new Set(files.map((f) => f.project))) {
    for (const row of await scanFiles(repo, { ...opts, project })) {
      if (!ids.has(row.fileId)) continue;
      // What blocks a plain approval (evaluate.ts reasonRule): findings, the policy's rules, the
      // rules about a file entering (an origin change must not reach an uploader by 'all waiting').
      const reasons = row.reasons.filter((r) => reasonRule(r).blocks !== false);
      if (reasons.length > 0) out[row.filename] = reasons;
    }
  }
  return out;
}
