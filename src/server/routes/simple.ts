// The simple repository API: /simple/ and /simple/<project>/ (PEP 503 HTML, PEP 691 JSON).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PyvetError } from '../../errors.js';
import { readAccess } from '../auth.js';
import { canonicalizeName } from '../../standards/names.js';
import { type ServerPlugin, sendError } from '../context.js';
import { acceptsGzip, etagMatches } from '../http.js';
import { negotiate, type PageFormat } from '../negotiate.js';
import type { Page } from '../pages.js';

// Clients send the same few Accept headers over and over: remember their answers (bounded).
const negotiated = new Map<string, PageFormat | undefined>();

function formatOf(request: FastifyRequest): PageFormat | undefined {
  const format = (request.query as { format?: string }).format;
  if (format !== undefined) return negotiate(undefined, format);
  const accept = request.headers.accept ?? '';
  if (negotiated.has(accept)) return negotiated.get(accept);
  const f = negotiate(accept, undefined);
  if (negotiated.size >= 256) negotiated.clear();
  negotiated.set(accept, f);
  return f;
}

function notAcceptable(reply: FastifyReply): FastifyReply {
  const err = new PyvetError(
    'NOT_ACCEPTABLE',
    'invalid',
    'none of the requested content types is offered: use application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html or text/html',
  );
  return sendError(reply, err, 406);
}

function sendPage(request: FastifyRequest, reply: FastifyReply, page: Page): FastifyReply {
  const gzip = page.gzip !== undefined && acceptsGzip(request.headers['accept-encoding']);
  reply.header('vary', 'Accept, Accept-Encoding').header('cache-control', 'no-cache');
  reply.header('etag', gzip ? page.etagGzip : page.etag);
  if (etagMatches(request.headers['if-none-match'], page.etag, page.etagGzip)) return reply.code(304).send();
  reply.header('content-type', page.contentType);
  if (gzip) {
    reply.header('content-encoding', 'gzip');
    return reply.send(page.gzip);
  }
  return reply.send(page.body);
}

/** Keeps the query string (e.g. ?format=) across a redirect. */
function query(request: FastifyRequest): string {
  const q = request.url.indexOf('?');
  return q < 0 ? '' : request.url.slice(q);
}

export const simpleRoutes: ServerPlugin = (app, { repo, index }) => {
  app.addHook('preHandler', readAccess(repo));

  app.get('/simple', (request, reply) => reply.redirect(`/simple/${query(request)}`, 301));

  app.get('/simple/', async (request, reply) => {
    const format = formatOf(request);
    if (!format) return notAcceptable(reply);
    return sendPage(request, reply, await index.root(format));
  });

  const project = async (request: FastifyRequest<{ Params: { project: string } }>, reply: FastifyReply) => {
    const name = request.params.project;
    const normalized = canonicalizeName(name);
    const slash = request.url.split('?')[0]!.endsWith('/');
    if (normalized !== name || !slash) {
      return reply.redirect(`/simple/${encodeURIComponent(normalized)}/${query(request)}`, 301);
    }
    const format = formatOf(request);
    if (!format) return notAcceptable(reply);
    const page = await index.project(normalized, format);
    if (!page) {
      throw new PyvetError('PROJECT_NOT_FOUND', 'not_found', `no project named ${normalized} is served here`, {
        project: normalized,
      });
    }
    return sendPage(request, reply, page);
  };
  app.get('/simple/:project/', project);
  app.get('/simple/:project', project);
};
