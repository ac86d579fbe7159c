// The vetting clock. Some verdicts change with time alone: a waiver expires and its finding
// blocks again; a file held by min_release_age_days becomes old enough. An advisory import, a
// policy change or a waiver rescans at once, but nothing else would, so an expired waiver kept a
// vulnerable file approved, and an aged file waited in quarantine, until someone happened to do
// one of those. The clock looks every minute for such a moment between the last rescan (in any
// process: it is kept in the catalog) and now, and rescans when one has passed. `pyvet serve`
// runs it (the primary, with --workers); `pyvet rescan` does the same once, for cron.
import type { Repository } from '../repository/types.js';
import { SYSTEM_ACTOR } from '../repository/roles.js';
import { fromUpstream } from './evaluate.js';
import { loadPolicy } from './policy.js';
import { LAST_RESCAN_KEY, type RescanReport, rescanAll } from './scan.js';

const DAY_MS = 24 * 3600 * 1000;

/** When the last rescan ran, or undefined when none ever did. */
export async function lastRescanAt(repo: Repository): Promise<Date | undefined> {
  const at = await repo.catalog.settings.get(LAST_RESCAN_KEY);
  const ms = at ? Date.parse(at) : Number.NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/**
 * The moments, after `since`, at which a verdict changes with time alone, earliest first: each
 * unrevoked waiver's expiry, and each quarantined upstream file's coming of age under
 * min_release_age_days.
 */
export async function timeEvents(repo: Repository, since: Date): Promise<{ at: Date; what: string }[]> {
  const events: { at: Date; what: string }[] = [];
  for (const w of await repo.catalog.vetting.listWaivers()) {
    if (w.revokedAt === null) events.push({ at: new Date(w.expiresAt), what: `waiver ${w.id} (${w.advisoryId}) expires` });
  }
  const { policy } = await loadPolicy(repo);
  if (policy.min_release_age_days > 0) {
    for (const f of await repo.catalog.files.list({ states: ['quarantined'] })) {
      const uploaded = f.upstreamUploadedAt ? Date.parse(f.upstreamUploadedAt) : Number.NaN;
      if (!fromUpstream(f.origin) || Number.isNaN(uploaded)) continue;
      events.push({ at: new Date(uploaded + policy.min_release_age_days * DAY_MS), what: `${f.filename} is ${policy.min_release_age_days} days old` });
    }
  }
  return events.filter((e) => e.at.getTime() > since.getTime()).sort((a, b) => a.at.getTime() - b.at.getTime());
}

export interface ClockOptions {
  /** How often to look (default one minute). */
  intervalMs?: number;
  /** The clock itself (tests inject one). */
  now?: () => Date;
  /** Called with each rescan's report (the server logs it). */
  onRescan?: (report: RescanReport, due: string[]) => void;
}

/**
 * Rescans when a moment of timeEvents has passed since the last rescan. One tick; resolves to
 * the report, or undefined when nothing was due.
 */
export async function rescanIfDue(repo: Repository, opts: Pick<ClockOptions, 'now'> = {}): Promise<{ report: RescanReport; due: string[] } | undefined> {
  const now = (opts.now ?? (() => new Date()))();
  // Never rescanned: whatever time has done so far is due.
  const since = (await lastRescanAt(repo)) ?? new Date(0);
  const due = (await timeEvents(repo, since)).filter((e) => e.at.getTime() <= now.getTime());
  if (due.length === 0) return undefined;
  const report = await rescanAll(repo, SYSTEM_ACTOR, { now: () => now });
  return { report, due: due.map((e) => e.what) };
}

/** Starts the clock; stop() clears it and waits for a tick in progress. */
export function startVettingClock(repo: Repository, opts: ClockOptions = {}): { stop: () => Promise<void> } {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = rescanIfDue(repo, opts)
      .then((r) => {
        if (r) opts.onRescan?.(r.report, r.due);
      })
      .catch((err: unknown) => repo.logger.error({ err }, 'scheduled rescan failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, opts.intervalMs ?? 60_000);
  // The server keeps the process alive; the clock alone never should.
  timer.unref();
  tick();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
