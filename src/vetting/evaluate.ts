// The decision for one file: every policy gate evaluated on what is known (its record, the
// advisories that match it, its waivers), at a given time. Pure: the services in scan.ts load
// the inputs and store/apply the result, so the same rules serve ingest, rescans and `pyvet scan`.
import type { Severity } from '../advisories/cvss.js';
import { groupByAlias } from '../advisories/match.js';
import type { Advisory } from '../advisories/types.js';
import type { FileRecord } from '../catalog/types.js';
import { canonicalizeName } from '../standards/names.js';
import { Requirement } from '../standards/requirements.js';
import { checkLicense } from './license-policy.js';
import type { Policy } from './policy.js';
import type { Finding, GateResult, Verdict, VettingResult, Waiver } from './types.js';
import { lookalikes, POPULAR_NAMES } from './typosquat.js';

export interface EvaluationInput {
  file: FileRecord;
  /** Advisories matching the file (withdrawn ones already left out). */
  advisories: readonly Advisory[];
  /** The file's waivers (any state: expired and revoked ones are ignored here). */
  waivers: Waiver[];
  policy: Policy;
  /** Projects hosted in the repository (normalized), for typosquat checks. */
  hostedProjects: ReadonlySet<string>;
  /** True when no other file of this project has been approved: only new names are checked for typosquatting. */
  newProject: boolean;
  /** The distinct origins of the project's approved files (the file's own when it is approved). */
  approvedOrigins: readonly string[];
  now: Date;
}

const DAY_MS = 24 * 3600 * 1000;

export function isWaiverActive(w: Waiver, now: Date): boolean {
  return w.revokedAt === null && Date.parse(w.expiresAt) > now.getTime();
}

function globToRegExp(glob: string): RegExp {
  // Names are compared normalized; the glob's separators are normalized the same way.
  const norm = glob.trim().toLowerCase().replace(/[-_.]+/g, '-');
  const body = norm.replace(/[\\^$+.()|{}[\]]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export function matchesOwnedName(project: string, patterns: string[]): string | undefined {
  return patterns.find((p) => globToRegExp(p).test(project));
}

function severityText(s: Severity): string {
  return s === 'medium' ? 'MEDIUM' : s.toUpperCase();
}

function describe(a: Advisory): string {
  if (a.score !== null) return `advisory ${a.id} (CVSS ${a.score.toFixed(1)} ${a.severityLevel})`;
  if (a.severityLevel) return `advisory ${a.id} (severity ${a.severityLevel}, no CVSS vector)`;
  return `advisory ${a.id} (no severity given)`;
}

// Scans evaluate the same few thousand advisories against one policy for every file.
const reasonCache = new WeakMap<Policy, WeakMap<Advisory, string | null>>();

/** Why an advisory blocks under `policy`, or null when it does not. */
function blockingReason(a: Advisory, policy: Policy): string | null {
  let byAdvisory = reasonCache.get(policy);
  if (!byAdvisory) reasonCache.set(policy, (byAdvisory = new WeakMap()));
  let reason = byAdvisory.get(a);
  if (reason === undefined) byAdvisory.set(a, (reason = computeBlockingReason(a, policy)));
  return reason;
}

function computeBlockingReason(a: Advisory, policy: Policy): string | null {
  if (a.score !== null) {
    return a.score >= policy.max_cvss ? `max_cvss: ${describe(a)} ≥ max ${policy.max_cvss.toFixed(1)}` : null;
  }
  if (a.severityLevel) {
    const text = severityText(a.severityLevel);
    const listed =
      policy.block_unscored_severities.includes(text) ||
      (text === 'MEDIUM' && policy.block_unscored_severities.includes('MODERATE'));
    return listed ? `block_unscored_severities: ${describe(a)} is ${text}` : null;
  }
  return policy.block_unknown_severity ? `block_unknown_severity: ${describe(a)} needs review` : null;
}

function advisoryGate(input: EvaluationInput): { gate: GateResult; findings: Finding[] } {
  const { policy, now } = input;
  const reasons: string[] = [];
  const findings: Finding[] = [];
  // One finding per vulnerability: records of several databases for the same one are grouped
  // (groupByAlias); any of them blocking blocks, a waiver on any of them waives it.
  const groups = groupByAlias(input.advisories).sort(
    (x, y) => (y[0]!.score ?? -1) - (x[0]!.score ?? -1) || x[0]!.id.localeCompare(y[0]!.id),
  );
  for (const group of groups) {
    const a = group[0]!;
    const why = group.map((m) => blockingReason(m, policy)).find((r) => r !== null) ?? null;
    const ids = new Set(group.map((m) => m.id));
    const waiver = why === null ? undefined : input.waivers.find((w) => ids.has(w.advisoryId) && isWaiverActive(w, now));
    if (why !== null && !waiver) reasons.push(why);
    const aliases = [...new Set(group.flatMap((m) => [m.id, ...m.aliases]))].filter((id) => id !== a.id);
    findings.push({
      advisoryId: a.id,
      aliases,
      summary: a.summary ?? group.find((m) => m.summary)?.summary ?? null,
      score: a.score,
      severity: a.severityLevel,
      fixed: group.length === 1 ? a.fixed : [...new Set(group.flatMap((m) => m.fixed))],
      blocking: why !== null && !waiver,
      waiverId: waiver?.id ?? null,
    });
  }
  return { gate: { gate: 'advisories', outcome: reasons.length > 0 ? 'hold' : 'pass', reasons }, findings };
}

/**
 * What a decision's reason means, from the rule that gave it (every reason starts 'rule: ').
 * `blocks`: whether it stands in the way of a plain approval, and whether a waiver can answer it
 * ('finding') or only --force ('rule'); holds that ask for exactly what approving is, a person's
 * look (auto_approve off, a name resembling another, integrity evidence), do not block.
 * `entering`: it concerns a file entering the repository (its upstream age, its origin, a new
 * name) and says nothing more once the file is approved. One table for approval, rescans and scan.
 */
export interface ReasonRule {
  blocks: 'finding' | 'rule' | false;
  entering: boolean;
}

const REASON_RULES: Record<string, ReasonRule> = {
  max_cvss: { blocks: 'finding', entering: false },
  block_unscored_severities: { blocks: 'finding', entering: false },
  block_unknown_severity: { blocks: 'finding', entering: false },
  owned_names: { blocks: 'rule', entering: false },
  deny: { blocks: 'rule', entering: false },
  allow_sdists: { blocks: 'rule', entering: false },
  licenses: { blocks: 'rule', entering: false },
  max_file_bytes: { blocks: 'rule', entering: false },
  min_release_age_days: { blocks: 'rule', entering: true },
  origin: { blocks: 'rule', entering: true },
  typosquat: { blocks: false, entering: true },
};
const LOOK: ReasonRule = { blocks: false, entering: false };

export function reasonRule(reason: string): ReasonRule {
  return REASON_RULES[reason.slice(0, reason.indexOf(':'))] ?? LOOK;
}

/** The reason given when every gate passes but auto_approve is off. */
export const AWAITING_APPROVER = 'auto_approve: off; every gate passed, waiting for an approver';

function gate(name: string, outcome: GateResult['outcome'], ...reasons: string[]): GateResult {
  return { gate: name, outcome, reasons };
}

/** Whether a file's origin ('local', 'upload:<token>', 'upstream:<name>') is an upstream. */
export const fromUpstream = (origin: string): boolean => origin.startsWith('upstream:');

function originText(origins: readonly string[]): string {
  const up = origins.filter(fromUpstream).map((o) => `'${o.slice('upstream:'.length)}'`);
  if (up.length === origins.length) return `upstream${up.length > 1 ? 's' : ''} ${up.join(', ')}`;
  return `here (${origins.join(', ')})`;
}

/**
 * A project's files entering from another kind of origin than all its approved ones: an upload
 * or local add of a name mirrored so far from an upstream (a takeover: `pip install flask` would
 * get it), or an upstream's file of a name so far only published here (a dependency confusion).
 * An approved file counts among the approved origins itself, so it always passes: the gate is
 * about files entering, and a rescan never turns it into noise about what is already served.
 */
function originGate(input: EvaluationInput): GateResult {
  const { file, approvedOrigins } = input;
  if (approvedOrigins.length === 0 || approvedOrigins.some((o) => fromUpstream(o) === fromUpstream(file.origin))) {
    return gate('origin', 'pass');
  }
  const comes = fromUpstream(file.origin) ? `upstream '${file.origin.slice('upstream:'.length)}'` : file.origin;
  return gate('origin', 'hold', `origin: ${file.project} so far came only from ${originText(approvedOrigins)}; this file comes from ${comes}`);
}

/** Evaluates every gate and derives the verdict. */
export function evaluateFile(input: EvaluationInput): VettingResult {
  const { file, policy, now } = input;
  const gates: GateResult[] = [];

  // Hard gates: a person approving by mistake must not be able to override these silently.
  const owned = matchesOwnedName(file.project, policy.owned_names);
  if (owned && fromUpstream(file.origin)) {
    gates.push(
      gate('owned_names', 'reject', `owned_names: ${file.project} matches '${owned}' and came from ${file.origin}`),
    );
  } else {
    gates.push(gate('owned_names', 'pass'));
  }
  const denied = policy.deny.find((entry) => {
    const req = Requirement.parse(entry);
    if (canonicalizeName(req.name) !== file.project) return false;
    return req.specifier.toString() === '' || req.specifier.contains(file.version, { prereleases: true });
  });
  gates.push(denied ? gate('deny', 'reject', `deny: ${file.project} ${file.version} matches '${denied}'`) : gate('deny', 'pass'));
  if (!policy.allow_sdists && file.kind === 'sdist') {
    gates.push(gate('allow_sdists', 'reject', 'allow_sdists: source distributions are not allowed'));
  } else {
    gates.push(gate('allow_sdists', 'pass'));
  }

  gates.push(originGate(input));

  const failed = file.integrity.checks.filter((c) => !c.ok);
  gates.push(
    failed.length > 0
      ? gate('integrity', 'hold', ...failed.map((c) => `integrity: ${c.check} failed${c.detail ? ` (${c.detail})` : ''}`))
      : gate('integrity', 'pass'),
  );

  const { gate: adv, findings } = advisoryGate(input);
  gates.push(adv);

  const lic = checkLicense(file.license, policy.licenses.allow, policy.licenses.deny);
  gates.push(lic.ok ? gate('licenses', 'pass') : gate('licenses', 'hold', `licenses: ${lic.reason}`));

  const uploaded = file.upstreamUploadedAt ? Date.parse(file.upstreamUploadedAt) : Number.NaN;
  if (policy.min_release_age_days > 0 && fromUpstream(file.origin) && Number.isNaN(uploaded)) {
    // A file from an upstream whose index gave no upload time (or one that does not parse) has
    // an unknown age: it cannot be shown to be old enough. Uploads and local files have no
    // upstream age at all, so the rule does not apply to them.
    gates.push(
      gate(
        'min_release_age_days',
        'hold',
        `min_release_age_days: upstream gave ${file.upstreamUploadedAt ? `an upload time that is not a date ('${file.upstreamUploadedAt}')` : 'no upload time'}, so its age is unknown`,
      ),
    );
  } else if (policy.min_release_age_days > 0 && file.upstreamUploadedAt) {
    const ageDays = (now.getTime() - uploaded) / DAY_MS;
    gates.push(
      ageDays < policy.min_release_age_days
        ? gate(
            'min_release_age_days',
            'hold',
            `min_release_age_days: uploaded upstream ${file.upstreamUploadedAt} (${Math.max(0, ageDays).toFixed(1)} days ago) < ${policy.min_release_age_days} days`,
          )
        : gate('min_release_age_days', 'pass'),
    );
  }

  if (
    policy.typosquat.enabled &&
    input.newProject &&
    !POPULAR_NAMES.has(file.project) &&
    !policy.typosquat.allow.some((n) => canonicalizeName(n) === file.project)
  ) {
    const d = policy.typosquat.max_distance;
    const similar = [
      ...new Set([...lookalikes(file.project, POPULAR_NAMES, d), ...lookalikes(file.project, input.hostedProjects, d)]),
    ].sort();
    gates.push(
      similar.length > 0
        ? gate('typosquat', 'hold', `typosquat: new name ${file.project} is within ${policy.typosquat.max_distance} edit(s) of ${similar.join(', ')}`)
        : gate('typosquat', 'pass'),
    );
  }

  if (policy.max_file_bytes !== null) {
    gates.push(
      file.size > policy.max_file_bytes
        ? gate('max_file_bytes', 'hold', `max_file_bytes: ${file.size} bytes > ${policy.max_file_bytes}`)
        : gate('max_file_bytes', 'pass'),
    );
  }

  const rejects = gates.filter((g) => g.outcome === 'reject');
  const holds = gates.filter((g) => g.outcome === 'hold');
  let verdict: Verdict;
  let reasons: string[];
  if (rejects.length > 0) {
    verdict = 'reject';
    reasons = [...rejects, ...holds].flatMap((g) => g.reasons);
  } else if (holds.length > 0) {
    verdict = 'hold';
    reasons = holds.flatMap((g) => g.reasons);
  } else if (policy.auto_approve) {
    verdict = 'approve';
    reasons = ['auto_approve: every gate passed'];
  } else {
    verdict = 'hold';
    reasons = [AWAITING_APPROVER];
  }
  return { fileId: file.id, verdict, reasons, findings, license: file.license, gates, decidedAt: now.toISOString() };
}
