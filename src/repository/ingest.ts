// Ingest: read the archive safely (src/artifacts), store its bytes and its metadata as blobs,
// then insert the catalog rows, the vetting decision and their audit entries in one transaction.
// The order makes a crash harmless: before the commit there is at most an unreferenced blob,
// never a row without bytes or without its decision.
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type ArtifactReport, artifactLimits, type Digests, nativeUnavailable } from '../artifacts/index.js';
import { sha256File } from '../blobs/index.js';
import type { Catalog } from '../catalog/catalog.js';
import type { FileRecord } from '../catalog/types.js';
import { mapLimit } from '../concurrency.js';
import { asPyvetError, type ErrorKind, PyvetError } from '../errors.js';
import { distributionIdentity } from '../standards/filenames.js';
import { Version } from '../standards/version.js';
import { type Decision, prepareVetting, vetUndecided } from '../vetting/index.js';
import { requireRole } from './roles.js';
import { approveFiles } from './states.js';
import type { Actor, Repository } from './types.js';

export interface IngestOptions {
  actor: Actor;
  /** 'local', 'upload:<token name>', 'upstream:<name>'. */
  origin: string;
  /** The file's real name when `path` is a temporary file (uploads). */
  filename?: string;
  /** Approve right after vetting, unless vetting rejected it (approver role). */
  approve?: boolean;
  /** Required with `approve`. */
  reason?: string;
  /** A digest promised by the sender (upload form, upstream index): checked before anything is stored. */
  expectedSha256?: string;
  /** Upload time at the origin, for the minimum-age gate. */
  upstreamUploadedAt?: string | null;
  /**
   * `path` is the caller's private temporary file (a download, an upload): the blob store may
   * take it over by rename instead of copying it, so it may be gone when this returns.
   */
  consume?: boolean;
  /**
   * `path` is a private file of the caller's that nothing writes any more (a finished download):
   * the store may link it instead of copying it, and it stays where it is (see PutFileOptions.link).
   */
  keep?: boolean;
  /**
   * Digests the caller computed while writing `path` itself (a download, an upload): with
   * `consume`, the file is not hashed again.
   */
  digests?: Digests;
}

export interface IngestResult {
  file: FileRecord;
  /** False when the same filename with the same bytes was already there (nothing changed). */
  created: boolean;
  /** The vetting decision; null when nothing was ingested. */
  decision: Decision | null;
}

// Said once per process, at the first ingest.
let saidNative = false;

/** The already-stored file when it has the same bytes; FILE_EXISTS when the bytes differ. */
async function existing(repo: Repository, filename: string, digest: () => Promise<string>): Promise<FileRecord | undefined> {
  const f = await repo.catalog.files.getByFilename(filename);
  if (!f) return undefined;
  const sha256 = await digest();
  if (sha256 === f.sha256) return f;
  throw new PyvetError(
    'FILE_EXISTS',
    'conflict',
    `${filename} is already in the repository with other bytes (sha256 ${f.sha256}, this one ${sha256}); files are immutable: publish a new version`,
    { filename, storedSha256: f.sha256, sha256 },
  );
}

/**
 * Refuses a file that is, under another spelling of its filename, a distribution already stored
 * ('SameFn-1.0-py3-none-any.whl' beside 'samefn-1.0-…', or 'samefn-1.0.0-…' beside it: installers
 * take them for one another), and a version spelled otherwise than the release it equals under
 * PEP 440 (1.0.0 beside 1.0), which would list one release twice. Runs inside the inserting
 * transaction, so two concurrent ingests cannot both pass it.
 */
async function checkSameDistribution(tx: Catalog, project: string, filename: string, version: string, sha256: string): Promise<FileRecord | undefined> {
  const identity = distributionIdentity(filename);
  const parsed = Version.parse(version);
  // Only files of a release equal to this version can conflict: a project has far fewer
  // releases than files (numpy: hundreds against thousands).
  const equal = (await tx.files.versions(project)).filter((v) => v === version || Version.parse(v).compare(parsed) === 0);
  const others = (await Promise.all(equal.map((v) => tx.files.list({ project, version: v })))).flat();
  const spelled = filenameVersion(filename);
  for (const other of others) {
    if (other.filename === filename) continue; // the filename check (FILE_EXISTS) says it better
    if (distributionIdentity(other.filename) === identity) {
      // The same bytes under another spelling of the name (IDNA-3.20… for idna-3.20…): present.
      if (other.sha256 === sha256) return other;
      throw new PyvetError(
        'FILE_EXISTS',
        'conflict',
        `${filename} is the same distribution as ${other.filename}, already in the repository (sha256 ${other.sha256}); files are immutable: publish a new version`,
        { filename, storedFilename: other.filename, storedSha256: other.sha256 },
      );
    }
    // Every file here is of a release equal to this version: the metadata's version and the
    // filename's spelling of it must both be that release's.
    if (other.version !== version || spelled !== other.version) {
      throw new PyvetError(
        'VERSION_CONFLICT',
        'conflict',
        `${filename}: version ${spelled === other.version ? version : spelled} is the same as ${project}'s release ${other.version} under PEP 440; name its files with ${other.version}`,
        { filename, version, release: other.version },
      );
    }
  }
  return undefined;
}

/** The version as the filename spells it ('1.0.0' in 'pkg-1.0.0-py3-none-any.whl', 'pkg-1.0.0.tar.gz'). */
function filenameVersion(filename: string): string {
  if (filename.endsWith('.whl')) return filename.split('-')[1] ?? '';
  const stem = filename.replace(/\.(tar\.gz|zip)$/, '');
  return stem.slice(stem.lastIndexOf('-') + 1);
}

/** Role and reason checks, which concern a whole batch rather than one file. */
function checkRights(opts: IngestOptions): void {
  requireRole(opts.actor, 'publisher', 'add files');
  if (opts.approve) {
    requireRole(opts.actor, 'approver', 'approve files');
    if (!opts.reason?.trim()) {
      throw new PyvetError('REASON_REQUIRED', 'invalid', 'a reason is required to approve', { action: 'approve' });
    }
  }
}

/** Ingests one archive. Hostile or inconsistent input throws a PyvetError and stores nothing. */
export async function ingestFile(repo: Repository, path: string, opts: IngestOptions): Promise<IngestResult> {
  checkRights(opts);
  const filename = opts.filename ?? basename(path);
  const known = opts.consume ? opts.digests : undefined;
  const present = await existing(repo, filename, async () => known?.sha256 ?? sha256File(path));
  if (present) {
    // Adding again with --approve approves what still waits; nothing else changes.
    if (opts.approve && present.state === 'quarantined') {
      const approved = await approveFiles(repo, filename, opts.actor, opts.reason!);
      return { file: approved.changed[0] ?? present, created: false, decision: null };
    }
    return { file: present, created: false, decision: null };
  }

  // Staged before it is read: what inspection hashes and checks is exactly what gets stored, and
  // publishing it needs no second read.
  const staged = await repo.blobs.stage(path, { move: opts.consume === true, link: opts.keep === true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
    throw new PyvetError('FILE_NOT_FOUND', 'not_found', `${filename}: no such file: ${path}`, { filename, path }, { cause: err });
  });
  let report: ArtifactReport;
  if (nativeUnavailable && !saidNative) {
    saidNative = true;
    repo.logger.warn(`native inflater not in use (${nativeUnavailable}): archives are checked with node:zlib, at about half the speed`);
  }
  try {
    report = await repo.inspector.inspect(staged.path, {
      filename,
      limits: artifactLimits(repo.config.limits),
      expectedSha256: opts.expectedSha256,
      digests: known,
    });
    await staged.commit(report.digests.sha256);
  } catch (err) {
    await staged.discard();
    throw err;
  }
  const { digests } = report;
  const metadataSha256 = (await repo.blobs.putBytes(report.metadataBytes)).sha256;

  // The file's vetting decision commits with its row: it is never stored undecided.
  const vetting = await prepareVetting(repo, report.name, opts.actor);
  const now = new Date().toISOString();
  let file: FileRecord;
  // null: the same bytes were there already under another spelling of the filename.
  let decision: Decision | null;
  try {
    ({ file, decision } = await repo.catalog.transaction(async (tx) => {
      // `pyvet gc` removes unreferenced blobs under this same lock: checked here, they stay.
      for (const sha of [digests.sha256, metadataSha256]) {
        if (!(await repo.blobs.has(sha))) {
          throw new PyvetError('BLOB_VANISHED', 'conflict', `${filename}: its bytes were removed by a concurrent 'pyvet gc'; add it again`, {
            filename,
            sha256: sha,
          });
        }
      }
      const same = await checkSameDistribution(tx, report.name, filename, report.version, digests.sha256);
      if (same) return { file: same, decision: null as Decision | null };
      const f = await tx.files.insert({
        project: report.name,
        displayName: report.displayName,
        version: report.version,
        filename,
        kind: report.kind,
        size: digests.size,
        sha256: digests.sha256,
        blake2b256: digests.blake2b256,
        md5: digests.md5,
        requiresPython: report.requiresPython,
        metadataSha256,
        requiresDist: report.requiresDist,
        providesExtra: report.providesExtra,
        summary: report.summary,
        license: report.license,
        tags: report.tags,
        uploadedAt: now,
        upstreamUploadedAt: opts.upstreamUploadedAt ?? null,
        origin: opts.origin,
        state: 'quarantined',
        stateChangedBy: opts.actor.name,
        integrity: report.integrity,
      });
      await tx.audit.append({
        actor: opts.actor.name,
        action: 'file.ingest',
        subject: filename,
        details: { project: f.project, version: f.version, sha256: f.sha256, size: f.size, origin: opts.origin },
      });
      return { file: f, decision: (await vetting.decide(tx, f)) as Decision | null };
    }));
  } catch (err) {
    // A concurrent ingest of the same name won the race: same bytes is still a no-op.
    if (err instanceof PyvetError && err.code === 'FILE_EXISTS') {
      // The file may have been consumed by the blob store: its digest is already known.
      const raced = await existing(repo, filename, async () => digests.sha256);
      if (raced) return { file: raced, created: false, decision: null };
    }
    throw err;
  }
  if (!decision) {
    // As for the same filename: adding again with --approve approves what still waits.
    if (opts.approve && file.state === 'quarantined') {
      const approved = await approveFiles(repo, file.filename, opts.actor, opts.reason!);
      return { file: approved.changed[0] ?? file, created: false, decision: null };
    }
    return { file, created: false, decision: null };
  }
  repo.logger.info({ filename, project: file.project, version: file.version, by: opts.actor.name, verdict: decision.verdict }, 'file ingested');
  if (opts.approve && decision.verdict !== 'reject') {
    try {
      await approveFiles(repo, filename, opts.actor, opts.reason!);
    } catch (err) {
      // Stored and vetted; what blocks it stays on record in the decision, for a waiver or --force.
      if (!(err instanceof PyvetError && err.code === 'APPROVAL_BLOCKED')) throw err;
    }
  }
  return { file: (await repo.catalog.files.get(file.id))!, created: true, decision };
}

export interface IngestFailure {
  path: string;
  code: string;
  kind: ErrorKind;
  message: string;
}

export interface BatchResult {
  added: IngestResult[];
  /** Same filename and bytes already stored. */
  present: IngestResult[];
  /** Refused files, and paths that do not exist. */
  failed: IngestFailure[];
  /** Archives found under the paths, and their total size. */
  files: number;
  bytes: number;
  /** Wall time of the batch. */
  seconds: number;
}

export type IngestProgress = (done: number, total: number, path: string) => void;

const ARCHIVE = /\.(whl|tar\.gz|zip)$/i;

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (st) => st.isFile(),
    () => false,
  );
}

/**
 * Expands folders (recursively, archives only, sorted) and keeps explicit files as given; a path
 * that does not exist is a PATH_NOT_FOUND failure of its own, not the end of the batch.
 */
export async function collectArchives(paths: string[]): Promise<{ archives: string[]; missing: IngestFailure[] }> {
  const archives: string[] = [];
  const missing: IngestFailure[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (ARCHIVE.test(e.name) && (e.isFile() || (e.isSymbolicLink() && (await isFile(p))))) archives.push(p);
    }
  };
  for (const p of paths) {
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(p);
    } catch {
      missing.push({ path: p, code: 'PATH_NOT_FOUND', kind: 'not_found', message: `no such file or directory: ${p}` });
      continue;
    }
    if (st.isDirectory()) await walk(p);
    else archives.push(p);
  }
  return { archives, missing };
}

/**
 * Ingests files and folders; a failing file or a missing path is recorded and the batch goes on.
 * Paths that exist but hold no wheel or sdist are NO_ARCHIVES_FOUND: nothing to do is not success.
 */
export async function ingestPaths(
  repo: Repository,
  paths: string[],
  opts: IngestOptions,
  onProgress?: IngestProgress,
): Promise<BatchResult> {
  checkRights(opts);
  const started = performance.now();
  const { archives: files, missing } = await collectArchives(paths);
  if (files.length === 0 && missing.length === 0) {
    throw new PyvetError('NO_ARCHIVES_FOUND', 'invalid', `no wheel or sdist (.whl, .tar.gz, .zip) found under ${paths.join(', ')}`, {
      paths,
    });
  }
  // Files an interrupted ingest left without a decision get theirs before new ones arrive.
  await vetUndecided(repo, opts.actor);
  const result: BatchResult = { added: [], present: [], failed: [...missing], files: files.length, bytes: 0, seconds: 0 };
  let done = 0;
  // As many files at once as there are inspection workers; results keep the input order.
  const outcomes = await mapLimit(files, repo.inspector.concurrency, async (path) => {
    let outcome: IngestResult | IngestFailure;
    // Read first, added after: `result.bytes += await …` would add to the total as it was
    // before the await, losing what concurrent files added meanwhile.
    const size = await stat(path).then(
      (st) => st.size,
      () => 0,
    );
    result.bytes += size;
    try {
      outcome = await ingestFile(repo, path, opts);
    } catch (err) {
      const e = asPyvetError(err);
      if (e.kind === 'internal') repo.logger.error({ err, path }, 'ingest failed');
      outcome = { path, code: e.code, kind: e.kind, message: e.message };
    }
    onProgress?.(++done, files.length, path);
    return outcome;
  });
  for (const o of outcomes) {
    if ('code' in o) result.failed.push(o);
    else (o.created ? result.added : result.present).push(o);
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
