// Releases: written once, in the same transaction as their audit entry, never updated.
import type { Kysely, Selectable, Transaction } from 'kysely';
import { PyvetError } from '../../errors.js';
import type { DB } from '../db.js';
import type { ReleasesTable } from '../migrations/003_releases.js';

export interface ReleaseRecord {
  name: string;
  createdAt: string;
  createdBy: string;
  base: string | null;
  indexUrl: string;
  targets: string[];
  manifestSha256: string;
}

export interface ReleaseDocument {
  path: string;
  mediaType: string;
  sha256: string;
  content: string;
}

export interface ReleasePin {
  target: string;
  project: string;
  version: string;
  filename: string;
  sha256: string;
  fileId: number;
}

export interface ReleaseStore {
  /** Inserts a release with its documents and pins. Throws RELEASE_EXISTS when the name is taken. */
  insert(release: ReleaseRecord, documents: ReleaseDocument[], pins: ReleasePin[]): Promise<ReleaseRecord>;
  get(name: string): Promise<ReleaseRecord | undefined>;
  /** Newest first. */
  list(): Promise<ReleaseRecord[]>;
  getDocument(release: string, path: string): Promise<ReleaseDocument | undefined>;
  /** Paths, media types and digests (no content). */
  listDocuments(release: string): Promise<Omit<ReleaseDocument, 'content'>[]>;
  /** Pins of a release (one target or all), by target then project. */
  listPins(release: string, target?: string): Promise<ReleasePin[]>;
  /** The releases that pin each of these files (file id → release names, newest first, as list()). */
  releasesPinning(fileIds: readonly number[]): Promise<Map<number, string[]>>;
}

function fromRow(r: Selectable<ReleasesTable>): ReleaseRecord {
  return {
    name: r.name,
    createdAt: r.created_at,
    createdBy: r.created_by,
    base: r.base,
    indexUrl: r.index_url,
    targets: JSON.parse(r.targets) as string[],
    manifestSha256: r.manifest_sha256,
  };
}

export class SqlReleaseStore implements ReleaseStore {
  constructor(private readonly db: Kysely<DB> | Transaction<DB>) {}

  async insert(release: ReleaseRecord, documents: ReleaseDocument[], pins: ReleasePin[]): Promise<ReleaseRecord> {
    if (await this.get(release.name)) {
      throw new PyvetError('RELEASE_EXISTS', 'conflict', `release ${release.name} already exists; releases are immutable`, {
        release: release.name,
      });
    }
    await this.db
      .insertInto('release_sets')
      .values({
        name: release.name,
        created_at: release.createdAt,
        created_by: release.createdBy,
        base: release.base,
        index_url: release.indexUrl,
        targets: JSON.stringify(release.targets),
        manifest_sha256: release.manifestSha256,
      })
      .execute();
    for (const d of documents) {
      await this.db
        .insertInto('release_set_documents')
        .values({ release: release.name, path: d.path, media_type: d.mediaType, sha256: d.sha256, content: d.content })
        .execute();
    }
    for (let i = 0; i < pins.length; i += 100) {
      await this.db
        .insertInto('release_set_pins')
        .values(
          pins.slice(i, i + 100).map((p) => ({
            release: release.name,
            target: p.target,
            project: p.project,
            version: p.version,
            filename: p.filename,
            sha256: p.sha256,
            file_id: p.fileId,
          })),
        )
        .execute();
    }
    return release;
  }

  async get(name: string): Promise<ReleaseRecord | undefined> {
    const row = await this.db.selectFrom('release_sets').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async list(): Promise<ReleaseRecord[]> {
    const rows = await this.db.selectFrom('release_sets').selectAll().orderBy('created_at', 'desc').orderBy('name', 'desc').execute();
    return rows.map(fromRow);
  }

  async getDocument(release: string, path: string): Promise<ReleaseDocument | undefined> {
    const row = await this.db
      .selectFrom('release_set_documents')
      .selectAll()
      .where('release', '=', release)
      .where('path', '=', path)
      .executeTakeFirst();
    return row ? { path: row.path, mediaType: row.media_type, sha256: row.sha256, content: row.content } : undefined;
  }

  async listDocuments(release: string): Promise<Omit<ReleaseDocument, 'content'>[]> {
    const rows = await this.db
      .selectFrom('release_set_documents')
      .select(['path', 'media_type', 'sha256'])
      .where('release', '=', release)
      .orderBy('path')
      .execute();
    return rows.map((r) => ({ path: r.path, mediaType: r.media_type, sha256: r.sha256 }));
  }

  async releasesPinning(fileIds: readonly number[]): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>();
    if (fileIds.length === 0) return out;
    // release_set_pins is indexed on file_id for exactly this question.
    const rows = await this.db
      .selectFrom('release_set_pins as p')
      .innerJoin('release_sets as r', 'r.name', 'p.release')
      .select(['p.file_id', 'p.release', 'r.created_at'])
      .distinct()
      .where('p.file_id', 'in', [...fileIds])
      .orderBy('r.created_at', 'desc')
      .orderBy('p.release', 'desc')
      .execute();
    for (const r of rows) {
      const id = Number(r.file_id);
      out.set(id, [...(out.get(id) ?? []), r.release]);
    }
    return out;
  }

  async listPins(release: string, target?: string): Promise<ReleasePin[]> {
    let q = this.db.selectFrom('release_set_pins').selectAll().where('release', '=', release);
    if (target !== undefined) q = q.where('target', '=', target);
    const rows = await q.orderBy('target').orderBy('project').execute();
    return rows.map((r) => ({
      target: r.target,
      project: r.project,
      version: r.version,
      filename: r.filename,
      sha256: r.sha256,
      fileId: Number(r.file_id),
    }));
  }
}
