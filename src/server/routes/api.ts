// A small admin JSON API over the same services the CLI calls: the review queue, approve /
// reject / yank, tokens (create, list, revoke) and audit verification. Routes check the role first (401/403, at
// onRequest: before the body is parsed and validated) so a refused request never reaches a
// service; the services check it again.
import type { FastifyRequest } from 'fastify';
import { verifyAudit } from '../../audit/index.js';
import type { FileState, Role } from '../../catalog/types.js';
import { approveFiles, rejectFiles, unyankFiles, yankFiles } from '../../repository/states.js';
import { createToken, listTokens, revokeToken } from '../../repository/tokens.js';
import { requireActor, requireRoleFirst } from '../auth.js';
import type { ServerPlugin } from '../context.js';

const STATES: FileState[] = ['quarantined', 'approved', 'rejected'];
const ACTIONS = { approve: approveFiles, reject: rejectFiles, yank: yankFiles, unyank: unyankFiles } as const;

const fileParams = {
  type: 'object',
  required: ['filename', 'action'],
  properties: {
    // A distribution filename only: a bare project name would select every file of the project.
    filename: { type: 'string', pattern: '^[^/\\\\]+\\.(whl|tar\\.gz|zip)$', maxLength: 255 },
    action: { type: 'string', enum: Object.keys(ACTIONS) },
  },
} as const;

// Optional: a POST without a body is a request without a reason (REASON_REQUIRED where one is
// needed), not a malformed one.
const reasonBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { reason: { type: 'string', maxLength: 2000 }, force: { type: 'boolean' } },
} as const;

const tokenBody = {
  type: 'object',
  required: ['name', 'role'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 64 },
    role: { type: 'string', enum: ['reader', 'publisher', 'approver', 'admin'] },
    expiresAt: { type: ['string', 'null'] },
  },
} as const;

/** What the refusal names, from the URL before its schema is checked. */
function actionOf(request: FastifyRequest): string {
  const action = (request.params as { action?: string }).action ?? '';
  return Object.hasOwn(ACTIONS, action) ? `${action} files` : 'change files';
}

export const apiRoutes: ServerPlugin = (app, { repo }) => {
  app.get<{ Querystring: { state?: FileState; project?: string } }>(
    '/api/files',
    {
      onRequest: requireRoleFirst(repo, 'approver', 'list files'),
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { state: { type: 'string', enum: STATES }, project: { type: 'string', maxLength: 200 } },
        },
      },
    },
    async (request) => {
      await requireActor(repo, request, 'approver', 'list files');
      const { state, project } = request.query;
      const files = await repo.catalog.files.list({
        ...(state ? { states: [state] } : {}),
        ...(project ? { project } : {}),
      });
      return { files };
    },
  );

  app.post<{ Params: { filename: string; action: keyof typeof ACTIONS }; Body: { reason?: string; force?: boolean } | undefined }>(
    '/api/files/:filename/:action',
    { onRequest: requireRoleFirst(repo, 'approver', actionOf), schema: { params: fileParams, body: reasonBody } },
    async (request) => {
      const { filename, action } = request.params;
      const actor = await requireActor(repo, request, 'approver', `${action} files`);
      const reason = request.body?.reason ?? '';
      if (action === 'approve') return approveFiles(repo, filename, actor, reason, { force: request.body?.force ?? false });
      return ACTIONS[action](repo, filename, actor, reason);
    },
  );

  app.post<{ Body: { name: string; role: Role; expiresAt?: string | null } }>(
    '/api/tokens',
    { onRequest: requireRoleFirst(repo, 'admin', 'create tokens'), schema: { body: tokenBody } },
    async (request, reply) => {
      const actor = await requireActor(repo, request, 'admin', 'create tokens');
      return reply.code(201).send(await createToken(repo, request.body, actor));
    },
  );

  // Metadata only (never a secret or its hash), as `pyvet token list` shows it.
  app.get('/api/tokens', { onRequest: requireRoleFirst(repo, 'admin', 'list tokens') }, async (request) => {
    const actor = await requireActor(repo, request, 'admin', 'list tokens');
    return { tokens: await listTokens(repo, actor) };
  });

  // Revocation takes effect on the next request (tokens are not cached); revoking twice is a no-op.
  app.post<{ Params: { id: string } }>(
    '/api/tokens/:id/revoke',
    {
      onRequest: requireRoleFirst(repo, 'admin', 'revoke tokens'),
      schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f]{16}$' } } } },
    },
    async (request) => {
      const actor = await requireActor(repo, request, 'admin', 'revoke tokens');
      return revokeToken(repo, request.params.id, actor);
    },
  );

  app.get('/api/audit/verify', { onRequest: requireRoleFirst(repo, 'admin', 'verify the audit log') }, async (request) => {
    await requireActor(repo, request, 'admin', 'verify the audit log');
    return verifyAudit(repo);
  });
};
