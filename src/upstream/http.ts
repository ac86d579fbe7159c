// Transfers from upstreams: http(s) with timeouts, retries with backoff and hash-checked
// downloads, and file:// read straight from disk. Credentials travel only in the
// Authorization header and never appear in errors or logs (URLs are printed without userinfo).
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { Digester, type Digests } from '../artifacts/digests.js';
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

function authHeader(creds: Credentials | undefined, url: URL): Record<string, string> {
  let c = creds;
  if (!c && (url.username || url.password)) {
    c = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  }
  if (!c) return {};
  return { authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` };
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

function backoffMs(attempt: number): number {
  // 250 ms, 500 ms, 1 s, 2 s … capped at 8 s, with jitter so parallel workers do not stampede.
  return Math.min(8000, 250 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
}

export interface HttpResponse {
  status: number;
  url: string;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
  /**
   * The timeout is one of inactivity: a body that keeps arriving may take as long as it needs
   * (a 700 MB wheel on a slow link). Call alive() as bytes arrive and finish() when done.
   */
  alive(): void;
  finish(): void;
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
  let lastError = '';
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, backoffMs(attempt - 1)));
    const idle = new AbortController();
    const timer = setTimeout(() => idle.abort(new DOMException('timed out', 'TimeoutError')), opts.timeoutMs ?? 60_000);
    timer.unref();
    const signal = opts.signal ? AbortSignal.any([opts.signal, idle.signal]) : idle.signal;
    try {
      const res = await fetch(clean, {
        headers: { 'user-agent': 'pyvet', ...authHeader(opts.credentials, parsed), ...opts.headers },
        redirect: 'follow',
        signal,
      });
      if (RETRYABLE_STATUS.has(res.status) && attempt < retries) {
        lastError = `HTTP ${res.status}`;
        await res.body?.cancel();
        clearTimeout(timer);
        continue;
      }
      return {
        status: res.status,
        url: res.url,
        headers: res.headers,
        body: res.body,
        alive: () => timer.refresh(),
        finish: () => clearTimeout(timer),
      };
    } catch (err) {
      clearTimeout(timer);
      if (opts.signal?.aborted) throw err;
      lastError = describeNetworkError(err);
    }
  }
  throw new PyvetError('UPSTREAM_UNREACHABLE', 'upstream', `${redactUrl(url)}: ${lastError} after ${retries + 1} attempts`, {
    url: redactUrl(url),
  });
}

function describeNetworkError(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'timed out';
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
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
  const res = await httpGet(url, opts);
  try {
    if (res.status === 404 || res.status === 410) {
      await res.body?.cancel();
      return null;
    }
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel();
      throw new PyvetError('UPSTREAM_HTTP_ERROR', 'upstream', `${redactUrl(url)}: HTTP ${res.status}`, {
        url: redactUrl(url),
        status: res.status,
      });
    }
    const text = await new Response(res.body).text();
    return { text, contentType: res.headers.get('content-type') ?? '', url: res.url || url };
  } finally {
    res.finish();
  }
}

export interface DownloadResult {
  /** Undefined with `hash: false`. */
  sha256: string | undefined;
  /** All of the file's digests, computed on the bytes as they were written; undefined with `hash: false`. */
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
}

async function existingDigests(path: string): Promise<Digests | null> {
  try {
    const d = new Digester();
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) d.update(chunk as Buffer);
    return d.digest();
  } catch {
    return null;
  }
}

/**
 * Downloads to `dest` through `dest.part`, hashing on the way; renamed into place only when the
 * digest matches. A `.part` left by an interrupted run is resumed with a Range request (its
 * bytes are re-hashed first), so a re-run never transfers again what already arrived.
 */
export async function download(url: string, dest: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  await mkdir(dirname(dest), { recursive: true });
  const hashing = opts.hash !== false;
  if (!hashing) {
    // A complete file from an earlier run (a dry run keeps what it fetched): the caller checks it.
    const done = await stat(dest).catch(() => undefined);
    if (done?.isFile()) return { sha256: undefined, digests: undefined, size: done.size, transferred: 0 };
  } else if (opts.expectedSha256) {
    // A complete file from an earlier run (a dry run keeps what it fetched) is not fetched again.
    const done = await existingDigests(dest);
    if (done && done.sha256 === opts.expectedSha256.toLowerCase()) return { sha256: done.sha256, size: done.size, digests: done, transferred: 0 };
  }
  const part = `${dest}.part`;
  // Every digest is taken here, on the bytes as they are written, so that nothing reads the file again.
  const hash = new Digester();
  let size = 0;
  let transferred = 0;
  let alive = () => {};
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (hashing) hash.update(chunk);
      size += chunk.length;
      transferred += chunk.length;
      alive();
      opts.onBytes?.(chunk.length);
      cb(null, chunk);
    },
  });

  if (url.startsWith('file:')) {
    await pipeline(createReadStream(fileURLToPath(url)), counter, createWriteStream(part));
  } else {
    let offset = 0;
    try {
      const st = await stat(part);
      offset = st.size;
    } catch {
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
        await res.body?.cancel();
        await rm(part, { force: true });
        return await download(url, dest, opts);
      }
      if (res.status === 416 && offset > 0) {
        await res.body?.cancel();
      } else if ((res.status !== 200 && res.status !== 206) || !res.body) {
        await res.body?.cancel();
        throw new PyvetError('UPSTREAM_HTTP_ERROR', 'upstream', `${redactUrl(url)}: HTTP ${res.status}`, {
          url: redactUrl(url),
          status: res.status,
        });
      } else {
        try {
          await pipeline(
            Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>),
            counter,
            createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' }),
          );
        } catch (err) {
          if (opts.signal?.aborted) throw err;
          // A reset or a stall half-way: what arrived stays in .part, and the next attempt asks
          // only for the rest.
          const left = opts.retries ?? 4;
          if (left > 0) {
            await new Promise((r) => setTimeout(r, backoffMs(0)));
            const rest = await download(url, dest, { ...opts, retries: left - 1 });
            return { ...rest, transferred: rest.transferred + transferred };
          }
          throw new PyvetError(
            'UPSTREAM_TRANSFER_FAILED',
            'upstream',
            `${redactUrl(url)}: ${describeNetworkError(err)} after ${size} bytes; they are kept, and a re-run resumes after them`,
            { url: redactUrl(url), received: size },
          );
        }
      }
    } finally {
      res.finish();
    }
  }
  if (!hashing) {
    await rename(part, dest);
    return { sha256: undefined, digests: undefined, size, transferred };
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
  return { sha256, digests, size, transferred };
}
