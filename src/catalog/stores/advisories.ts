// Imported OSV advisories. The record is kept whole (as JSON columns) next to a by-package
// index, so a scan loads only the advisories of the projects it looks at.
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Severity } from '../../advisories/cvss.js';
import type { Advisory } from '../../advisories/types.js';
import type { DB } from '../db.js';
import type { AdvisoriesTable } from '../migrations/002_vetting.js';

export type UpsertOutcome = 'added' | 'updated' | 'unchanged';

export interface AdvisoryQuery {
  /** Normalized package name. */
  package?: string;
  includeWithdrawn?: boolean;
}

export interface AdvisoryStore {
  /** Inserts, or replaces when `modified` is newer than the stored record's. */
  upsert(advisory: Advisory, importedAt: string): Promise<UpsertOutcome>;
  /** upsert for many records (distinct ids) at once: what an import uses. */
  upsertMany(advisories: Advisory[], importedAt: string): Promise<UpsertOutcome[]>;
  get(id: string): Promise<Advisory | undefined>;
  /** Looks an advisory up by id or by one of its aliases (CVE, GHSA). */
  find(idOrAlias: string): Promise<Advisory | undefined>;
  list(query?: AdvisoryQuery): Promise<Advisory[]>;
  /** Advisories naming any of `packages` (withdrawn ones included: matching skips them). */
  forPackages(packages: string[]): Promise<Advisory[]>;
  count(): Promise<number>;
}

function advisoryFromRow(r: Selectable<AdvisoriesTable>): Advisory {
  return {
    id: r.id,
    modified: r.modified,
    published: r.published,
    withdrawn: r.withdrawn,
    aliases: JSON.parse(r.aliases) as string[],
    summary: r.summary,
    details: r.details,
    severity: JSON.parse(r.severity) as Advisory['severity'],
    score: r.score === null ? null : Number(r.score),
    severityLevel: r.severity_level as Severity | null,
    affected: JSON.parse(r.affected) as Advisory['affected'],
    fixed: JSON.parse(r.fixed) as string[],
  };
}

/** Is timestamp `a` later than `b`? ISO 8601 with or without fractions/offsets. */
function isLater(a: string, b: string): boolean {
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  return Number.isNaN(ta) || Number.isNaN(tb) ? a > b : ta > tb;
}

function toRow(a: Advisory, importedAt: string) {
  return {
    id: a.id,
    modified: a.modified,
    published: a.published,
    withdrawn: a.withdrawn,
    aliases: JSON.stringify(a.aliases),
    summary: a.summary,
    details: a.details,
    severity: JSON.stringify(a.severity),
    score: a.score,
    severity_level: a.severityLevel,
    affected: JSON.stringify(a.affected),
    fixed: JSON.stringify(a.fixed),
    imported_at: importedAt,
  };
}

export class SqlAdvisoryStore implements AdvisoryStore {
  constructor(private readonly db: Kysely<DB> | Transaction<DB>) {}

  async upsert(a: Advisory, importedAt: string): Promise<UpsertOutcome> {
    return (await this.upsertMany([a], importedAt))[0]!;
  }

  async upsertMany(advisories: Advisory[], importedAt: string): Promise<UpsertOutcome[]> {
    const outcomes: UpsertOutcome[] = [];
    // Chunks keep every statement under SQLite's bound-parameter limit.
    for (let i = 0; i < advisories.length; i += 50) {
      const chunk = advisories.slice(i, i + 50);
      const stored = new Map(
        (
          await this.db
            .selectFrom('advisories')
            .select(['id', 'modified'])
            .where(
              'id',
              'in',
              chunk.map((a) => a.id),
            )
            .execute()
        ).map((r) => [r.id, r.modified]),
      );
      const inserts: ReturnType<typeof toRow>[] = [];
      const packages: { package: string; advisory_id: string }[] = [];
      for (const a of chunk) {
        const existing = stored.get(a.id);
        if (existing !== undefined && !isLater(a.modified, existing)) {
          outcomes.push('unchanged');
          continue;
        }
        const row = toRow(a, importedAt);
        if (existing !== undefined) {
          await this.db.updateTable('advisories').set(row).where('id', '=', a.id).execute();
          await this.db.deleteFrom('advisory_packages').where('advisory_id', '=', a.id).execute();
          outcomes.push('updated');
        } else {
          inserts.push(row);
          outcomes.push('added');
        }
        for (const p of new Set(a.affected.map((x) => x.package))) packages.push({ package: p, advisory_id: a.id });
      }
      if (inserts.length > 0) await this.db.insertInto('advisories').values(inserts).execute();
      for (let j = 0; j < packages.length; j += 400) {
        await this.db.insertInto('advisory_packages').values(packages.slice(j, j + 400)).execute();
      }
    }
    return outcomes;
  }

  async get(id: string): Promise<Advisory | undefined> {
    const row = await this.db.selectFrom('advisories').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? advisoryFromRow(row) : undefined;
  }

  async find(idOrAlias: string): Promise<Advisory | undefined> {
    const direct = await this.get(idOrAlias);
    if (direct) return direct;
    // Aliases are a JSON array of strings: match the quoted element, then confirm after parsing.
    const rows = await this.db
      .selectFrom('advisories')
      .selectAll()
      .where('aliases', 'like', `%${JSON.stringify(idOrAlias)}%`)
      .execute();
    return rows.map(advisoryFromRow).find((a) => a.aliases.includes(idOrAlias));
  }

  async list(query: AdvisoryQuery = {}): Promise<Advisory[]> {
    let q = this.db.selectFrom('advisories').selectAll('advisories');
    if (query.package !== undefined) {
      q = q
        .innerJoin('advisory_packages', 'advisory_packages.advisory_id', 'advisories.id')
        .where('advisory_packages.package', '=', query.package);
    }
    if (!query.includeWithdrawn) q = q.where('advisories.withdrawn', 'is', null);
    const rows = await q.orderBy('advisories.id').execute();
    return rows.map(advisoryFromRow);
  }

  async forPackages(packages: string[]): Promise<Advisory[]> {
    if (packages.length === 0) return [];
    const out: Advisory[] = [];
    const seen = new Set<string>();
    // Chunked: SQLite limits the number of bound parameters.
    for (let i = 0; i < packages.length; i += 500) {
      const rows = await this.db
        .selectFrom('advisories')
        .selectAll('advisories')
        .where('id', 'in', (eb) =>
          eb.selectFrom('advisory_packages').select('advisory_id').where('package', 'in', packages.slice(i, i + 500)),
        )
        .execute();
      for (const r of rows) {
        if (seen.has(r.id)) continue;
        seen.add(r.id);
        out.push(advisoryFromRow(r));
      }
    }
    return out;
  }

  async count(): Promise<number> {
    const r = await this.db
      .selectFrom('advisories')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
