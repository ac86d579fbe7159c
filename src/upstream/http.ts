// Transfers from upstreams: http(s) with timeouts, retries with backoff and hash-checked
// downloads, and file:// read straight from disk. Credentials travel only in the
// Authorization header and never appear in errors or logs (URLs are printed without userinfo).
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { get as httpGetRaw, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Digester, type Digests, hashFile } from '../artifacts/digests.js';
import { PyvetError } from '../errors.js';

export interface Credentials {
  username: string;
  password: string;
}

export interface TransferOptions {
  credentials?: Credentials | undefined;
  /** Attempts after the first, for 5xx, 429 and network resets. */
  retries?: number;
  timeoutMs?: number;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** The URL with any userinfo removed: the only form that may be printed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

/**
 * Whether a page may send us to a URL: an http(s) page only to http(s) URLs; file: URLs only
 * from a file:// index (else a remote page could make us read, hash or ingest local files).
 */
export function linkAllowed(pageUrl: string, url: string): boolean {
  const link = scheme(url);
  if (link === 'http' || link === 'https') return true;
  return link === 'file' && scheme(pageUrl) === 'file';
}

export function refusedLink(pageUrl: string, url: string): PyvetError {
  return new PyvetError(
    'UPSTREAM_LINK_REFUSED',
    'upstream',
    `${redactUrl(pageUrl)} links ${redactUrl(url)}: an ${scheme(pageUrl)}: index may only link http(s) files, so it is not fetched`,
    { url: redactUrl(url) },
  );
}

function scheme(url: string): string {
  return /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase() ?? 'unknown';
}

function authHeader(creds: Credentials | undefined, url: URL): Record<string, string> {
  let c = creds;
  if (!c && (url.username || url.password)) {
    c = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  }
  if (!c) return {};
  return { authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` };
}

// An index page or a metadata file, never a distribution: bounded so a hostile upstream cannot exhaust memory.
const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

function backoffMs(attempt: number): number {
  // 250 ms, 500 ms, 1 s, 2 s … capped at 8 s, with jitter so parallel workers do not stampede.
  return Math.min(8000, 250 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
}

export interface HttpResponse {
  status: number;
  /** The URL that answered, after redirects, without userinfo. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The body, as it arrives: read it to the end, or discard() it. */
  body: IncomingMessage;
  /**
   * The timeout is one of inactivity: a body that keeps arriving may take as long as it needs
   * (a 700 MB wheel on a slow link). Call alive() as bytes arrive and finish() when done.
   */
  alive(): void;
  finish(): void;
  /**
   * Gives up on the body: the connection is closed, not drained, since an upstream may send
   * a body that never ends (draining it would spin forever and keep the process alive).
   */
  discard(): void;
  /** Whether the inactivity timeout ended the exchange (the body then fails as a reset). */
  readonly timedOut: boolean;
}

const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

function timeoutError(): Error {
  const err = new Error('timed out');
  err.name = 'TimeoutError';
  return err;
}

/**
 * One GET through node:http(s), following redirects. Not fetch: a download's bytes then flow
 * from the socket to the file as Buffers, without web streams and their promise per chunk
 * (fetch cost a third of the main thread's time in a mirror), and no Content-Encoding is ever
 * undone behind our back (a .tar.gz served with Content-Encoding: gzip must keep its hash).
 */
async function getFollowing(start: URL, headers: Record<string, string>, timeoutMs: number, signal?: AbortSignal): Promise<HttpResponse> {
  let url = start;
  let sent = headers;
  for (let hop = 0; ; hop++) {
    const state = { timedOut: false };
    const { res, timer } = await new Promise<{ res: IncomingMessage; timer: NodeJS.Timeout }>((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsGet : httpGetRaw)(url, { headers: sent, ...(signal ? { signal } : {}) });
      const timer = setTimeout(() => {
        state.timedOut = true;
        req.destroy(timeoutError());
      }, timeoutMs);
      timer.unref();
      req.on('response', (res) => resolve({ res, timer }));
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const location = res.headers.location;
    if (REDIRECT_STATUS.has(res.statusCode ?? 0) && location && hop < MAX_REDIRECTS) {
      // Not drained: a redirect's body may be endless too.
      res.destroy();
      clearTimeout(timer);
      const next = new URL(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new PyvetError('UPSTREAM_HTTP_ERROR', 'upstream', `${redactUrl(url.href)}: redirected to a ${next.protocol} URL`);
      }
      // As browsers and fetch do: credentials never follow a redirect to another origin.
      if (next.origin !== url.origin) {
        const { authorization: _dropped, ...rest } = sent;
        sent = rest;
      }
      url = next;
      continue;
    }
    if (REDIRECT_STATUS.has(res.statusCode ?? 0) && location) {
      res.destroy();
      clearTimeout(timer);
      throw new PyvetError('UPSTREAM_HTTP_ERROR', 'upstream', `${redactUrl(start.href)}: more than ${MAX_REDIRECTS} redirects`, {
        url: redactUrl(start.href),
      });
    }
    return {
      status: res.statusCode ?? 0,
      url: redactUrl(url.href),
      headers: res.headers,
      body: res,
      alive: () => timer.refresh(),
      finish: () => clearTimeout(timer),
      discard: () => {
        clearTimeout(timer);
        res.destroy();
      },
      get timedOut() {
        return state.timedOut;
      },
    };
  }
}

/**
 * GET with retries. Resolves on any status that is not retryable (the caller decides what a
 * 404 means); throws UPSTREAM_UNREACHABLE after the last attempt.
 */
export async function httpGet(url: string, opts: TransferOptions = {}): Promise<HttpResponse> {
  const parsed = new URL(url);
  const clean = new URL(url);
  clean.username = '';
  clean.password = '';
  const retries = opts.retries ?? 4;
  const headers = { 'user-agent': 'pyvet', 'accept-encoding': 'identity', ...authHeader(opts.credentials, parsed), ...opts.headers };
  let lastError = '';
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, backoffMs(attempt - 1)));
    try {
      const res = await getFollowing(clean, headers, opts.timeoutMs ?? 60_000, opts.signal);
      if (RETRYABLE_STATUS.has(res.status) && attempt < retries) {
        lastError = `HTTP ${res.status}`;
        res.discard();
        continue;
      }
      return res;
    } catch (err) {
      if (opts.signal?.aborted || err instanceof PyvetError) throw err;
      lastError = describeNetworkError(err);
    }
  }
  throw new PyvetError('UPSTREAM_UNREACHABLE', 'upstream', `${redactUrl(url)}: ${lastError} after ${retries + 1} attempts`, {
    url: redactUrl(url),
  });
}

function describeNetworkError(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'timed out';
  return e.code ?? e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

/** Reads a whole small document (an index page) from http(s) or file://. Null when it does not exist. */
export async function fetchText(
  url: string,
  opts: TransferOptions = {},
): Promise<{ text: string; contentType: string; url: string } | null> {
  if (url.startsWith('file:')) {
    const path = fileURLToPath(url);
    try {
      const st = await stat(path);
      const file = st.isDirectory() ? `${path.replace(/\/$/, '')}/index.html` : path;
      return { text: await readFile(file, 'utf8'), contentType: 'text/html', url };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new PyvetError('UPSTREAM_READ_FAILED', 'upstream', `${url}: ${(err as Error).message}`);
    }
  }
  // Index pages compress well (PyPI's numpy page is megabytes): ask for gzip here only.
  const res = await httpGet(url, { ...opts, headers: { 'accept-encoding': 'gzip', ...opts.headers } });
  try {
    if (res.status === 404 || res.status === 410) {
      res.discard();
      return null;
    }
    if (res.status !== 200) {
      res.discard();
      throw new PyvetError('UPSTREAM_HTTP_ERROR', 'upstream', `${redactUrl(url)}: HTTP ${res.status}`, {
        url: redactUrl(url),
        status: res.status,
      });
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      res.alive();
      total += chunk.length;
      if (total > MAX_DOCUMENT_BYTES) {
        res.body.destroy();
        throw new PyvetError('UPSTREAM_HTTP_ERROR', 'upstream', `${redactUrl(url)}: larger than ${MAX_DOCUMENT_BYTES} bytes`, { url: redactUrl(url) });
      }
      chunks.push(chunk);
    }
    let body = Buffer.concat(chunks, total);
    const encoding = String(res.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding === 'gzip' || encoding === 'x-gzip') body = gunzipSync(body, { maxOutputLength: MAX_DOCUMENT_BYTES });
    else if (encoding !== 'identity') {
      throw new PyvetError('UPSTREAM_HTTP_ERROR', 'upstream', `${redactUrl(url)}: unsupported Content-Encoding ${encoding}`, { url: redactUrl(url) });
    }
    return { text: body.toString('utf8'), contentType: String(res.headers['content-type'] ?? ''), url: res.url || url };
  } catch (err) {
    if (err instanceof PyvetError) throw err;
    const why = res.timedOut ? `nothing arrived for ${(opts.timeoutMs ?? 60_000) / 1000} s` : describeNetworkError(err);
    throw new PyvetError('UPSTREAM_UNREACHABLE', 'upstream', `${redactUrl(url)}: ${why}`, { url: redactUrl(url) });
  } finally {
    res.finish();
  }
}

export interface DownloadResult {
  /** All of the file's digests (sha256 among them), computed on the bytes as they were written; undefined with `hash: false`. */
  digests: Digests | undefined;
  size: number;
  /** Bytes actually transferred in this call (less than size after a resumed download). */
  transferred: number;
}

export interface DownloadOptions extends TransferOptions {
  /** The upstream's advertised sha256: a mismatch deletes what was written and throws. */
  expectedSha256?: string | undefined;
  /** Called with the number of new bytes as they arrive. */
  onBytes?: (n: number) => void;
  /**
   * False: the caller checks the bytes itself afterwards (ingest hashes and checks them on a
   * worker thread), so nothing is hashed here and `expectedSha256` is not checked. Default true.
   */
  hash?: boolean;
  /** The most bytes a file may have (the repository's max_file_bytes): a longer body is cut off. */
  maxBytes?: number | undefined;
  /** The size the index advertised (PEP 700): a body longer or shorter than this is refused. */
  expectedSize?: number | null | undefined;
  /** The index page that linked `url`: a file: URL is read only when it is itself file:. */
  linkedFrom?: string | undefined;
}

/**
 * Downloads to `dest` through `dest.part`, hashing on the way; renamed into place only when the
 * digest matches. A `.part` left by an interrupted run is resumed with a Range request (its
 * bytes are re-hashed first), so a re-run never transfers again what already arrived.
 */
export async function download(url: string, dest: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  if (opts.linkedFrom !== undefined && !linkAllowed(opts.linkedFrom, url)) throw refusedLink(opts.linkedFrom, url);
  await mkdir(dirname(dest), { recursive: true });
  const hashing = opts.hash !== false;
  if (!hashing) {
    // A complete file from an earlier run (a dry run keeps what it fetched): the caller checks it.
    const done = await stat(dest).catch(() => undefined);
    if (done?.isFile()) return { digests: undefined, size: done.size, transferred: 0 };
  } else if (opts.expectedSha256) {
    // A complete file from an earlier run (a dry run keeps what it fetched) is not fetched again.
    const done = await hashFile(dest).catch(() => null);
    if (done && done.sha256 === opts.expectedSha256.toLowerCase()) return { size: done.size, digests: done, transferred: 0 };
  }
  const part = `${dest}.part`;
  // An upstream that never stops sending must not fill the disk: the transfer is cut off as soon
  // as it passes the repository's limit or the index's advertised size, whichever is smaller.
  const advertised = typeof opts.expectedSize === 'number' && opts.expectedSize >= 0 ? opts.expectedSize : undefined;
  const limit = Math.min(opts.maxBytes ?? Number.POSITIVE_INFINITY, advertised ?? Number.POSITIVE_INFINITY);
  const tooLarge = (n: number) =>
    advertised !== undefined && n > advertised && advertised <= (opts.maxBytes ?? Number.POSITIVE_INFINITY)
      ? new PyvetError('UPSTREAM_SIZE_MISMATCH', 'integrity', `${redactUrl(url)}: more than the ${advertised} bytes the index promised`, {
          url: redactUrl(url),
          expected: advertised,
        })
      : new PyvetError(
          'UPSTREAM_FILE_TOO_LARGE',
          'upstream',
          `${redactUrl(url)}: larger than the repository's limit of ${opts.maxBytes} bytes (limits.max_file_bytes); nothing was kept`,
          { url: redactUrl(url), limit: opts.maxBytes, received: n },
        );
  // Every digest is taken here, on the bytes as they are written, so that nothing reads the file again.
  const hash = new Digester();
  let size = 0;
  let transferred = 0;
  let alive = () => {};
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (size + chunk.length > limit) {
        cb(tooLarge(size + chunk.length));
        return;
      }
      if (hashing) hash.update(chunk);
      size += chunk.length;
      transferred += chunk.length;
      alive();
      opts.onBytes?.(chunk.length);
      cb(null, chunk);
    },
  });

  if (url.startsWith('file:')) {
    try {
      await pipeline(createReadStream(fileURLToPath(url)), counter, createWriteStream(part));
    } catch (err) {
      await rm(part, { force: true });
      throw err;
    }
  } else {
    let offset = 0;
    try {
      const st = await stat(part);
      offset = st.size;
    } catch {
      offset = 0;
    }
    if (offset > limit) {
      // Left by a run with a larger limit (or a lying upstream): start over under this one.
      await rm(part, { force: true });
      offset = 0;
    }
    if (offset > 0) {
      // Re-hash what an earlier attempt left before asking for the rest.
      if (hashing) for await (const chunk of createReadStream(part, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
      size = offset;
    }
    const res = await httpGet(url, { ...opts, headers: offset > 0 ? { range: `bytes=${offset}-` } : {} });
    alive = res.alive;
    try {
      if (offset > 0 && res.status === 200) {
        // The server ignored Range: start over.
        res.discard();
        await rm(part, { force: true });
        return await download(url, dest, opts);
      }
      if (res.status === 416 && offset > 0) {
        res.discard();
      } else if (res.status !== 200 && res.status !== 206) {
        res.discard();
        throw new PyvetError('UPSTREAM_HTTP_ERROR', 'upstream', `${redactUrl(url)}: HTTP ${res.status}`, {
          url: redactUrl(url),
          status: res.status,
        });
      } else {
        // A Content-Length beyond the limit is refused before a byte is written.
        const announced = Number(res.headers['content-length']);
        if (Number.isFinite(announced) && offset + announced > limit) {
          res.body.destroy();
          await rm(part, { force: true });
          throw tooLarge(offset + announced);
        }
        try {
          await pipeline(
            res.body,
            counter,
            createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' }),
          );
        } catch (err) {
          if (err instanceof PyvetError) {
            // Over the limit: what arrived is not kept, and not asked for again.
            await rm(part, { force: true });
            throw err;
          }
          if (opts.signal?.aborted) throw err;
          // A reset or a stall half-way: what arrived stays in .part, and the next attempt asks
          // only for the rest.
          const left = opts.retries ?? 4;
          if (left > 0) {
            await new Promise((r) => setTimeout(r, backoffMs(0)));
            const rest = await download(url, dest, { ...opts, retries: left - 1 });
            return { ...rest, transferred: rest.transferred + transferred };
          }
          const why = res.timedOut ? `nothing arrived for ${(opts.timeoutMs ?? 60_000) / 1000} s` : describeNetworkError(err);
          throw new PyvetError(
            'UPSTREAM_TRANSFER_FAILED',
            'upstream',
            `${redactUrl(url)}: ${why} after ${size} bytes; they are kept, and a re-run resumes after them`,
            { url: redactUrl(url), received: size },
          );
        }
      }
    } finally {
      res.finish();
    }
  }
  if (advertised !== undefined && size !== advertised) {
    await rm(part, { force: true });
    throw new PyvetError(
      'UPSTREAM_SIZE_MISMATCH',
      'integrity',
      `${redactUrl(url)}: ${size} bytes, the index promised ${advertised}; nothing was kept`,
      { url: redactUrl(url), expected: advertised, actual: size },
    );
  }
  if (!hashing) {
    await rename(part, dest);
    return { digests: undefined, size, transferred };
  }
  const digests = hash.digest();
  const { sha256 } = digests;
  if (opts.expectedSha256 && sha256 !== opts.expectedSha256.toLowerCase()) {
    await rm(part, { force: true });
    throw new PyvetError(
      'UPSTREAM_HASH_MISMATCH',
      'integrity',
      `${redactUrl(url)}: sha256 is ${sha256}, the upstream index promised ${opts.expectedSha256}`,
      { url: redactUrl(url), expected: opts.expectedSha256, actual: sha256 },
    );
  }
  await rename(part, dest);
  return { digests, size, transferred };
}
