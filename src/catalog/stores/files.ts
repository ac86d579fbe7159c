// Projects, releases and files. Every write bumps the 'files' serial in the same statement batch
// (callers wrap writes in catalog.transaction), so the serial moves exactly when what the index
// shows may have changed.
import type Database from 'better-sqlite3';
import type { Kysely, Selectable, Transaction, Updateable } from 'kysely';
import { PyvetError } from '../../errors.js';
import type { DB } from '../db.js';
import type { FilesTable } from '../migrations/001_core.js';
import type {
  FileKind,
  FileQuery,
  FileRecord,
  FileState,
  FileStore,
  IndexedFile,
  NewFile,
  ProjectRecord,
  ProjectSummary,
} from '../types.js';

type FileRow = Selectable<FilesTable>;

/** The one place a files row becomes a FileRecord. */
export function fileFromRow(r: FileRow): FileRecord {
  return {
    id: Number(r.id),
    project: r.project,
    version: r.version,
    filename: r.filename,
    kind: r.kind as FileKind,
    size: Number(r.size),
    sha256: r.sha256,
    blake2b256: r.blake2b256,
    md5: r.md5,
    requiresPython: r.requires_python,
    metadataSha256: r.metadata_sha256,
    requiresDist: JSON.parse(r.requires_dist) as string[],
    providesExtra: JSON.parse(r.provides_extra) as string[],
    summary: r.summary,
    license: r.license,
    tags: JSON.parse(r.tags) as string[],
    uploadedAt: r.uploaded_at,
    upstreamUploadedAt: r.upstream_uploaded_at,
    origin: r.origin,
    state: r.state as FileState,
    stateChangedAt: r.state_changed_at,
    stateChangedBy: r.state_changed_by,
    stateReason: r.state_reason,
    yanked: Number(r.yanked) === 1,
    yankedReason: r.yanked_reason,
    integrity: JSON.parse(r.integrity) as FileRecord['integrity'],
  };
}

/**
 * serial() is called on every index request, so on SQLite it skips Kysely's async query path
 * (~100 µs) for a prepared statement. While a write transaction is open on the connection it
 * answers undefined: the caller then queries through Kysely, which waits for that transaction,
 * so nobody outside it ever sees an uncommitted serial.
 */
export function sqliteSerialReader(database: Database.Database): () => number | undefined {
  let stmt: Database.Statement<[], { value: number }> | undefined;
  return () => {
    if (database.inTransaction) return undefined;
    stmt ??= database.prepare<[], { value: number }>("select value from counters where name = 'files'");
    return Number(stmt.get()?.value ?? 0);
  };
}

export class SqlFileStore implements FileStore {
  constructor(
    private readonly db: Kysely<DB> | Transaction<DB>,
    private readonly readSerial?: () => number | undefined,
  ) {}

  async insert(f: NewFile): Promise<FileRecord> {
    if (await this.getByFilename(f.filename)) {
      throw new PyvetError('FILE_EXISTS', 'conflict', `a file named ${f.filename} is already in the repository`, {
        filename: f.filename,
      });
    }
    const serial = await this.bump();
    const at = f.uploadedAt;
    await this.db
      .insertInto('projects')
      .values({ name: f.project, display_name: f.displayName, created_at: at, last_serial: serial })
      .onConflict((oc) => oc.column('name').doUpdateSet({ last_serial: serial }))
      .execute();
    await this.db
      .insertInto('releases')
      .values({ project: f.project, version: f.version, created_at: at })
      .onConflict((oc) => oc.columns(['project', 'version']).doNothing())
      .execute();
    const row = await this.db
      .insertInto('files')
      .values({
        project: f.project,
        version: f.version,
        filename: f.filename,
        kind: f.kind,
        size: f.size,
        sha256: f.sha256,
        blake2b256: f.blake2b256,
        md5: f.md5,
        requires_python: f.requiresPython,
        metadata_sha256: f.metadataSha256,
        requires_dist: JSON.stringify(f.requiresDist),
        provides_extra: JSON.stringify(f.providesExtra),
        summary: f.summary,
        license: f.license,
        tags: JSON.stringify(f.tags),
        uploaded_at: f.uploadedAt,
        upstream_uploaded_at: f.upstreamUploadedAt,
        origin: f.origin,
        state: f.state,
        state_changed_at: at,
        state_changed_by: f.stateChangedBy,
        state_reason: null,
        yanked: 0,
        yanked_reason: null,
        integrity: JSON.stringify(f.integrity),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return fileFromRow(row);
  }

  async get(id: number): Promise<FileRecord | undefined> {
    const row = await this.db.selectFrom('files').selectAll().where('id', '=', id).executeTakeFirst();
    return row && fileFromRow(row);
  }

  async getByFilename(filename: string): Promise<FileRecord | undefined> {
    const row = await this.db.selectFrom('files').selectAll().where('filename', '=', filename).executeTakeFirst();
    return row && fileFromRow(row);
  }

  async findBySha256(sha256: string): Promise<FileRecord[]> {
    const rows = await this.db.selectFrom('files').selectAll().where('sha256', '=', sha256).orderBy('id').execute();
    return rows.map(fileFromRow);
  }

  async list(query: FileQuery = {}): Promise<FileRecord[]> {
    let q = this.db.selectFrom('files').selectAll();
    if (query.project !== undefined) q = q.where('project', '=', query.project);
    if (query.version !== undefined) q = q.where('version', '=', query.version);
    if (query.states !== undefined) {
      if (query.states.length === 0) return [];
      q = q.where('state', 'in', query.states);
    }
    const rows = await q.orderBy('project').orderBy('id').execute();
    return rows.map(fileFromRow);
  }

  async listIndexed(project: string): Promise<IndexedFile[]> {
    const rows = await this.db
      .selectFrom('files')
      .select(['filename', 'kind', 'version', 'sha256', 'size', 'requires_python', 'metadata_sha256', 'uploaded_at', 'yanked', 'yanked_reason'])
      .where('project', '=', project)
      .where('state', '=', 'approved')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      filename: r.filename,
      kind: r.kind as FileKind,
      version: r.version,
      sha256: r.sha256,
      size: Number(r.size),
      requiresPython: r.requires_python,
      metadataSha256: r.metadata_sha256,
      uploadedAt: r.uploaded_at,
      yanked: Number(r.yanked) === 1,
      yankedReason: r.yanked_reason,
    }));
  }

  async versions(project: string): Promise<string[]> {
    const rows = await this.db.selectFrom('files').select('version').distinct().where('project', '=', project).execute();
    return rows.map((r) => r.version);
  }

  async countByState(): Promise<Record<FileState, number>> {
    const rows = await this.db
      .selectFrom('files')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('state')
      .execute();
    const counts: Record<FileState, number> = { quarantined: 0, approved: 0, rejected: 0 };
    for (const r of rows) counts[r.state as FileState] = Number(r.n);
    return counts;
  }

  async referencedBlobs(): Promise<Set<string>> {
    const rows = await this.db.selectFrom('files').select(['sha256', 'metadata_sha256']).execute();
    const out = new Set<string>();
    for (const r of rows) {
      out.add(r.sha256);
      if (r.metadata_sha256) out.add(r.metadata_sha256);
    }
    return out;
  }

  async getProject(name: string): Promise<ProjectRecord | undefined> {
    const row = await this.db.selectFrom('projects').selectAll().where('name', '=', name).executeTakeFirst();
    return row && { name: row.name, displayName: row.display_name, createdAt: row.created_at };
  }

  async listProjects(states?: FileState[]): Promise<ProjectSummary[]> {
    let q = this.db.selectFrom('projects').select(['name', 'display_name', 'last_serial']);
    if (states !== undefined) {
      if (states.length === 0) return [];
      q = q.where(({ exists, selectFrom }) =>
        exists(
          selectFrom('files')
            .select('files.id')
            .whereRef('files.project', '=', 'projects.name')
            .where('files.state', 'in', states),
        ),
      );
    }
    const rows = await q.orderBy('name').execute();
    return rows.map((r) => ({ name: r.name, displayName: r.display_name, lastSerial: Number(r.last_serial) }));
  }

  async projectNames(opts: { states?: FileState[]; among?: string[] } = {}): Promise<Set<string>> {
    const { states, among } = opts;
    if (states?.length === 0 || among?.length === 0) return new Set();
    if (!states && !among) return new Set((await this.db.selectFrom('projects').select('name').execute()).map((r) => r.name));
    let q = this.db.selectFrom('files').select('project').distinct();
    if (states) q = q.where('state', 'in', states);
    if (among) q = q.where('project', 'in', among);
    return new Set((await q.execute()).map((r) => r.project));
  }

  async setState(id: number, state: FileState, by: string, reason: string | null): Promise<FileRecord> {
    return this.update(id, { state, state_changed_at: new Date().toISOString(), state_changed_by: by, state_reason: reason });
  }

  async setYanked(id: number, yanked: boolean, reason: string | null): Promise<FileRecord> {
    return this.update(id, { yanked: yanked ? 1 : 0, yanked_reason: yanked ? reason : null });
  }

  /** Changes one file's row and moves its project's serial with it. */
  private async update(id: number, set: Updateable<FilesTable>): Promise<FileRecord> {
    const row = await this.db.updateTable('files').set(set).where('id', '=', id).returningAll().executeTakeFirst();
    if (!row) throw notFound(id);
    await this.touchProject(row.project);
    return fileFromRow(row);
  }

  async serial(): Promise<number> {
    const fast = this.readSerial?.();
    if (fast !== undefined) return fast;
    const row = await this.db.selectFrom('counters').select('value').where('name', '=', 'files').executeTakeFirst();
    return Number(row?.value ?? 0);
  }

  private async touchProject(project: string): Promise<void> {
    const serial = await this.bump();
    await this.db.updateTable('projects').set({ last_serial: serial }).where('name', '=', project).execute();
  }

  private async bump(): Promise<number> {
    const row = await this.db
      .updateTable('counters')
      .set((eb) => ({ value: eb('value', '+', 1) }))
      .where('name', '=', 'files')
      .returning('value')
      .executeTakeFirstOrThrow();
    return Number(row.value);
  }
}

function notFound(id: number): PyvetError {
  return new PyvetError('FILE_NOT_FOUND', 'not_found', `no file with id ${id}`, { id });
}
