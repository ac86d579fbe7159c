// What the simple API and the files answer, apart from the HTTP framework: status, header list
// and body, decided from the request headers (content encoding, conditional requests, ranges).
// The Fastify routes and the hot path (hot-path.ts) both write these, so they cannot disagree.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { PyvetError } from '../errors.js';
import type { ServerContext } from './context.js';
import { acceptsGzip, etagMatches, ifMatchPasses, parseRange } from './http.js';
import type { PageFormat } from './negotiate.js';
import { type Download, makeDownload, Page, SimpleIndex } from './pages.js';

export interface Answer {
  status: number;
  /** Flat [name, value, name, value, …], as res.writeHead takes it; shared, never modify. */
  headers: string[];
  body?: Buffer | Readable;
}

/** A download URL: /files/<a>/<b>/<sha256>/<filename>, `path` as requested (for the 404 message). */
export interface FileRequest {
  a: string;
  b: string;
  sha256: string;
  filename: string;
  path: string;
}

const METADATA_SUFFIX = '.metadata';
const METADATA_TYPE = 'text/plain; charset=utf-8';
const SHA256 = /^[0-9a-f]{64}$/;

function pageAnswer(index: SimpleIndex, page: Page, req: IncomingHttpHeaders): Answer {
  const form = index.form(page, acceptsGzip(req['accept-encoding']));
  // If-Match compares with the representation this request would get (gzip or plain).
  if (!ifMatchPasses(req['if-match'], form.etag)) return preconditionFailed(form.notModified);
  if (etagMatches(req['if-none-match'], page.etag, page.etagGzip)) return { status: 304, headers: form.notModified };
  return { status: 200, headers: form.headers, body: form.body };
}

/** The answer for a page already in memory, or undefined when it must be looked up (async). */
export function cachedPageAnswer(ctx: ServerContext, key: string, req: IncomingHttpHeaders): Answer | undefined {
  if (!ctx.index.isFresh) return undefined;
  const page = ctx.index.cached(key);
  return page instanceof Page ? pageAnswer(ctx.index, page, req) : undefined;
}

export async function rootAnswer(ctx: ServerContext, format: PageFormat, req: IncomingHttpHeaders): Promise<Answer> {
  return pageAnswer(ctx.index, await ctx.index.root(format), req);
}

/** The answer for a normalized project name; PROJECT_NOT_FOUND when it has no approved file. */
export async function projectAnswer(ctx: ServerContext, name: string, format: PageFormat, req: IncomingHttpHeaders): Promise<Answer> {
  const page = await ctx.index.project(name, format);
  if (!page) {
    throw new PyvetError('PROJECT_NOT_FOUND', 'not_found', `no project named ${name} is served here`, { project: name });
  }
  return pageAnswer(ctx.index, page, req);
}

function downloadAnswer(d: Download, req: IncomingHttpHeaders, data: Buffer | undefined, stream: (range?: { start: number; end: number }) => Readable): Answer {
  // Preconditions in RFC 9110 §13.2.2's order: If-Match (else If-Unmodified-Since), then If-None-Match (else If-Modified-Since).
  const im = req['if-match'];
  const ius = req['if-unmodified-since'];
  if (!ifMatchPasses(im, d.etag) || (im === undefined && ius && Date.parse(ius) < d.modifiedMs)) return preconditionFailed(d.common);
  const inm = req['if-none-match'];
  const ims = req['if-modified-since'];
  if (etagMatches(inm, d.etag) || (!inm && ims && Date.parse(ims) >= d.modifiedMs)) return { status: 304, headers: d.common };
  // If-Range holds an ETag or a date (RFC 9110 §13.1.5): our Last-Modified is the upload time,
  // long before any response, so it is a strong validator and an exact date match counts.
  const ifRange = req['if-range'];
  const rangeValid =
    ifRange === undefined ||
    ifRange === d.etag ||
    (typeof ifRange === 'string' && !ifRange.startsWith('"') && !ifRange.startsWith('W/') && Date.parse(ifRange) === d.modifiedMs);
  const range = rangeValid ? parseRange(req.range, d.size) : undefined;
  if (range === undefined) return { status: 200, headers: d.headers, body: data ?? stream() };
  const headers = [...d.common, 'content-type', d.contentType];
  if (range === 'unsatisfiable') {
    headers.push('content-range', `bytes */${d.size}`, 'content-length', '0');
    return { status: 416, headers };
  }
  headers.push('content-range', `bytes ${range.start}-${range.end}/${d.size}`, 'content-length', String(range.end - range.start + 1));
  return { status: 206, headers, body: data ? data.subarray(range.start, range.end + 1) : stream(range) };
}

/** 412: the client's precondition on the representation does not hold; it gets the validators. */
function preconditionFailed(validators: string[]): Answer {
  return { status: 412, headers: [...validators, 'content-length', '0'] };
}

function fileNotFound(r: FileRequest): PyvetError {
  // Built only when needed: an Error captures a stack trace, too dear for the hot path.
  return new PyvetError('FILE_NOT_FOUND', 'not_found', `no approved file at ${r.path}`);
}

/** Whether the URL's two prefix directories are those of its digest. */
function prefixesMatch(r: FileRequest): boolean {
  return r.a === r.sha256.slice(0, 2) && r.b === r.sha256.slice(2, 4);
}

/** Whether the URL can name a file at all: a digest, and its two prefix directories. */
function wellFormed(r: FileRequest): boolean {
  return SHA256.test(r.sha256) && prefixesMatch(r);
}

/** The served file's name in the URL, and whether the URL asks for its .metadata. */
function target(r: FileRequest): { filename: string; metadata: boolean } {
  // No distribution filename ends in .metadata (wheel/sdist names are checked at ingest).
  const metadata = r.filename.endsWith(METADATA_SUFFIX);
  return { filename: metadata ? r.filename.slice(0, -METADATA_SUFFIX.length) : r.filename, metadata };
}

/** The answer for a file whose lookup and bytes are already in memory, else undefined. */
export function cachedFileAnswer(ctx: ServerContext, r: FileRequest, req: IncomingHttpHeaders): Answer | undefined {
  if (!ctx.index.isFresh) return undefined;
  const t = target(r);
  const file = ctx.index.cached(SimpleIndex.fileKey(t.filename));
  // Equal to a stored digest, the URL's digest is well formed: only its prefixes need a look.
  if (!file || file instanceof Page || file.sha256 !== r.sha256 || !prefixesMatch(r)) return undefined;
  if (t.metadata) {
    const m = file.metadata;
    const data = m && ctx.blobs.cached(m.sha256);
    return m && data && downloadAnswer(m, req, data, () => ctx.blobs.stream(m.sha256));
  }
  // Only what is in memory: a large file's bytes are checked to exist first (fileAnswer).
  const data = file.size <= ctx.blobs.maxEntryBytes ? ctx.blobs.cached(file.sha256) : undefined;
  // Bytes of another length than the catalog's are refused by fileAnswer, which says why.
  if (data?.length !== file.size) return undefined;
  return downloadAnswer(file.download, req, data, (range) => ctx.blobs.stream(file.sha256, range));
}

/**
 * The catalog serves a file whose bytes the store no longer has: the operator's problem (a
 * restore, a damaged disk), never a client's 404, and never a 200 that breaks off.
 */
async function present<T>(filename: string, sha256: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (!(err instanceof PyvetError && err.code === 'BLOB_NOT_FOUND')) throw err;
    throw missing(filename, sha256);
  }
}

function missing(filename: string, sha256: string): PyvetError {
  return new PyvetError('BLOB_MISSING', 'internal', `${filename} is served, but the blob store has no blob ${sha256}`, { filename, sha256 });
}

/** The blob's bytes are not the size the catalog says (truncated on disk): as bad as missing. */
function damaged(filename: string, sha256: string, size: number, expected: number): PyvetError {
  return new PyvetError('BLOB_DAMAGED', 'internal', `${filename} is served, but blob ${sha256} has ${size} bytes, not ${expected}`, {
    filename,
    sha256,
    size,
    expected,
  });
}

/** The answer for a download URL; FILE_NOT_FOUND unless it names an approved file (or its metadata). */
export async function fileAnswer(ctx: ServerContext, r: FileRequest, req: IncomingHttpHeaders): Promise<Answer> {
  if (!wellFormed(r)) throw fileNotFound(r);
  const t = target(r);
  const file = await ctx.index.file(t.filename, r.sha256);
  if (!file) throw fileNotFound(r);
  if (t.metadata) {
    const sha256 = file.metadataSha256;
    if (!sha256) throw fileNotFound(r);
    // Core metadata is small (limits.max_metadata_bytes): always from memory.
    const data = await present(`${file.filename}.metadata`, sha256, () => ctx.blobs.bytes(sha256));
    file.metadata ??= makeDownload(sha256, data.length, METADATA_TYPE, file.lastModified, file.cacheControl);
    return downloadAnswer(file.metadata, req, data, () => ctx.blobs.stream(sha256));
  }
  let data: Buffer | undefined;
  if (file.size <= ctx.blobs.maxEntryBytes) {
    data = await present(file.filename, file.sha256, () => ctx.blobs.bytes(file.sha256, file.size));
    if (data.length !== file.size) throw damaged(file.filename, file.sha256, data.length, file.size);
  } else {
    // Streamed after the headers: whether the bytes are all there must be known before them.
    const info = await ctx.repo.blobs.stat(file.sha256);
    if (!info) throw missing(file.filename, file.sha256);
    if (info.size !== file.size) throw damaged(file.filename, file.sha256, info.size, file.size);
  }
  return downloadAnswer(file.download, req, data, (range) => ctx.blobs.stream(file.sha256, range));
}
