// Downloads: /files/<sha256[0:2]>/<sha256[2:4]>/<sha256>/<filename> and its PEP 658 `.metadata`.
// Only approved files answer; everything else is a 404 that says nothing about why. The answers
// come from answers.ts; the hot path (../hot-path.ts) answers most downloads before Fastify.
import type { FastifyRequest } from 'fastify';
import { type FileRequest, fileAnswer } from '../answers.js';
import { readAccess } from '../auth.js';
import { getAndHead, type ServerPlugin, sendAnswer } from '../context.js';

type Params = Omit<FileRequest, 'path'>;

export const fileRoutes: ServerPlugin = (app, ctx) => {
  app.addHook('preHandler', readAccess(ctx.repo));

  getAndHead(app, '/files/:a/:b/:sha256/:filename', async (request: FastifyRequest<{ Params: Params }>, reply) => {
    const r = { ...request.params, path: request.url.split('?')[0]! };
    return sendAnswer(reply, await fileAnswer(ctx, r, request.headers));
  });
};
