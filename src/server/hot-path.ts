// The hot path: GET and HEAD of /simple/, /simple/<project>/ and /files/… answered straight on
// node:http, in front of Fastify. pip's requests are nearly all of these, and Fastify's routing,
// hooks, per-request logger and reply object cost more than writing a cached page does. It is a
// thin shell over the same services as the routes (answers.ts, SimpleIndex, BlobCache, the read
// decision in auth.ts) and keeps their metrics and access log; anything unusual (redirects,
// percent-escapes, other query parameters, errors, 401s, 406s) goes to Fastify unchanged.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { Logger } from 'pino';
import { canonicalizeName } from '../standards/names.js';
import { type Answer, cachedFileAnswer, cachedPageAnswer, type FileRequest, fileAnswer, projectAnswer, rootAnswer } from './answers.js';
import { authorizeRead, readIsOpen } from './auth.js';
import { loggableUrl } from './http.js';
import type { ServerContext } from './context.js';
import { negotiateCached, type PageFormat } from './negotiate.js';
import { SimpleIndex } from './pages.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

// How a response stream fails when the client closed its connection.
const CLIENT_GONE = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'EPIPE', 'ERR_STREAM_DESTROYED']);

// Route patterns, as Fastify names them in the metrics.
const ROOT = '/simple/';
const PROJECT = '/simple/:project/';
const FILE = '/files/:a/:b/:sha256/:filename';

/** What a URL asks for, when the hot path takes it. */
type Target = { route: typeof ROOT; format: PageFormat } | { route: typeof PROJECT; name: string; format: PageFormat } | { route: typeof FILE; file: FileRequest };

export class HotPath {
  /** Set when the server starts closing: Fastify then answers 503 to what still comes in. */
  closing = false;

  constructor(
    private readonly ctx: ServerContext,
    private readonly log: { logger: Logger; accessLog: boolean },
  ) {}

  /** Answers `req`, or hands it to `next` (Fastify) untouched. */
  handle(req: IncomingMessage, res: ServerResponse, next: Handler): void {
    const start = performance.now();
    let target: Target | undefined;
    let answer: Answer | undefined;
    try {
      const method = req.method;
      target = this.closing || (method !== 'GET' && method !== 'HEAD') ? undefined : parse(req.url!, req.headers.accept);
      if (target && readIsOpen(this.ctx.repo, req.headers.authorization)) answer = this.cached(target, req);
    } catch {
      // Whatever went wrong, Fastify answers it and logs it.
      target = undefined;
    }
    if (!target) {
      next(req, res);
      return;
    }
    const route = target.route;
    if (answer) {
      this.write(req, res, answer, route, start);
      return;
    }
    this.answer(req, target).then(
      (a) => this.write(req, res, a, route, start),
      // Errors (404, 401, a failing catalog) are Fastify's to answer and log: it asks again.
      () => next(req, res),
    );
  }

  /** The answer from memory alone, when everything it needs is there. */
  private cached(t: Target, req: IncomingMessage): Answer | undefined {
    if (t.route === FILE) return cachedFileAnswer(this.ctx, t.file, req.headers);
    const key = t.route === ROOT ? SimpleIndex.rootKey(t.format) : SimpleIndex.projectKey(t.name, t.format);
    return cachedPageAnswer(this.ctx, key, req.headers);
  }

  private async answer(req: IncomingMessage, t: Target): Promise<Answer> {
    await authorizeRead(this.ctx.repo, req.headers.authorization);
    if (t.route === ROOT) return rootAnswer(this.ctx, t.format, req.headers);
    if (t.route === PROJECT) return projectAnswer(this.ctx, t.name, t.format, req.headers);
    return fileAnswer(this.ctx, t.file, req.headers);
  }

  private write(req: IncomingMessage, res: ServerResponse, a: Answer, route: string, start: number): void {
    try {
      res.writeHead(a.status, a.headers);
    } catch (err) {
      // Nothing was sent: an answer node:http refuses is a bug, to be logged, not a crash.
      this.log.logger.error({ err, method: req.method, url: loggableUrl(req.url!) }, 'request failed');
      res.destroy();
      return;
    }
    const body = a.body;
    if (body === undefined || Buffer.isBuffer(body)) {
      res.end(body);
      this.done(req, a.status, route, start);
      return;
    }
    if (req.method === 'HEAD') {
      body.destroy();
      res.end();
      this.done(req, a.status, route, start);
      return;
    }
    pipeline(body, res, (err) => {
      if (!err) {
        this.done(req, a.status, route, start);
        return;
      }
      // The status line is gone already; the connection is closed, so the client sees a cut-off
      // body, never a complete-looking one. What is recorded says what happened instead of 200:
      // 499 when the client went away (nginx's code), 500 when the bytes could not be read.
      if (CLIENT_GONE.has((err as NodeJS.ErrnoException).code ?? '')) {
        this.done(req, 499, route, start);
        return;
      }
      this.log.logger.error({ err, method: req.method, url: loggableUrl(req.url!) }, 'download failed after its headers were sent');
      this.done(req, 500, route, start);
    });
  }

  private done(req: IncomingMessage, status: number, route: string, start: number): void {
    const ms = performance.now() - start;
    this.ctx.metrics.observe(route, req.method!, status, ms / 1000);
    if (this.log.accessLog) {
      this.log.logger.info({ method: req.method, url: loggableUrl(req.url!), status, ms: Math.round(ms * 100) / 100 }, 'request');
    }
  }
}

/**
 * The target of a URL the hot path takes: exact shapes only, no percent-escapes, no query but a
 * plain ?format=, names already normalized, an acceptable format. Anything else is undefined.
 */
function parse(url: string, accept: string | undefined): Target | undefined {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (path.includes('%')) return undefined;
  if (path.startsWith('/simple/')) {
    const format = q < 0 ? negotiateCached(accept, undefined) : formatParam(url.slice(q + 1), accept);
    if (!format) return undefined;
    if (path.length === ROOT.length) return { route: ROOT, format };
    const name = path.slice(ROOT.length, -1);
    if (!name || !path.endsWith('/') || name.includes('/') || canonicalizeName(name) !== name) return undefined;
    return { route: PROJECT, name, format };
  }
  if (path.startsWith('/files/')) {
    const parts = path.split('/');
    if (parts.length !== 6 || !parts[5]) return undefined;
    return { route: FILE, file: { a: parts[2]!, b: parts[3]!, sha256: parts[4]!, filename: parts[5], path } };
  }
  return undefined;
}

/** The format for a query string, when it is plain enough to read here (at most one format=, nothing encoded). */
function formatParam(query: string, accept: string | undefined): PageFormat | undefined {
  if (query.includes('%') || query.includes('+')) return undefined;
  let format: string | undefined;
  for (const pair of query.split('&')) {
    if (!pair.startsWith('format=')) continue;
    if (format !== undefined) return undefined;
    format = pair.slice('format='.length);
  }
  return negotiateCached(accept, format);
}
