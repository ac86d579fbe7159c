// The pyvet HTTP server (Fastify): the simple index, files, upload, the admin API, health and
// metrics. Each route group is a plugin in PLUGINS; all of them share one ServerContext.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerFactory,
  LogController,
  type RawServerDefault,
} from 'fastify';
import type { Logger } from 'pino';
import { httpStatusOf, PyvetError } from '../errors.js';
import type { Repository } from '../repository/types.js';
import { BlobCache } from './blob-cache.js';
import { recordedStatus, type ServerContext, type ServerPlugin, sendError } from './context.js';
import { HotPath } from './hot-path.js';
import { loggableUrl } from './http.js';
import { Metrics } from './metrics.js';
import { SimpleIndex } from './pages.js';
import { apiRoutes } from './routes/api.js';
import { fileRoutes } from './routes/files.js';
import { healthRoutes } from './routes/health.js';
import { releaseRoutes } from './routes/releases.js';
import { simpleRoutes } from './routes/simple.js';
import { uploadRoutes } from './routes/upload.js';

export type { ServerContext, ServerPlugin } from './context.js';

// Platform wheel names run long (charset_normalizer-…-manylinux2014_x86_64.manylinux_2_17_x86_64
// .manylinux_2_28_x86_64.whl.metadata): Fastify's default of 100 characters would refuse them.
const MAX_PARAM_LENGTH = 1024;

// Route groups, registered in this order. Add yours with one line.
const PLUGINS: ServerPlugin[] = [simpleRoutes, fileRoutes, uploadRoutes, apiRoutes, healthRoutes, releaseRoutes];

export interface ServerOptions {
  /** Logger for access and error lines (default: the repository's). */
  logger?: Logger;
  /**
   * Bytes of rendered pages and file lookups kept in memory (default 64 MiB: every project page
   * of a 100 k-file catalog, plain, or its gzip form many times over).
   */
  pageCacheBytes?: number;
  /** Bytes of small files and .metadata kept in memory (default 32 MiB). */
  fileCacheBytes?: number;
  /** Files up to this size are served from memory (default 1 MiB); larger ones stream. */
  fileCacheEntryBytes?: number;
  /**
   * Answer the index and files on node:http before Fastify (hot-path.ts; default true). false
   * sends every request through Fastify: the tests compare the two.
   */
  hotPath?: boolean;
}

export function buildServer(repo: Repository, opts: ServerOptions = {}): FastifyInstance {
  const logger = opts.logger ?? repo.logger;
  const ctx: ServerContext = {
    repo,
    index: new SimpleIndex(repo, opts.pageCacheBytes ?? 64 * 1024 * 1024),
    blobs: new BlobCache(repo.blobs, opts.fileCacheBytes ?? 32 * 1024 * 1024, opts.fileCacheEntryBytes ?? 1024 * 1024),
    metrics: new Metrics(),
  };
  const accessLog = repo.config.server.access_log;
  const hot = opts.hotPath === false ? undefined : new HotPath(ctx, { logger, accessLog });

  /** The metrics sample and access line of one request. */
  const observe = (request: FastifyRequest, status: number, ms: number) => {
    ctx.metrics.observe(request.routeOptions.url ?? 'unmatched', request.method, status, ms / 1000);
    if (accessLog) {
      request.log.info({ method: request.method, url: loggableUrl(request.url), status, ms: Math.round(ms * 100) / 100 }, 'request');
    }
  };
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One access line per request is written below, in a fixed shape tests and operators rely on.
    logController: new LogController({ disableRequestLogging: true }),
    // Large uploads stream through the multipart parser; JSON bodies of the admin API are small.
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // A URL the router cannot take (a bad percent-escape, an over-long segment) is answered before
    // any route or hook: in our envelope, without echoing the URL, and recorded like the rest.
    frameworkErrors: (err, request, reply) => {
      const start = performance.now();
      reply.raw.once('close', () => observe(request, recordedStatus(reply), performance.now() - start));
      if (err.code === 'FST_ERR_BAD_URL') return sendError(reply, new PyvetError('URL_INVALID', 'invalid', 'the URL path is not valid (a malformed percent-escape)'));
      if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
        return sendError(reply, new PyvetError('URL_TOO_LONG', 'invalid', `a segment of the URL path is longer than ${MAX_PARAM_LENGTH} characters`), 414);
      }
      request.log.error({ err, method: request.method, url: loggableUrl(request.url) }, 'request failed');
      return sendError(reply, err);
    },
    // A field the schema does not know is refused, not silently dropped: '{"expires": "0d"}'
    // instead of expiresAt made a token that never expires.
    ajv: { customOptions: { removeAdditional: false } },
    serverFactory: hot && hotPathServer(hot),
  });
  if (hot) {
    app.addHook('preClose', (done) => {
      hot.closing = true;
      done();
    });
  }

  app.setErrorHandler((err, request, reply) => {
    if (err instanceof PyvetError) {
      // A refusal is the client's business; a 5xx (a blob missing from the store) is the operator's.
      if (httpStatusOf(err) >= 500) request.log.error({ code: err.code, details: err.details, method: request.method, url: loggableUrl(request.url) }, err.message);
      return sendError(reply, err);
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      // Fastify's own refusals: schema validation, unsupported media type, body too large.
      const code = (err as { validation?: unknown }).validation ? 'REQUEST_INVALID' : `HTTP_${status}`;
      return sendError(reply, new PyvetError(code, 'invalid', (err as Error).message), status);
    }
    request.log.error({ err, method: request.method, url: loggableUrl(request.url) }, 'request failed');
    return sendError(reply, err);
  });
  // The path is echoed as it would be logged: no credentials handed back where a proxy may log them.
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new PyvetError('NOT_FOUND', 'not_found', `nothing at ${request.method} ${loggableUrl(request.url).split('?')[0]}`)),
  );

  // Every request is recorded once: when its response finishes (onResponse), or when its
  // connection closes first (a client that abandons a download: Fastify then has no onResponse).
  const recorded = new WeakSet<object>();
  const record = (request: FastifyRequest, reply: FastifyReply) => {
    if (recorded.has(request)) return;
    recorded.add(request);
    observe(request, recordedStatus(reply), reply.elapsedTime);
  };
  app.addHook('onRequest', async (request, reply) => {
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) record(request, reply);
    });
  });
  app.addHook('onResponse', async (request, reply) => record(request, reply));

  const allowed = methodsByUrl(app);
  for (const plugin of PLUGINS) app.register(async (scope) => plugin(scope, ctx));
  app.register(async (scope) => methodNotAllowed(scope, allowed));
  return app;
}

// The methods a 405 may be answered to (those a client would try on a URL we know).
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

/** Collects the methods of every route added from now on, by URL pattern. */
function methodsByUrl(app: FastifyInstance): Map<string, Set<string>> {
  const byUrl = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const set = byUrl.get(route.url) ?? new Set<string>();
    for (const m of [route.method].flat()) set.add(m);
    byUrl.set(route.url, set);
  });
  return byUrl;
}

/**
 * A known URL asked with another method is a 405 with `Allow` (RFC 9110 §15.5.6), not a 404;
 * unknown URLs stay 404. Answered at onRequest: a body is neither parsed nor refused first.
 */
function methodNotAllowed(app: FastifyInstance, byUrl: Map<string, Set<string>>): void {
  for (const [url, methods] of [...byUrl]) {
    const others = METHODS.filter((m) => !methods.has(m));
    if (others.length === 0) continue;
    const allow = METHODS.filter((m) => methods.has(m)).join(', ');
    const refuse = async (request: FastifyRequest, reply: FastifyReply) =>
      sendError(reply.header('allow', allow), new PyvetError('METHOD_NOT_ALLOWED', 'invalid', `${request.method} is not allowed here: use ${allow}`), 405);
    // The handler is never reached (onRequest answers); Fastify wants one.
    app.route({ method: others, url, exposeHeadRoute: false, onRequest: refuse, handler: refuse });
  }
}

/** The server Fastify would create (same timeouts), with the hot path in front of Fastify's handler. */
function hotPathServer(hot: HotPath): FastifyServerFactory<RawServerDefault> {
  return (handler, o) => {
    const server = createServer((req, res) => hot.handle(req, res, handler));
    server.keepAliveTimeout = o.keepAliveTimeout as number;
    server.requestTimeout = o.requestTimeout as number;
    server.setTimeout(o.connectionTimeout as number);
    if (o.maxRequestsPerSocket) server.maxRequestsPerSocket = o.maxRequestsPerSocket as number;
    return server;
  };
}

export interface RunningServer {
  /** http://host:port, with the port actually bound (port 0 picks a free one). */
  url: string;
  app: FastifyInstance;
  /**
   * Stops accepting connections, lets in-flight requests finish, then resolves. After `drainMs`
   * (default: no limit) the connections still open are closed: a slow client cannot hold a
   * shutdown forever.
   */
  close(drainMs?: number): Promise<void>;
}

export async function startServer(
  repo: Repository,
  listen: { host?: string; port?: number } = {},
  opts: ServerOptions = {},
): Promise<RunningServer> {
  const app = buildServer(repo, opts);
  await app.listen({ host: listen.host ?? repo.config.server.host, port: listen.port ?? repo.config.server.port });
  const { address, port, family } = app.server.address() as AddressInfo;
  const host = family === 'IPv6' ? `[${address}]` : address;
  const close = async (drainMs?: number) => {
    const closed = app.close();
    const deadline = drainMs === undefined ? undefined : setTimeout(() => app.server.closeAllConnections(), drainMs);
    try {
      await closed;
    } finally {
      clearTimeout(deadline);
    }
  };
  return { url: `http://${host}:${port}`, app, close };
}
