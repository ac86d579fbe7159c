// Loading OSV advisories into the catalog: from a directory of *.json, an osv.dev ecosystem
// all.zip (flat <ID>.json members), JSON lines (optionally gzipped), a JSON file or array, or an
// http(s)/file URL of any of these (fetched to a temporary file first). The source is read as
// a stream with size limits, since a sync URL is as untrusted as anything else.
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import yauzl from 'yauzl';
import { PyvetError } from '../errors.js';
import { requireRole } from '../repository/roles.js';
import type { Actor, Repository } from '../repository/types.js';
import { download, redactUrl } from '../upstream/http.js';
import { advisoryFromOsv } from './osv.js';
import type { Advisory, ImportReport } from './types.js';

/** Largest single OSV record (one JSON file, one zip member, one line). */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;
// A JSON-lines source, decompressed: the whole PyPA database is about a hundredth of this.
const MAX_INPUT_BYTES = 4 * 1024 * 1024 * 1024;
/** Largest zip member count and total uncompressed size (osv.dev's PyPI all.zip: ~20k members, ~100 MB). */
const MAX_ZIP_ENTRIES = 500_000;
const MAX_ZIP_TOTAL_BYTES = 4 * 1024 ** 3;
const MAX_SKIP_REASONS = 20;

/** One record read from a source, or why it could not be read. */
type Item = { record: unknown; where: string } | { error: string };

function invalid(message: string, details: Record<string, unknown> = {}): PyvetError {
  return new PyvetError('ADVISORY_SOURCE_INVALID', 'invalid', message, details);
}

async function readStreamLimited(stream: Readable, limit: number, where: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      stream.destroy();
      throw invalid(`${where}: larger than ${limit} bytes`, { where, limit });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseRecord(text: string, where: string): Item {
  try {
    return { record: JSON.parse(text), where };
  } catch (err) {
    return { error: `${where}: not JSON (${(err as Error).message})` };
  }
}

async function* fromDirectory(dir: string): AsyncGenerator<Item> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  for (const name of names) {
    const path = join(dir, name);
    const st = await stat(path);
    if (!st.isFile()) continue;
    if (st.size > MAX_RECORD_BYTES) {
      yield { error: `${name}: larger than ${MAX_RECORD_BYTES} bytes` };
      continue;
    }
    yield parseRecord(await readFile(path, 'utf8'), name);
  }
}

async function* fromZip(path: string): AsyncGenerator<Item> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, validateEntrySizes: true, strictFileNames: true });
  } catch (err) {
    throw invalid(`${path}: not a readable zip archive (${(err as Error).message})`, { path });
  }
  try {
    if (zip.entryCount > MAX_ZIP_ENTRIES) throw invalid(`${path}: more than ${MAX_ZIP_ENTRIES} members`, { path });
    let total = 0;
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith('/') || !entry.fileName.endsWith('.json')) continue;
      if (entry.uncompressedSize > MAX_RECORD_BYTES) {
        yield { error: `${entry.fileName}: larger than ${MAX_RECORD_BYTES} bytes` };
        continue;
      }
      total += entry.uncompressedSize;
      if (total > MAX_ZIP_TOTAL_BYTES) throw invalid(`${path}: more than ${MAX_ZIP_TOTAL_BYTES} bytes uncompressed`);
      // validateEntrySizes makes yauzl fail the stream if a member inflates beyond its declared size.
      const stream = await zip.openReadStreamPromise(entry);
      const bytes = await readStreamLimited(stream, MAX_RECORD_BYTES, entry.fileName);
      yield parseRecord(bytes.toString('utf8'), entry.fileName);
    }
  } finally {
    zip.close();
  }
}

/**
 * Lines of a stream, each at most `max` bytes: a longer one is skipped as it streams past (never
 * held: readline buffered a 600 MB line of a 600 KB .gz whole and crashed), and the whole input
 * may not pass `total` bytes once decompressed.
 */
async function* boundedLines(input: AsyncIterable<Buffer>, max: number, total: number): AsyncGenerator<string | null> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let seen = 0;
  const line = () => (tooLong ? null : Buffer.concat(parts).toString('utf8').replace(/\r$/, ''));
  for await (const chunk of input) {
    seen += chunk.length;
    if (seen > total) throw new Error(`more than ${total} bytes once decompressed`);
    for (let start = 0; start < chunk.length; ) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      size += end - start;
      if (size > max) {
        tooLong = true;
        parts = [];
      } else if (!tooLong) parts.push(chunk.subarray(start, end));
      if (nl < 0) break;
      yield line();
      [parts, size, tooLong, start] = [[], 0, false, nl + 1];
    }
  }
  if (size > 0 || tooLong) yield line();
}

async function* fromLines(path: string, gzipped: boolean): AsyncGenerator<Item> {
  const file = createReadStream(path);
  const input = gzipped ? file.pipe(createGunzip()) : file;
  let n = 0;
  try {
    for await (const line of boundedLines(input as AsyncIterable<Buffer>, MAX_RECORD_BYTES, MAX_INPUT_BYTES)) {
      n++;
      if (line === null) {
        yield { error: `line ${n}: longer than ${MAX_RECORD_BYTES} bytes` };
        continue;
      }
      if (line.trim() === '') continue;
      yield parseRecord(line, `line ${n}`);
    }
  } catch (err) {
    throw invalid(`${path}: cannot read (${(err as Error).message})`, { path });
  } finally {
    file.destroy();
  }
}

/** A file whose content decides its format: zip, gzip (JSON lines), a JSON array/object, or JSON lines. */
async function* fromFile(path: string): AsyncGenerator<Item> {
  const fh = await open(path, 'r');
  const head = Buffer.alloc(512);
  let n: number;
  try {
    ({ bytesRead: n } = await fh.read(head, 0, head.length, 0));
  } finally {
    await fh.close();
  }
  if (n >= 4 && head.readUInt32LE(0) === 0x04034b50) {
    yield* fromZip(path);
    return;
  }
  if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    yield* fromLines(path, true);
    return;
  }
  const first = head.subarray(0, n).toString('utf8').trimStart()[0];
  const size = (await stat(path)).size;
  if (first === '[' || (first === '{' && path.endsWith('.json'))) {
    if (size > MAX_RECORD_BYTES * 16) throw invalid(`${path}: a JSON file larger than ${MAX_RECORD_BYTES * 16} bytes`);
    const item = parseRecord(await readFile(path, 'utf8'), path);
    if ('record' in item && Array.isArray(item.record)) {
      let i = 0;
      for (const record of item.record) yield { record, where: `${path}[${i++}]` };
    } else {
      yield item;
    }
    return;
  }
  yield* fromLines(path, false);
}

/** Reads a source (path or URL) and calls `consume` with each item; temporary downloads are removed. */
async function readSource(source: string, consume: (items: AsyncGenerator<Item>) => Promise<void>): Promise<void> {
  if (/^https?:\/\//i.test(source) || source.startsWith('file:')) {
    const tmp = await mkdtemp(join(tmpdir(), 'pyvet-advisories-'));
    try {
      const dest = join(tmp, 'source');
      await download(source, dest, { retries: 2 });
      await consume(fromFile(dest));
    } catch (err) {
      if (err instanceof PyvetError) throw err;
      throw new PyvetError('ADVISORY_FETCH_FAILED', 'upstream', `${redactUrl(source)}: ${(err as Error).message}`, {
        url: redactUrl(source),
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return;
  }
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(source);
  } catch {
    throw new PyvetError('ADVISORY_SOURCE_NOT_FOUND', 'not_found', `${source}: no such file or directory`, { source });
  }
  await consume(st.isDirectory() ? fromDirectory(source) : fromFile(source));
}

export interface ImportOptions {
  /** Clock for imported_at and the audit entry's details (tests inject one). */
  now?: () => Date;
  /** A settings key: the import happens only while it is unset and sets it, checked and set in
   *  the import's own transaction (so two processes cannot both import). */
  onceKey?: string;
}

/**
 * Imports advisories: new ids are added, records with a later `modified` replace the stored
 * one, others are unchanged. Everything commits in one transaction together with its audit
 * entry, so a failed import changes nothing.
 */
export async function importAdvisories(
  repo: Repository,
  source: string,
  actor: Actor,
  opts: Omit<ImportOptions, 'onceKey'> = {},
): Promise<ImportReport> {
  return (await runImport(repo, source, actor, opts))!;
}

/** importAdvisories; null when `onceKey` was set already (nothing was imported). */
async function runImport(repo: Repository, source: string, actor: Actor, opts: ImportOptions): Promise<ImportReport | null> {
  requireRole(actor, 'admin', 'import advisories');
  const now = (opts.now ?? (() => new Date()))().toISOString();
  const shown = /^[a-z]+:/i.test(source) ? redactUrl(source) : source;
  const report: ImportReport = {
    source: shown,
    read: 0,
    added: 0,
    updated: 0,
    unchanged: 0,
    withdrawn: 0,
    skipped: 0,
    skippedReasons: [],
  };
  let done = false;
  const skip = (reason: string) => {
    report.skipped++;
    if (report.skippedReasons.length < MAX_SKIP_REASONS) report.skippedReasons.push(reason);
  };
  // Any download happens before the transaction: the write lock is held only while importing.
  await readSource(source, (items) =>
    repo.catalog.transaction(async (tx) => {
      if (opts.onceKey !== undefined && (await tx.settings.get(opts.onceKey)) !== undefined) {
        done = true;
        return;
      }
      // Records go to the catalog in batches; a repeated id within one source: the later line wins.
      let batch = new Map<string, Advisory>();
      const flush = async () => {
        const list = [...batch.values()];
        batch = new Map();
        for (const [i, outcome] of (await tx.advisories.upsertMany(list, now)).entries()) {
          report[outcome]++;
          if (outcome !== 'unchanged' && list[i]!.withdrawn) report.withdrawn++;
        }
      };
      for await (const item of items) {
        if ('error' in item) {
          skip(item.error);
          continue;
        }
        report.read++;
        const advisory = advisoryFromOsv(item.record);
        if (typeof advisory === 'string') {
          skip(`${item.where}: ${advisory}`);
          continue;
        }
        if (batch.has(advisory.id)) await flush();
        batch.set(advisory.id, advisory);
        if (batch.size >= 500) await flush();
      }
      await flush();
      if (report.read === 0 && report.skipped === 0) throw invalid(`${shown}: no advisories found`, { source: shown });
      // Nothing in it was an OSV record at all (an HTML error page, a wrong file): a failure to
      // say, not an import of nothing (a broken sync URL would go unnoticed).
      if (report.read === 0) {
        throw invalid(`${shown}: no OSV record could be read (${report.skipped} item(s) skipped; first: ${report.skippedReasons[0]})`, {
          source: shown,
        });
      }
      await tx.audit.append({
        actor: actor.name,
        action: 'advisories.import',
        subject: shown,
        details: { ...report, skippedReasons: report.skippedReasons.slice(0, 5) },
      });
      if (opts.onceKey !== undefined) await tx.settings.set(opts.onceKey, now);
    }),
  );
  if (done) return null;
  repo.logger.info({ ...report, skippedReasons: undefined }, 'advisories imported');
  return report;
}

/** The bundled PyPA advisory snapshot (CC-BY 4.0, see data/advisories/SOURCE.md). */
export function bundledAdvisoriesPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return resolve(dir, 'data', 'advisories', 'pypa-advisories.jsonl.gz');
}

/** A repository with no advisories at all starts from the bundled snapshot. Returns the report when it imported. */
export async function ensureBundledAdvisories(repo: Repository, actor: Actor): Promise<ImportReport | null> {
  // Recorded, not inferred from the count: a repository whose first import was a single file of
  // its own advisories must still get the PyPA database (newer records already stored are kept).
  if ((await repo.catalog.settings.get(BUNDLED_KEY)) !== undefined) return null;
  // Single-flight in this process (a first mirror vets files concurrently, each scan asking), and
  // once across processes: the key is checked and set inside the import's transaction.
  let running = bundledImports.get(repo);
  if (!running) {
    running = runImport(repo, bundledAdvisoriesPath(), actor, { onceKey: BUNDLED_KEY }).finally(() => bundledImports.delete(repo));
    bundledImports.set(repo, running);
  }
  return running;
}

const bundledImports = new WeakMap<Repository, Promise<ImportReport | null>>();

const BUNDLED_KEY = 'advisories.bundled_imported_at';

/** Fetches `config.advisories.sync_url` and imports it through the same path as a file. */
export async function syncAdvisories(repo: Repository, actor: Actor, opts: ImportOptions = {}): Promise<ImportReport> {
  return importAdvisories(repo, repo.config.advisories.sync_url, actor, opts);
}
