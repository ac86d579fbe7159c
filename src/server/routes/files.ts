// Downloads: /files/<sha256[0:2]>/<sha256[2:4]>/<sha256>/<filename> and its PEP 658 `.metadata`.
// Only approved files answer; everything else is a 404 that says nothing about why.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PyvetError } from '../../errors.js';
import { readAccess } from '../auth.js';
import type { ServerPlugin } from '../context.js';
import { etagMatches, parseRange } from '../http.js';
import type { ServedFile } from '../pages.js';

interface Params {
  a: string;
  b: string;
  sha256: string;
  filename: string;
}

const METADATA_SUFFIX = '.metadata';

function contentTypeOf(f: ServedFile): string {
  if (f.kind === 'wheel' || f.filename.endsWith('.zip')) return 'application/zip';
  return 'application/gzip';
}

export const fileRoutes: ServerPlugin = (app, { repo, index, blobs }) => {
  app.addHook('preHandler', readAccess(repo));

  app.get('/files/:a/:b/:sha256/:filename', async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const { a, b, sha256, filename } = request.params;
    // Built only when needed: an Error captures a stack trace, too dear for the hot path.
    const notFound = () => new PyvetError('FILE_NOT_FOUND', 'not_found', `no approved file at ${request.url.split('?')[0]}`);
    if (!/^[0-9a-f]{64}$/.test(sha256) || a !== sha256.slice(0, 2) || b !== sha256.slice(2, 4)) throw notFound();

    // No distribution filename ends in .metadata (wheel/sdist names are checked at ingest).
    const metadata = filename.endsWith(METADATA_SUFFIX);
    const file = await index.file(metadata ? filename.slice(0, -METADATA_SUFFIX.length) : filename, sha256);
    let blob: { sha256: string; size: number; type: string; data?: Buffer } | undefined;
    if (file && !metadata) blob = { sha256: file.sha256, size: file.size, type: contentTypeOf(file) };
    else if (file?.metadataSha256) {
      // Core metadata is small (limits.max_metadata_bytes): always from memory.
      const data = await blobs.bytes(file.metadataSha256);
      blob = { sha256: file.metadataSha256, size: data.length, type: 'text/plain; charset=utf-8', data };
    }
    if (!file || !blob) throw notFound();

    const etag = `"${blob.sha256}"`;
    reply
      .header('etag', etag)
      .header('last-modified', file.lastModified)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('accept-ranges', 'bytes');
    const ims = request.headers['if-modified-since'];
    const inm = request.headers['if-none-match'];
    if (etagMatches(inm, etag) || (!inm && ims && Date.parse(ims) >= Date.parse(file.lastModified))) {
      return reply.code(304).send();
    }
    reply.header('content-type', blob.type);

    const ifRange = request.headers['if-range'];
    const range = ifRange === undefined || ifRange === etag ? parseRange(request.headers.range, blob.size) : undefined;
    if (range === 'unsatisfiable') {
      return reply.code(416).header('content-range', `bytes */${blob.size}`).send();
    }
    if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${blob.size}`);
    reply.header('content-length', range ? range.end - range.start + 1 : blob.size);
    if (blob.data || blob.size <= blobs.maxEntryBytes) {
      const data = blob.data ?? (await blobs.bytes(blob.sha256));
      return reply.send(range ? data.subarray(range.start, range.end + 1) : data);
    }
    return reply.send(blobs.stream(blob.sha256, range));
  });
};
