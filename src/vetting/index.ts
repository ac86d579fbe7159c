// Vetting entry point. The repository core calls vetFile after every ingest; the vetting
// issue replaces this placeholder with the full pipeline (advisories, licence, policy gates).
import type { Actor, Repository } from '../repository/types.js';

export type Verdict = 'approve' | 'hold' | 'reject';

export interface Decision {
  fileId: number;
  verdict: Verdict;
  /** Why, one line each, for people and for the evidence record. */
  reasons: string[];
}

/** Vets one stored file and applies the decision (auto-approve / reject per policy). */
export async function vetFile(_repo: Repository, fileId: number, _actor: Actor): Promise<Decision> {
  return { fileId, verdict: 'hold', reasons: ['vetting pipeline not configured: held for manual review'] };
}
