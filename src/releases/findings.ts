// What vetting says about the files of a release. src/vetting stores each file's findings with a
// `blocking` flag decided at vetting time; a waiver that has since expired or been revoked makes
// its finding block again, which is re-checked here at release time.
import type { Repository } from '../repository/types.js';
import type { Finding, Waiver } from '../vetting/types.js';
import type { PinnedFinding } from './documents.js';

export interface FileFindings {
  /** Findings that forbid the file from a release. */
  blocking: Finding[];
  /** Everything known, with the waiver when one lets it through (for the SBOM). */
  all: PinnedFinding[];
}

function active(w: Waiver | undefined, now: string): w is Waiver {
  return w !== undefined && w.revokedAt === null && w.expiresAt > now;
}

export async function findingsOf(repo: Repository, fileIds: number[], now: string): Promise<Map<number, FileFindings>> {
  const out = new Map<number, FileFindings>();
  const results = await repo.catalog.vetting.listResults(fileIds);
  const waivers = new Map((await repo.catalog.vetting.listWaivers()).map((w) => [w.id, w]));
  for (const r of results) {
    const entry: FileFindings = { blocking: [], all: [] };
    for (const f of r.findings) {
      const w = f.waiverId === null ? undefined : waivers.get(f.waiverId);
      const waived = active(w, now);
      if (f.blocking || (f.waiverId !== null && !waived)) entry.blocking.push(f);
      entry.all.push({
        finding: f,
        waiver: waived ? { reason: w.reason, expiresAt: w.expiresAt, grantedBy: w.grantedBy } : null,
      });
    }
    out.set(r.fileId, entry);
  }
  return out;
}
