// Waivers: an approver lets one finding through on one file until a date. The finding must
// exist (the advisory matches the file); expired or revoked waivers stop counting at once,
// since every evaluation checks them against its clock.
import { durationMs, rfc3339Ms } from '../duration.js';
import { AdvisoryIndex, groupByAlias } from '../advisories/match.js';
import type { Advisory } from '../advisories/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { FileRecord } from '../catalog/types.js';
import { PyvetError } from '../errors.js';
import { requireRole } from '../repository/roles.js';
import { selectFiles } from '../repository/states.js';
import type { Actor, Repository } from '../repository/types.js';
import { isWaiverActive } from './evaluate.js';
import { rescanAll, type RescanReport, type VetOptions } from './scan.js';
import type { Waiver } from './types.js';

export interface WaiverRequest {
  /** A filename, or NAME==VERSION (every file of that release). */
  selector: string;
  /** Advisory id or alias (CVE, GHSA). */
  advisory: string;
  reason: string;
  /** ISO 8601 time, or a duration from now: 30d, 12h, 2w. */
  expires: string;
}

export interface WaiverGrant {
  /** With their file's name: file ids mean nothing to whoever granted them. */
  waivers: (Waiver & { filename: string })[];
  /** The rescan that the waiver triggered (quarantined files may now be approved). */
  rescan: RescanReport;
}

export interface WaiverListing extends Waiver {
  filename: string;
  /** Neither revoked nor expired by the clock. */
  active: boolean;
}

/** Waivers with their file's name: the active ones, or (with `all`) expired and revoked ones too. */
export async function listWaivers(repo: Repository, opts: VetOptions & { all?: boolean } = {}): Promise<WaiverListing[]> {
  const now = (opts.now ?? (() => new Date()))().getTime();
  const out: WaiverListing[] = [];
  for (const w of await repo.catalog.vetting.listWaivers()) {
    const active = w.revokedAt === null && Date.parse(w.expiresAt) > now;
    if (!active && !opts.all) continue;
    const file = await repo.catalog.files.get(w.fileId);
    out.push({ ...w, filename: file?.filename ?? `#${w.fileId}`, active });
  }
  return out.sort((a, b) => a.id - b.id);
}

/** Parses an expiry: a duration ('30d', '12h', '2w', '90m') from `now`, or an ISO 8601 time. */
// A waiver is a decision to revisit: a few years at most (and Date's range is far smaller than
// what a duration can spell).
const MAX_WAIVER_DAYS = 3 * 366;

export function parseExpires(text: string, now: Date): Date {
  const ms = durationMs(text);
  // A date as tokens take it (duration.ts): Date.parse read '1' as the year 2001 and rolled
  // 2027-02-30 over into March.
  const t = ms !== undefined ? now.getTime() + ms : rfc3339Ms(text);
  if (t === undefined) {
    throw new PyvetError(
      'EXPIRY_INVALID',
      'invalid',
      `expiry '${text}' is neither a duration (30d, 12h, 2w) nor a date (2027-01-31) or RFC 3339 date-time (2027-01-31T12:00:00Z)`,
      { expires: text },
    );
  }
  if (t - now.getTime() > MAX_WAIVER_DAYS * 86_400_000) {
    throw new PyvetError('EXPIRY_INVALID', 'invalid', `expiry '${text}' is more than ${MAX_WAIVER_DAYS} days away: waivers are to be revisited`, {
      expires: text,
      maxDays: MAX_WAIVER_DAYS,
    });
  }
  return new Date(t);
}

/**
 * The advisory ids that name the same vulnerability as `advisoryId` on `file`: its alias group
 * among the advisories matching the file, as vetting groups them into one finding (a waiver on
 * any of them waives that finding).
 */
async function sameVulnerability(catalog: Catalog, file: FileRecord, advisoryId: string): Promise<Set<string>> {
  const matching = new AdvisoryIndex(await catalog.advisories.forPackages([file.project])).match(file.project, file.version);
  const group: Advisory[] = groupByAlias(matching).find((g) => g.some((a) => a.id === advisoryId)) ?? [];
  return new Set([advisoryId, ...group.map((a) => a.id)]);
}

/** The active waivers on `file` other than `except` that waive the same finding as `advisoryId`. */
async function activeWaiversFor(catalog: Catalog, file: FileRecord, advisoryId: string, now: Date, except?: number): Promise<Waiver[]> {
  const ids = await sameVulnerability(catalog, file, advisoryId);
  return (await catalog.vetting.listWaivers(file.id)).filter((w) => w.id !== except && ids.has(w.advisoryId) && isWaiverActive(w, now));
}

export async function grantWaiver(
  repo: Repository,
  req: WaiverRequest,
  actor: Actor,
  opts: VetOptions = {},
): Promise<WaiverGrant> {
  requireRole(actor, 'approver', 'grant waivers');
  const now = (opts.now ?? (() => new Date()))();
  const reason = req.reason?.trim();
  if (!reason) throw new PyvetError('REASON_REQUIRED', 'invalid', 'a reason is required to grant a waiver');
  const expiresAt = parseExpires(req.expires, now);
  if (expiresAt.getTime() <= now.getTime()) {
    throw new PyvetError('EXPIRY_INVALID', 'invalid', `expiry ${expiresAt.toISOString()} is not in the future`, {
      expires: req.expires,
    });
  }
  if (!/\.(whl|tar\.gz|zip)$/i.test(req.selector.trim()) && !req.selector.includes('==')) {
    throw new PyvetError('SELECTOR_INVALID', 'invalid', `a waiver names one file or one NAME==VERSION, not '${req.selector}'`, {
      selector: req.selector,
    });
  }
  const files = await selectFiles(repo.catalog, req.selector);
  // An alias may name several records (CVE-2023-39631: PYSEC-2023-162 for langchain and
  // PYSEC-2023-163 for numexpr): the one meant is the one that affects the selected files.
  const projects = [...new Set(files.map((f) => f.project))];
  const named = (await repo.catalog.advisories.forPackages(projects)).filter(
    (a) => !a.withdrawn && (a.id === req.advisory || a.aliases.includes(req.advisory)),
  );
  const affecting = named.find((a) => {
    const ix = new AdvisoryIndex([a]);
    return files.every((f) => ix.match(f.project, f.version).length > 0);
  });
  const advisory = affecting ?? (await repo.catalog.advisories.find(req.advisory));
  if (!advisory) {
    throw new PyvetError('ADVISORY_NOT_FOUND', 'not_found', `no advisory ${req.advisory}`, { advisory: req.advisory });
  }
  const index = new AdvisoryIndex([advisory]);
  const notAffected = files.filter((f) => !index.match(f.project, f.version).length);
  if (notAffected.length > 0) {
    throw new PyvetError(
      'WAIVER_NOT_APPLICABLE',
      'invalid',
      `advisory ${advisory.id} does not affect ${notAffected.map((f) => f.filename).join(', ')}`,
      { advisory: advisory.id, files: notAffected.map((f) => f.filename) },
    );
  }
  const waivers = await repo.catalog.transaction(async (tx) => {
    // A second waiver for the same finding (by another id or alias) would outlive the revocation
    // of the first: revoking one must block the finding again. Checked for every file first.
    for (const f of files) {
      const [w] = await activeWaiversFor(tx, f, advisory.id, now);
      if (!w) continue;
      throw new PyvetError(
        'WAIVER_EXISTS',
        'conflict',
        `waiver #${w.id} (${w.advisoryId}, by ${w.grantedBy}) already lets ${advisory.id}${w.advisoryId === advisory.id ? '' : ', the same vulnerability,'} through on ${f.filename} until ${w.expiresAt}; to change its expiry or reason, revoke it (pyvet waivers revoke ${w.id}) and grant again`,
        { waiver: w.id, advisory: w.advisoryId, filename: f.filename, expiresAt: w.expiresAt },
      );
    }
    const out: WaiverGrant['waivers'] = [];
    for (const f of files) {
      const w = await tx.vetting.addWaiver({
        fileId: f.id,
        advisoryId: advisory.id,
        reason,
        expiresAt: expiresAt.toISOString(),
        grantedBy: actor.name,
        grantedAt: now.toISOString(),
      });
      await tx.audit.append({
        actor: actor.name,
        action: 'waiver.grant',
        subject: f.filename,
        details: { waiver: w.id, advisory: advisory.id, reason, expiresAt: w.expiresAt, project: f.project, version: f.version },
      });
      out.push({ ...w, filename: f.filename });
    }
    return out;
  });
  const rescan = await rescanAll(repo, actor, opts);
  return { waivers, rescan };
}

export interface WaiverRevocation extends Waiver {
  filename: string;
  /**
   * Other active waivers on the same file for the same finding (granted before duplicates were
   * refused): while one is left, the finding still does not block.
   */
  stillWaivedBy: Waiver[];
  rescan: RescanReport;
}

/** Revokes a waiver and rescans; the waiver as revoked, with what the rescan found. */
export async function revokeWaiver(repo: Repository, id: number, actor: Actor, opts: VetOptions = {}): Promise<WaiverRevocation> {
  requireRole(actor, 'approver', 'revoke waivers');
  const now = (opts.now ?? (() => new Date()))();
  const at = now.toISOString();
  const { waiver, filename, stillWaivedBy } = await repo.catalog.transaction(async (tx) => {
    const w = await tx.vetting.getWaiver(id);
    if (!w) throw new PyvetError('WAIVER_NOT_FOUND', 'not_found', `no waiver #${id}`, { waiver: id });
    const file = await tx.files.get(w.fileId);
    const others = file ? await activeWaiversFor(tx, file, w.advisoryId, now, w.id) : [];
    const filename = file?.filename ?? String(w.fileId);
    if (w.revokedAt) return { waiver: w, filename, stillWaivedBy: others };
    const after = (await tx.vetting.revokeWaiver(id, actor.name, at))!;
    await tx.audit.append({
      actor: actor.name,
      action: 'waiver.revoke',
      subject: filename,
      details: { waiver: id, advisory: w.advisoryId, ...(others.length > 0 ? { stillWaivedBy: others.map((o) => o.id) } : {}) },
    });
    return { waiver: after, filename, stillWaivedBy: others };
  });
  return { ...waiver, filename, stillWaivedBy, rescan: await rescanAll(repo, actor, opts) };
}
