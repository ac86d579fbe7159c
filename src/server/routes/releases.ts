// Releases at stable URLs: /releases/ (HTML or JSON), /releases/NAME/ and its documents
// (TARGET.txt, TARGET.cdx.json, manifest.json, manifest.json.sig), and /releases/signing-key.pub.
// /releases/latest/… serves the newest release's documents under the alias (verify accepts it as
// the name of whatever release it finds there).
// Reading follows the index's rule (anonymous_read). Documents are immutable: served byte for
// byte as stored, with their sha256 as ETag.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PyvetError } from '../../errors.js';
import { isLatestAlias, listReleases, releaseDocument, showRelease } from '../../releases/service.js';
import { publicKeyPem } from '../../releases/signing.js';
import { readAccess } from '../auth.js';
import { publicBase, type ServerPlugin } from '../context.js';
import { etagMatches } from '../http.js';
import { escapeHtml } from '../render.js';

function wantsJson(request: FastifyRequest): boolean {
  const format = (request.query as { format?: string }).format;
  if (format !== undefined) return format === 'json';
  const accept = request.headers.accept ?? '';
  return /application\/(vnd\.pyvet\.[a-z.]+\+)?json/.test(accept) && !/text\/html/.test(accept);
}

function html(reply: FastifyReply, title: string, items: string[]): FastifyReply {
  const body = `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>\n<h1>${escapeHtml(title)}</h1>\n<ul>\n${items.join('\n')}\n</ul>\n</body></html>\n`;
  return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(body);
}

// As files (pages.ts): when reading needs a token, a shared cache must not keep what an
// authorized request fetched and answer others with it (RFC 9111 §3.5).
const DOCUMENT_CACHE_CONTROL = { open: 'public, max-age=31536000, immutable', restricted: 'private, max-age=31536000, immutable' };

export const releaseRoutes: ServerPlugin = (app, { repo }) => {
  app.addHook('preHandler', readAccess(repo));
  const base = publicBase(repo);
  const documentCacheControl = repo.config.server.anonymous_read ? DOCUMENT_CACHE_CONTROL.open : DOCUMENT_CACHE_CONTROL.restricted;
  const aliasCacheControl = repo.config.server.anonymous_read ? 'no-cache' : 'private, no-cache';

  app.get('/releases', (_request, reply) => reply.redirect(`${base}/releases/`, 301));

  app.get('/releases/', async (request, reply) => {
    const releases = await listReleases(repo);
    if (wantsJson(request)) return reply.header('cache-control', 'no-cache').send({ releases });
    return html(
      reply,
      'pyvet releases',
      releases.map(
        (r) =>
          `<li><a href="${encodeURIComponent(r.name)}/">${escapeHtml(r.name)}</a> ${escapeHtml(r.createdAt)} ${escapeHtml(r.targets.join(', '))}</li>`,
      ),
    );
  });

  app.get('/releases/signing-key.pub', async (_request, reply) => {
    const pem = publicKeyPem(repo);
    if (!pem) throw new PyvetError('SIGNING_KEY_NOT_FOUND', 'not_found', 'no release has been signed here yet');
    return reply.header('cache-control', 'no-cache').type('application/x-pem-file').send(pem);
  });

  app.get('/releases/:name', (request: FastifyRequest<{ Params: { name: string } }>, reply) =>
    reply.redirect(`${base}/releases/${encodeURIComponent(request.params.name)}/`, 301),
  );

  app.get('/releases/:name/', async (request: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const r = await showRelease(repo, request.params.name);
    if (wantsJson(request)) return reply.header('cache-control', 'no-cache').send(r);
    return html(
      reply,
      `pyvet release ${r.name}`,
      r.documents.map((d) => `<li><a href="${encodeURIComponent(d.path)}">${escapeHtml(d.path)}</a> sha256:${d.sha256}</li>`),
    );
  });

  app.get('/releases/:name/:path', async (request: FastifyRequest<{ Params: { name: string; path: string } }>, reply) => {
    const d = await releaseDocument(repo, request.params.name, request.params.path);
    const etag = `"${d.sha256}"`;
    // Under the `latest` alias a document changes with the next release: revalidated, not immutable.
    reply.header('etag', etag).header('cache-control', isLatestAlias(request.params.name) ? aliasCacheControl : documentCacheControl);
    if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
    return reply.type(d.mediaType).send(d.content);
  });
};
