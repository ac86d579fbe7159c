// The audit log store: appends with the hash chain (src/audit/chain.ts) and keeps the chain head
// in settings, so that deleting the newest entries is detected too. Callers append inside the
// transaction that makes the change, which also serialises appends (BEGIN IMMEDIATE).
import type { ExpressionBuilder, Kysely, Selectable, Transaction } from 'kysely';
import { AUDIT_HEAD_KEY, canonicalJson, entryHash, GENESIS_HASH } from '../../audit/chain.js';
import { PyvetError } from '../../errors.js';
import type { DB } from '../db.js';
import type { AuditLogTable } from '../migrations/001_core.js';
import type { AuditEntry, AuditEntryInput, AuditStore } from '../types.js';

/** Row to entry. `details` that no longer parse (a damaged row) come back as {__unparsable: text}. */
export function auditFromRow(r: Selectable<AuditLogTable>): AuditEntry {
  let details: Record<string, unknown>;
  try {
    details = JSON.parse(r.details) as Record<string, unknown>;
  } catch {
    details = { __unparsable: r.details };
  }
  return {
    seq: Number(r.seq),
    at: r.at,
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    details,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** A row whose seq puts it outside the chain (NULL, below 1, not a whole number): forged or damaged. */
export interface StrayAuditRow {
  /** The seq as stored: null, a number, or (SQLite only) text or bytes. */
  seq: unknown;
  at: string;
  actor: string;
  action: string;
  subject: string;
}

// Rows the chain can hold: seq a whole number from 1. The seq column is not INTEGER PRIMARY KEY
// (portable bigint), so SQLite also keeps NULL, 0, negative, real and text seqs; every view of the
// log shows chain rows only and verification reports the rest (`strays`), so nothing is shown that
// verification does not cover. cast(seq as bigint) = seq is false for text and reals in SQLite
// and always true on PostgreSQL.
function inChain(eb: ExpressionBuilder<DB, 'audit_log'>) {
  return eb.and([eb('seq', '>=', 1), eb(eb.cast('seq', 'bigint'), '=', eb.ref('seq'))]);
}

export class SqlAuditStore implements AuditStore {
  constructor(private readonly db: Kysely<DB> | Transaction<DB>) {}

  async append(input: AuditEntryInput): Promise<AuditEntry> {
    const last = await this.db
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const seq = last ? Number(last.seq) + 1 : 1;
    const prevHash = last?.hash ?? GENESIS_HASH;
    // Round-trip details through canonical JSON so what is hashed is exactly what is stored.
    const details = JSON.parse(canonicalJson(input.details)) as Record<string, unknown>;
    const entry = { seq, at: new Date().toISOString(), actor: input.actor, action: input.action, subject: input.subject, details };
    const hash = entryHash(prevHash, entry);
    await this.db
      .insertInto('audit_log')
      .values({ ...entry, details: canonicalJson(details), prev_hash: prevHash, hash })
      .execute();
    const head = JSON.stringify({ seq, hash });
    await this.db
      .insertInto('settings')
      .values({ key: AUDIT_HEAD_KEY, value: head })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: head }))
      .execute();
    return { ...entry, prevHash, hash };
  }

  async bySubject(subjects: string[]): Promise<AuditEntry[]> {
    if (subjects.length === 0) return [];
    const rows = await this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('subject', 'in', subjects)
      .where(inChain)
      .orderBy('seq')
      .execute();
    return rows.map(auditFromRow);
  }

  async list(fromSeq = 1, limit?: number): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('audit_log').selectAll().where(inChain).where('seq', '>=', fromSeq).orderBy('seq');
    if (limit !== undefined) q = q.limit(limit);
    return (await q.execute()).map(auditFromRow);
  }

  /** Rows outside the chain (see inChain), which no view shows: verification reports them. */
  async strays(limit = 10): Promise<StrayAuditRow[]> {
    const rows = await this.db
      .selectFrom('audit_log')
      .select(['seq', 'at', 'actor', 'action', 'subject'])
      .where((eb) => eb.or([eb('seq', 'is', null), eb.not(inChain(eb))]))
      .limit(limit)
      .execute();
    return rows as StrayAuditRow[];
  }
}

/** The stray-row reader of an audit store; a store without one cannot be verified (fail closed). */
export function straysOf(store: AuditStore): (limit?: number) => Promise<StrayAuditRow[]> {
  const s = store as AuditStore & { strays?: (limit?: number) => Promise<StrayAuditRow[]> };
  if (typeof s.strays !== 'function') {
    throw new PyvetError('AUDIT_UNVERIFIABLE', 'internal', 'this catalog cannot list audit rows outside the chain');
  }
  return s.strays.bind(s);
}
