// HTTP Basic authentication as pip and twine send it (`__token__` / token) and role checks.
// The actor is resolved once per request and remembered on it; the secret is never logged.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../catalog/types.js';
import { PyvetError } from '../errors.js';
import { requireRole } from '../repository/roles.js';
import { authenticate } from '../repository/tokens.js';
import type { Actor, Repository } from '../repository/types.js';

export const REALM = 'Basic realm="pyvet"';

declare module 'fastify' {
  interface FastifyRequest {
    /** undefined: not resolved yet; null: anonymous. */
    actor?: Actor | null;
  }
}

/** The token carried by a Basic (any user name; twine and pip use `__token__`) or Bearer header. */
export function presentedToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const space = header.indexOf(' ');
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return value;
  if (scheme !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/** The actor behind an Authorization header: null when there is none; 401 for credentials that do not authenticate. */
export async function actorFor(repo: Repository, authorization: string | undefined): Promise<Actor | null> {
  if (!authorization) return null;
  const token = presentedToken(authorization);
  const actor = token === undefined ? null : await authenticate(repo, token);
  if (!actor) throw unauthorized('the credentials given are not a valid pyvet token');
  return actor;
}

/** The request's actor: null when anonymous; 401 for credentials that do not authenticate. */
export async function actorOf(repo: Repository, request: FastifyRequest): Promise<Actor | null> {
  if (request.actor !== undefined) return request.actor;
  return (request.actor = await actorFor(repo, request.headers.authorization));
}

function unauthorized(message: string): PyvetError {
  return new PyvetError('UNAUTHORIZED', 'unauthorized', message);
}

/** An actor with at least `role`, or 401 (no/unknown credentials) / 403 (too small a role). */
export async function requireActor(repo: Repository, request: FastifyRequest, role: Role, action: string): Promise<Actor> {
  const actor = await actorOf(repo, request);
  if (!actor) throw unauthorized(`${action} needs a token with the ${role} role`);
  requireRole(actor, role, action);
  return actor;
}

/**
 * onRequest hook for a route that needs `role`: who asks is settled (401/403) before the body is
 * parsed or the schema checked, so a stranger learns nothing of what the route expects.
 */
export function requireRoleFirst(repo: Repository, role: Role, action: string | ((request: FastifyRequest) => string)) {
  return async (request: FastifyRequest): Promise<void> => {
    await requireActor(repo, request, role, typeof action === 'string' ? action : action(request));
  };
}

/**
 * Whether reading the index and files is allowed without looking anything up: anonymous reads
 * are on and no credentials came (a client sending a wrong token should still learn it).
 */
export function readIsOpen(repo: Repository, authorization: string | undefined): boolean {
  return repo.config.server.anonymous_read && !authorization;
}

/** The read decision for the index and files: the actor, or 401 (no/unknown credentials) / 403. */
export async function authorizeRead(repo: Repository, authorization: string | undefined): Promise<Actor | null> {
  if (readIsOpen(repo, authorization)) return null;
  const actor = await actorFor(repo, authorization);
  if (repo.config.server.anonymous_read) return actor;
  if (!actor) throw unauthorized('read the index needs a token with the reader role');
  requireRole(actor, 'reader', 'read the index');
  return actor;
}

/** preHandler for the index, files and releases: authorizeRead for Fastify routes. */
export function readAccess(repo: Repository) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (readIsOpen(repo, request.headers.authorization)) return;
    request.actor = await authorizeRead(repo, request.headers.authorization);
  };
}
