// Garbage collection. Ingest commits a blob before the row that refers to it, so a crash in
// between leaves an unreferenced blob (never a row without bytes); interrupted uploads and
// mirror runs leave temporary files under <data>/tmp. Both are harmless but take space; `pyvet gc`
// removes those older than a grace period, so that nothing an ingest in flight is about to
// refer to can go.
import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { requireRole } from './roles.js';
import type { Actor, Repository } from './types.js';

export interface GcOptions {
  /** Report only. */
  dryRun?: boolean;
  /** Only what is at least this old goes (default 24 hours). */
  minAgeMs?: number;
  now?: () => Date;
}

export interface GcReport {
  dryRun: boolean;
  /** Blobs no file row refers to. */
  orphanBlobs: { sha256: string; size: number }[];
  /** Files under <data>/tmp left by interrupted uploads and mirror runs, relative to it. */
  tempFiles: { path: string; size: number }[];
  /** Bytes freed (or that would be, in a dry run). */
  bytes: number;
  /** Orphans and temp files younger than the grace period, left alone. */
  tooRecent: number;
}

export const DEFAULT_GC_MIN_AGE_MS = 24 * 3600 * 1000;

export async function collectGarbage(repo: Repository, actor: Actor, opts: GcOptions = {}): Promise<GcReport> {
  requireRole(actor, 'admin', 'collect garbage');
  const dryRun = opts.dryRun === true;
  const cutoff = (opts.now ?? (() => new Date()))().getTime() - (opts.minAgeMs ?? DEFAULT_GC_MIN_AGE_MS);
  const report: GcReport = { dryRun, orphanBlobs: [], tempFiles: [], bytes: 0, tooRecent: 0 };

  // Listed before the references are read: a blob committed meanwhile is too recent anyway.
  const candidates: { sha256: string; size: number; storedAt: Date }[] = [];
  for await (const b of repo.blobs.list()) candidates.push(b);
  const referenced = await repo.catalog.files.referencedBlobs();
  for (const b of candidates) {
    if (referenced.has(b.sha256)) continue;
    if (b.storedAt.getTime() > cutoff) {
      report.tooRecent++;
      continue;
    }
    report.orphanBlobs.push({ sha256: b.sha256, size: b.size });
    report.bytes += b.size;
  }

  const tmpRoot = join(repo.config.data_dir, 'tmp');
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        await walk(p, r);
        continue;
      }
      const st = await stat(p).catch(() => undefined);
      if (!st) continue;
      if (st.mtimeMs > cutoff) {
        report.tooRecent++;
        continue;
      }
      report.tempFiles.push({ path: r, size: st.size });
      report.bytes += st.size;
    }
  };
  await walk(tmpRoot, '');

  if (dryRun || (report.orphanBlobs.length === 0 && report.tempFiles.length === 0)) return report;
  // Under the catalog's write lock, which ingest holds while it inserts a row and checks its blob
  // is there: references read here are final, and a blob an ingest just reused (which touches
  // it) is too recent to go.
  await repo.catalog.transaction(async (tx) => {
    const referencedNow = await tx.files.referencedBlobs();
    const removed: typeof report.orphanBlobs = [];
    for (const b of report.orphanBlobs) {
      if (referencedNow.has(b.sha256)) continue;
      if (await repo.blobs.delete(b.sha256, { storedBefore: new Date(cutoff) })) removed.push(b);
    }
    report.orphanBlobs = removed;
    for (const f of report.tempFiles) await rm(join(tmpRoot, f.path), { force: true });
    await removeEmptyDirs(tmpRoot, false, cutoff);
    report.bytes = removed.reduce((s, b) => s + b.size, 0) + report.tempFiles.reduce((s, f) => s + f.size, 0);
    await tx.audit.append({
      actor: actor.name,
      action: 'repository.gc',
      subject: repo.config.data_dir,
      details: {
        orphanBlobs: report.orphanBlobs.map((b) => b.sha256),
        tempFiles: report.tempFiles.map((f) => f.path),
        bytes: report.bytes,
      },
    });
  });
  repo.logger.info({ orphanBlobs: report.orphanBlobs.length, tempFiles: report.tempFiles.length, bytes: report.bytes }, 'garbage collected');
  return report;
}

/** Removes empty directories below `dir` (and `dir` itself when `self`) not changed since `cutoff`. */
async function removeEmptyDirs(dir: string, self: boolean, cutoff: number): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) if (e.isDirectory()) await removeEmptyDirs(join(dir, e.name), true, cutoff);
  // A fresh directory may be one a download is about to write into.
  if (self && ((await stat(dir).catch(() => undefined))?.mtimeMs ?? Infinity) <= cutoff) await rmdir(dir).catch(() => {});
}
