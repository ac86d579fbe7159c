// Vetting: policy gates, findings, decisions, waivers, evidence. The repository core vets every
// file in the transaction that stores it (prepareVetting); advisory imports go through
// updateAdvisories so that every import is followed by a rescan.
import { importAdvisories, syncAdvisories } from '../advisories/import.js';
import type { ImportReport } from '../advisories/types.js';
import type { Actor, Repository } from '../repository/types.js';
import { type RescanReport, rescanAll, type VetOptions } from './scan.js';

export { type ClockOptions, lastRescanAt, rescanIfDue, startVettingClock, timeEvents } from './clock.js';
export { AWAITING_APPROVER, fromUpstream, type ReasonRule, reasonRule } from './evaluate.js';
export { approvalBlockers, evidence, type FileEvidence, reviewQueue } from './evidence.js';
export { checkPolicyFile, defaultPolicy, type LoadedPolicy, loadPolicy, type Policy, parsePolicy, setPolicy } from './policy.js';
export {
  type ApprovedBlocked,
  type BlockedChange,
  type Decision,
  type FileChange,
  prepareVetting,
  type RescanReport,
  rescanAll,
  type ScanRow,
  scanFile,
  scanFiles,
  type VetOptions,
  vetUndecided,
} from './scan.js';
export type { Finding, GateResult, Verdict, VettingResult, Waiver } from './types.js';
export { grantWaiver, listWaivers, parseExpires, revokeWaiver, type WaiverGrant, type WaiverListing, type WaiverRequest, type WaiverRevocation } from './waivers.js';

export interface AdvisoryUpdate {
  import: ImportReport;
  rescan: RescanReport;
}

/** Imports advisories from a path or URL (or the configured sync URL when `source` is null), then rescans. */
export async function updateAdvisories(
  repo: Repository,
  source: string | null,
  actor: Actor,
  opts: VetOptions = {},
): Promise<AdvisoryUpdate> {
  const report = source === null ? await syncAdvisories(repo, actor, opts) : await importAdvisories(repo, source, actor, opts);
  return { import: report, rescan: await rescanAll(repo, actor, opts) };
}
