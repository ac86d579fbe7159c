// Advisories as pyvet keeps them: the parts of an OSV record that matching, scoring and
// evidence need, with package names already PEP 503-normalized.
import type { Severity } from './cvss.js';

/** One event of an OSV range, as written (exactly one key set). */
export interface RangeEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

/** What one advisory says about one package (an OSV `affected` entry for PyPI). */
export interface AffectedPackage {
  /** PEP 503-normalized. */
  package: string;
  /** Only the ECOSYSTEM ranges: GIT and SEMVER ranges do not describe PyPI versions. */
  ranges: RangeEvent[][];
  /** The explicit `versions` list. */
  versions: string[];
}

export interface Advisory {
  id: string;
  modified: string;
  published: string | null;
  /** When set, the advisory no longer matches anything. */
  withdrawn: string | null;
  aliases: string[];
  summary: string | null;
  /** Trimmed to a few kilobytes: evidence, not an archive. */
  details: string | null;
  /** The severity vectors as given (`CVSS_V3`, `CVSS_V4`, …). */
  severity: { type: string; score: string }[];
  /** Highest CVSS base score computed from the vectors; null when none scores. */
  score: number | null;
  /** From the score, else from a text severity (e.g. GHSA's database_specific.severity). */
  severityLevel: Severity | null;
  affected: AffectedPackage[];
  /** Every `fixed` version named for PyPI packages, for people ("upgrade to …"). */
  fixed: string[];
}

/** Counts reported by an import. */
export interface ImportReport {
  source: string;
  /** Records read from the source. */
  read: number;
  added: number;
  updated: number;
  unchanged: number;
  /** Records (new or updated) that carry `withdrawn`. */
  withdrawn: number;
  /** Records without a PyPI package or that were not valid OSV: skipped, with the first few reasons. */
  skipped: number;
  skippedReasons: string[];
}
