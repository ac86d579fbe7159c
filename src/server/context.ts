// What every route plugin receives: the repository and the server's shared in-memory state.
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteGenericInterface,
  RouteHandlerMethod,
} from 'fastify';
import { asPyvetError, httpStatusOf } from '../errors.js';
import type { Repository } from '../repository/types.js';
import type { Answer } from './answers.js';
import type { BlobCache } from './blob-cache.js';
import type { Metrics } from './metrics.js';
import type { SimpleIndex } from './pages.js';

export interface ServerContext {
  repo: Repository;
  index: SimpleIndex;
  blobs: BlobCache;
  metrics: Metrics;
}

/** A route group. Plugins are registered in the order of PLUGINS in ./index.ts. */
export type ServerPlugin = (app: FastifyInstance, ctx: ServerContext) => Promise<void> | void;

/**
 * Answers with `{error: {code, message}}`: the status comes from the error's kind (errors.ts)
 * unless the route knows better (e.g. a hostile upload is a 400 whatever the archive code's kind).
 */
export function sendError(reply: FastifyReply, err: unknown, status = httpStatusOf(err)): FastifyReply {
  const e = asPyvetError(err);
  if (status === 401) reply.header('www-authenticate', 'Basic realm="pyvet"');
  const message = status >= 500 && e.kind === 'internal' ? 'internal error' : e.message;
  // twine shows the reason phrase, not the body: routes for it put the message there too, as
  // PyPI does. Printable ASCII only (no CR/LF to split the status line), bounded; the messages
  // are ours and never carry a token.
  if (reply.request.routeOptions.config?.errorInReasonPhrase) {
    const phrase = message.replace(/[^\x20-\x7e]+/g, ' ').trim();
    reply.raw.statusMessage = phrase.length > 200 ? `${phrase.slice(0, 197)}...` : phrase || 'Error';
  }
  return reply.code(status).type('application/json; charset=utf-8').send({ error: { code: e.code, message } });
}

/**
 * What redirects put before their path: server.base_url without its trailing slash (its path
 * prefix kept), or '' when it is not set.
 */
export function publicBase(repo: Repository): string {
  return repo.config.server.base_url?.replace(/\/+$/, '') ?? '';
}

/** Requests whose body stream failed after the headers went out (see recordedStatus). */
const failedBodies = new WeakSet<object>();

/**
 * The status to log and count for a finished request: once the headers are out a stream that
 * breaks off cannot change them, but the record says what happened: 500 when the bytes could
 * not be read, 499 when the client went away (nginx's code).
 */
export function recordedStatus(reply: FastifyReply): number {
  if (reply.raw.writableFinished) return reply.statusCode;
  return failedBodies.has(reply.request) ? 500 : 499;
}

/** Writes an answer from answers.ts through Fastify; to a HEAD, without its body. */
export function sendAnswer(reply: FastifyReply, answer: Answer): FastifyReply {
  reply.code(answer.status);
  const body = answer.body;
  if (body && !Buffer.isBuffer(body)) {
    body.once('error', () => failedBodies.add(reply.request));
    // A client that goes away mid-download must not leave the file open and the request in
    // flight (a graceful close would wait for it).
    reply.raw.once('close', () => {
      if (!body.destroyed) body.destroy();
    });
  }
  const h = answer.headers;
  for (let i = 0; i < h.length; i += 2) reply.header(h[i]!, h[i + 1]);
  if (reply.request.method === 'HEAD') {
    // A file's stream is never read for a HEAD.
    if (body && !Buffer.isBuffer(body)) body.destroy();
    return reply.send();
  }
  return reply.send(body);
}

/**
 * One handler for GET and HEAD. Not Fastify's generated HEAD route: that one says
 * content-length: 0 on a 304, which RFC 9110 §8.6 forbids (it must be the 200's or absent);
 * sendAnswer keeps the answer's headers and drops the body.
 */
export function getAndHead<T extends RouteGenericInterface>(
  app: FastifyInstance,
  url: string,
  handler: (request: FastifyRequest<T>, reply: FastifyReply) => unknown,
): void {
  app.route<T>({ method: ['GET', 'HEAD'], url, exposeHeadRoute: false, handler: handler as RouteHandlerMethod<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, T> });
}
