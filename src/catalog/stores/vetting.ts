// Vetting results (the latest per file) and waivers.
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Finding, GateResult, VettingResult, Verdict, Waiver } from '../../vetting/types.js';
import type { DB } from '../db.js';
import type { VettingResultsTable, WaiversTable } from '../migrations/002_vetting.js';

export interface VettingStore {
  putResult(result: VettingResult): Promise<void>;
  getResult(fileId: number): Promise<VettingResult | undefined>;
  /** Every stored result (all files when `fileIds` is omitted). */
  listResults(fileIds?: number[]): Promise<VettingResult[]>;
  /** Quarantined files that have no result at all (an ingest interrupted before vetting). */
  undecidedFileIds(): Promise<number[]>;
  addWaiver(waiver: Omit<Waiver, 'id' | 'revokedAt' | 'revokedBy'>): Promise<Waiver>;
  getWaiver(id: number): Promise<Waiver | undefined>;
  /** Waivers of one file, or of all files; revoked ones included (evidence). */
  listWaivers(fileId?: number): Promise<Waiver[]>;
  revokeWaiver(id: number, by: string, at: string): Promise<Waiver | undefined>;
}

function resultFromRow(r: Selectable<VettingResultsTable>): VettingResult {
  return {
    fileId: Number(r.file_id),
    verdict: r.verdict as Verdict,
    reasons: JSON.parse(r.reasons) as string[],
    findings: JSON.parse(r.findings) as Finding[],
    license: r.license,
    gates: JSON.parse(r.gates) as GateResult[],
    decidedAt: r.decided_at,
  };
}

function waiverFromRow(r: Selectable<WaiversTable>): Waiver {
  return {
    id: Number(r.id),
    fileId: Number(r.file_id),
    advisoryId: r.advisory_id,
    reason: r.reason,
    expiresAt: r.expires_at,
    grantedBy: r.granted_by,
    grantedAt: r.granted_at,
    revokedAt: r.revoked_at,
    revokedBy: r.revoked_by,
  };
}

export class SqlVettingStore implements VettingStore {
  constructor(private readonly db: Kysely<DB> | Transaction<DB>) {}

  async putResult(result: VettingResult): Promise<void> {
    const row = {
      file_id: result.fileId,
      verdict: result.verdict,
      reasons: JSON.stringify(result.reasons),
      findings: JSON.stringify(result.findings),
      license: result.license,
      gates: JSON.stringify(result.gates),
      decided_at: result.decidedAt,
    };
    await this.db
      .insertInto('vetting_results')
      .values(row)
      .onConflict((oc) => oc.column('file_id').doUpdateSet(row))
      .execute();
  }

  async getResult(fileId: number): Promise<VettingResult | undefined> {
    const row = await this.db
      .selectFrom('vetting_results')
      .selectAll()
      .where('file_id', '=', fileId)
      .executeTakeFirst();
    return row ? resultFromRow(row) : undefined;
  }

  async undecidedFileIds(): Promise<number[]> {
    const rows = await this.db
      .selectFrom('files')
      .leftJoin('vetting_results', 'vetting_results.file_id', 'files.id')
      .select('files.id')
      .where('files.state', '=', 'quarantined')
      .where('vetting_results.file_id', 'is', null)
      .orderBy('files.id')
      .execute();
    return rows.map((r) => Number(r.id));
  }

  async listResults(fileIds?: number[]): Promise<VettingResult[]> {
    if (fileIds === undefined) {
      return (await this.db.selectFrom('vetting_results').selectAll().orderBy('file_id').execute()).map(resultFromRow);
    }
    const out: VettingResult[] = [];
    for (let i = 0; i < fileIds.length; i += 500) {
      const rows = await this.db
        .selectFrom('vetting_results')
        .selectAll()
        .where('file_id', 'in', fileIds.slice(i, i + 500))
        .execute();
      out.push(...rows.map(resultFromRow));
    }
    return out;
  }

  async addWaiver(w: Omit<Waiver, 'id' | 'revokedAt' | 'revokedBy'>): Promise<Waiver> {
    const row = await this.db
      .insertInto('waivers')
      .values({
        file_id: w.fileId,
        advisory_id: w.advisoryId,
        reason: w.reason,
        expires_at: w.expiresAt,
        granted_by: w.grantedBy,
        granted_at: w.grantedAt,
        revoked_at: null,
        revoked_by: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return waiverFromRow(row);
  }

  async getWaiver(id: number): Promise<Waiver | undefined> {
    const row = await this.db.selectFrom('waivers').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? waiverFromRow(row) : undefined;
  }

  async listWaivers(fileId?: number): Promise<Waiver[]> {
    let q = this.db.selectFrom('waivers').selectAll();
    if (fileId !== undefined) q = q.where('file_id', '=', fileId);
    return (await q.orderBy('id').execute()).map(waiverFromRow);
  }

  async revokeWaiver(id: number, by: string, at: string): Promise<Waiver | undefined> {
    await this.db
      .updateTable('waivers')
      .set({ revoked_at: at, revoked_by: by })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
    return this.getWaiver(id);
  }
}
