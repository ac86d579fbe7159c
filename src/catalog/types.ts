// The catalog: everything pyvet knows about projects, files, accounts and decisions.
// Storage is behind these small interfaces (like Verdaccio's storage plugins) so that a
// PostgreSQL catalog can come later: all SQL lives in src/catalog, written with Kysely so that it
// stays portable. Each domain owns one store (one file here) and one migration.
//
// All methods are async even though SQLite is synchronous, because PostgreSQL will not be.

export type FileState = 'quarantined' | 'approved' | 'rejected';
export type FileKind = 'wheel' | 'sdist';

export interface ProjectRecord {
  /** PEP 503-normalized name: the key. */
  name: string;
  /** The name as first written by its metadata (e.g. "Django"). */
  displayName: string;
  createdAt: string;
}

/** Integrity results kept from ingest, as evidence. */
export interface IntegrityReport {
  /** What was checked, each with its outcome: e.g. {check: 'record-hashes', ok: true, detail: '312 entries'} */
  checks: { check: string; ok: boolean; detail?: string }[];
}

export interface FileRecord {
  id: number;
  /** PEP 503-normalized project name. */
  project: string;
  /** PEP 440-normalized version string. */
  version: string;
  filename: string;
  kind: FileKind;
  size: number;
  sha256: string;
  blake2b256: string;
  md5: string;
  requiresPython: string | null;
  /** sha256 of the METADATA / PKG-INFO bytes, which are stored as a blob too (PEP 658/714). */
  metadataSha256: string | null;
  /** Requires-Dist lines exactly as in the metadata. */
  requiresDist: string[];
  /** Provides-Extra, normalized. */
  providesExtra: string[];
  summary: string | null;
  /** SPDX expression when it could be derived, else the free text; null when none is declared. */
  license: string | null;
  /** Expanded wheel tags ('cp311-cp311-manylinux_2_17_x86_64', …); [] for an sdist. */
  tags: string[];
  /** When the file entered pyvet (ISO 8601, UTC). */
  uploadedAt: string;
  /** Upload time at the origin (e.g. PyPI), when known: the minimum-age gate uses it. */
  upstreamUploadedAt: string | null;
  /** Where it came from: 'upload:<token name>', 'local', 'upstream:<upstream name>'. */
  origin: string;
  state: FileState;
  stateChangedAt: string;
  stateChangedBy: string;
  stateReason: string | null;
  yanked: boolean;
  yankedReason: string | null;
  integrity: IntegrityReport;
}

export type NewFile = Omit<FileRecord, 'id' | 'stateChangedAt' | 'stateChangedBy' | 'stateReason' | 'yanked' | 'yankedReason'> & {
  /** Display name of the project, used when the project is created. */
  displayName: string;
  stateChangedBy: string;
};

export interface FileQuery {
  project?: string;
  version?: string;
  states?: FileState[];
}

/** What the simple index shows of a file: no JSON columns to parse, so a page renders fast. */
export type IndexedFile = Pick<
  FileRecord,
  'filename' | 'kind' | 'version' | 'sha256' | 'size' | 'requiresPython' | 'metadataSha256' | 'uploadedAt' | 'yanked' | 'yankedReason'
>;

export interface ProjectSummary {
  name: string;
  displayName: string;
  /** Serial of the last change to any of its files (PyPI's _last-serial). */
  lastSerial: number;
}

export interface FileStore {
  /** Inserts a file (and its project and release if new). Throws PyvetError FILE_EXISTS on a duplicate filename. */
  insert(file: NewFile): Promise<FileRecord>;
  get(id: number): Promise<FileRecord | undefined>;
  getByFilename(filename: string): Promise<FileRecord | undefined>;
  findBySha256(sha256: string): Promise<FileRecord[]>;
  list(query?: FileQuery): Promise<FileRecord[]>;
  getProject(name: string): Promise<ProjectRecord | undefined>;
  /** Projects having at least one file in one of `states` (all projects when omitted). */
  listProjects(states?: FileState[]): Promise<ProjectSummary[]>;
  /** One project's approved files as the index shows them, in the order list() gives. */
  listIndexed(project: string): Promise<IndexedFile[]>;
  /** The distinct versions of a project's files, in any state, as spelled. */
  versions(project: string): Promise<string[]>;
  /**
   * Just the names of listProjects(states), optionally only those `among` the given ones: what
   * vetting asks for every file, so it must stay cheap with tens of thousands of projects.
   */
  projectNames(opts?: { states?: FileState[]; among?: string[] }): Promise<Set<string>>;
  setState(id: number, state: FileState, by: string, reason: string | null): Promise<FileRecord>;
  setYanked(id: number, yanked: boolean, reason: string | null): Promise<FileRecord>;
  /** Bumped by every change to files; the server re-renders pages when it moves. */
  serial(): Promise<number>;
  /** How many files are in each state (states with none are 0). */
  countByState(): Promise<Record<FileState, number>>;
  /** Every blob digest a file row refers to (its bytes and its metadata), whatever its state. */
  referencedBlobs(): Promise<Set<string>>;
}

export type Role = 'reader' | 'publisher' | 'approver' | 'admin';

export interface TokenRecord {
  /** Public identifier, also the prefix of the secret (so lookups need no secret comparison). */
  id: string;
  name: string;
  role: Role;
  /** sha256 (hex) of the whole token string; the token itself is never stored. */
  hash: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface TokenStore {
  insert(token: Omit<TokenRecord, 'revokedAt' | 'lastUsedAt'>): Promise<TokenRecord>;
  get(id: string): Promise<TokenRecord | undefined>;
  list(): Promise<TokenRecord[]>;
  revoke(id: string, at: string): Promise<TokenRecord>;
  touch(id: string, at: string): Promise<void>;
}

export interface AuditEntryInput {
  /** Who: a token name, 'cli:<user>', 'system'. Never a secret. */
  actor: string;
  /** What, as a dotted verb: 'file.approve', 'file.reject', 'file.yank', 'token.create', 'policy.change', 'advisories.import', 'release.create', … */
  action: string;
  /** The thing acted on: a filename, 'project==version', a token id, a release name. */
  subject: string;
  /** Free JSON: reasons, before/after, counts. */
  details: Record<string, unknown>;
}

export interface AuditEntry extends AuditEntryInput {
  seq: number;
  at: string;
  /** sha256 hex of the previous entry's hash (64 zeros for the first). */
  prevHash: string;
  /** sha256 hex over prevHash and the canonical JSON of this entry's fields. */
  hash: string;
}

export interface AuditStore {
  /** Appends with the hash chain. Call inside the transaction that makes the change it records. */
  append(entry: AuditEntryInput): Promise<AuditEntry>;
  list(fromSeq?: number, limit?: number): Promise<AuditEntry[]>;
  /** Entries about any of `subjects` (a filename, NAME==VERSION …), in order, by index. */
  bySubject(subjects: string[]): Promise<AuditEntry[]>;
}

export interface SettingsStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}
