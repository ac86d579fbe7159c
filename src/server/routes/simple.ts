// The simple repository API: /simple/ and /simple/<project>/ (PEP 503 HTML, PEP 691 JSON).
// The answers come from answers.ts; the hot path (../hot-path.ts) answers the common cases
// before Fastify sees them, and hands everything else (redirects, errors) to these routes.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PyvetError } from '../../errors.js';
import { canonicalizeName } from '../../standards/names.js';
import { projectAnswer, rootAnswer } from '../answers.js';
import { readAccess } from '../auth.js';
import { getAndHead, publicBase, type ServerPlugin, sendAnswer, sendError } from '../context.js';
import { negotiateCached, type PageFormat } from '../negotiate.js';
import { PAGE_VARY } from '../pages.js';

function formatOf(request: FastifyRequest): PageFormat | undefined {
  const format = (request.query as { format?: string | string[] }).format;
  // ?format=a&format=b parses to an array: which one was meant is the client's to say.
  if (Array.isArray(format)) throw new PyvetError('REQUEST_INVALID', 'invalid', 'the query parameter `format` is given more than once');
  return negotiateCached(request.headers.accept, format);
}

function notAcceptable(reply: FastifyReply): FastifyReply {
  const err = new PyvetError(
    'NOT_ACCEPTABLE',
    'invalid',
    'none of the requested content types is offered: use application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html or text/html',
  );
  // The answer depends on Accept as much as a 200 does: a cache must not hand it to other clients.
  return sendError(reply.header('vary', PAGE_VARY), err, 406);
}

/** Keeps the query string (e.g. ?format=) across a redirect. */
function query(request: FastifyRequest): string {
  const q = request.url.indexOf('?');
  return q < 0 ? '' : request.url.slice(q);
}

export const simpleRoutes: ServerPlugin = (app, ctx) => {
  app.addHook('preHandler', readAccess(ctx.repo));
  // Behind a proxy that serves us under a path (base_url https://host/pypi/), a redirect to
  // /simple/… would leave that path; without base_url the path is ours alone.
  const base = publicBase(ctx.repo);

  app.get('/simple', (request, reply) => reply.redirect(`${base}/simple/${query(request)}`, 301));

  getAndHead(app, '/simple/', async (request, reply) => {
    const format = formatOf(request);
    if (!format) return notAcceptable(reply);
    return sendAnswer(reply, await rootAnswer(ctx, format, request.headers));
  });

  const project = async (request: FastifyRequest<{ Params: { project: string } }>, reply: FastifyReply) => {
    const name = request.params.project;
    const normalized = canonicalizeName(name);
    const slash = request.url.split('?')[0]!.endsWith('/');
    if (normalized !== name || !slash) {
      return reply.redirect(`${base}/simple/${encodeURIComponent(normalized)}/${query(request)}`, 301);
    }
    const format = formatOf(request);
    if (!format) return notAcceptable(reply);
    return sendAnswer(reply, await projectAnswer(ctx, normalized, format, request.headers));
  };
  getAndHead(app, '/simple/:project/', project);
  getAndHead(app, '/simple/:project', project);
};
