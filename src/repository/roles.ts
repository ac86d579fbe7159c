// Roles and least privilege: reader < publisher < approver < admin. Services check the role of
// the actor they are given, so the CLI and the server cannot disagree about who may do what.
import type { Role } from '../catalog/types.js';
import { PyvetError } from '../errors.js';
import type { Actor } from './types.js';

export const ROLES: readonly Role[] = ['reader', 'publisher', 'approver', 'admin'];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Whether `actor` has at least the `needed` role. */
export function hasRole(actor: Actor, needed: Role): boolean {
  return ROLES.indexOf(actor.role) >= ROLES.indexOf(needed);
}

/** Throws FORBIDDEN unless `actor` has at least `needed`; `action` says what was refused. */
export function requireRole(actor: Actor, needed: Role, action: string): void {
  if (!hasRole(actor, needed)) {
    throw new PyvetError('FORBIDDEN', 'forbidden', `${actor.name} (${actor.role}) may not ${action}: it needs the ${needed} role`, {
      actor: actor.name,
      role: actor.role,
      needed,
    });
  }
}

/** The actor recorded for work the repository does by itself (migrations, scheduled re-scans). */
export const SYSTEM_ACTOR: Actor = { name: 'system', role: 'admin' };
