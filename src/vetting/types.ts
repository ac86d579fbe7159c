// What vetting produces and keeps: findings, gate results, a decision per file, waivers.
import type { Severity } from '../advisories/cvss.js';

export type Verdict = 'approve' | 'hold' | 'reject';

/** One advisory matching one file. */
export interface Finding {
  advisoryId: string;
  aliases: string[];
  summary: string | null;
  score: number | null;
  severity: Severity | null;
  fixed: string[];
  /** Whether the policy lets this finding through (below the bar, or waived). */
  blocking: boolean;
  /** The active waiver that lets it through, if any. */
  waiverId: number | null;
}

/** The outcome of one policy gate for one file. */
export interface GateResult {
  /** 'owned_names', 'deny', 'allow_sdists', 'origin', 'integrity', 'advisories', 'licenses', 'min_release_age_days', 'typosquat', 'max_file_bytes'. */
  gate: string;
  /** pass: nothing to say; hold: needs a person; reject: refused outright. */
  outcome: 'pass' | 'hold' | 'reject';
  /** Why, naming the gate, e.g. "advisory PYSEC-2021-123 (CVSS 9.8 critical) ≥ max 7.0". */
  reasons: string[];
}

/** The stored vetting result of one file (its latest evaluation). */
export interface VettingResult {
  fileId: number;
  verdict: Verdict;
  reasons: string[];
  findings: Finding[];
  /** SPDX expression (or the declared text when it could not be mapped); null when none. */
  license: string | null;
  gates: GateResult[];
  decidedAt: string;
}

export interface Waiver {
  id: number;
  fileId: number;
  advisoryId: string;
  reason: string;
  expiresAt: string;
  grantedBy: string;
  grantedAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
}
