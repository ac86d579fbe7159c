// Accounts: API tokens `pyvet_<id>_<secret>`. The id is public (it keys the lookup and names the
// token in lists and the audit log); the secret is 32 random bytes, base64url. Only the sha256 of
// the whole token string is stored, and it is compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role, TokenRecord } from '../catalog/types.js';
import { rfc3339Ms } from '../duration.js';
import { PyvetError } from '../errors.js';
import { isRole, requireRole, ROLES, SYSTEM_ACTOR } from './roles.js';
import type { Actor, Repository } from './types.js';

const TOUCH_EVERY_MS = 60_000;
const RESERVED_NAMES: readonly string[] = [SYSTEM_ACTOR.name, 'config'];
const TOKEN = /^pyvet_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
/** A token anywhere in a text (a URL, a message): what logs must never show. */
export const TOKEN_IN_TEXT = /pyvet_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/g;

export interface NewToken {
  name: string;
  role: Role;
  /** ISO 8601 time after which the token is refused; null/undefined = never. */
  expiresAt?: string | null;
}

/** A token as shown to people and programs: what is stored, but not its hash. */
export type TokenInfo = Omit<TokenRecord, 'hash'>;

export interface CreatedToken {
  /** The token itself: shown once, never stored. */
  token: string;
  record: TokenInfo;
}

/** The stored hash is no one's business: it would let a guess be checked offline. */
function tokenInfo(rec: TokenRecord): TokenInfo {
  const { hash: _hash, ...info } = rec;
  return info;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Creates a token (admin only). The returned `token` is the only copy there will ever be. */
export async function createToken(repo: Repository, spec: NewToken, actor: Actor, opts: { now?: Date } = {}): Promise<CreatedToken> {
  requireRole(actor, 'admin', 'create tokens');
  const name = spec.name.trim();
  // No ':' and no reserved name in any case: audit actors 'cli:<user>' and 'system' (and the
  // 'config' that upstreams from pyvet.toml show as their creator) cannot be impersonated.
  if (!/^[\w.@-]{1,64}$/.test(name) || RESERVED_NAMES.includes(name.toLowerCase())) {
    throw new PyvetError(
      'TOKEN_NAME_INVALID',
      'invalid',
      `token name ${JSON.stringify(spec.name)} must be 1-64 letters, digits, '_', '.', '@' or '-' (and not ${RESERVED_NAMES.map((n) => `'${n}'`).join(' or ')}, in any case)`,
      { name: spec.name },
    );
  }
  if (!isRole(spec.role)) {
    throw new PyvetError('ROLE_INVALID', 'invalid', `unknown role ${JSON.stringify(spec.role)}: use one of ${ROLES.join(', ')}`, {
      role: spec.role,
    });
  }
  const now = opts.now ?? new Date();
  const expiresAt = spec.expiresAt == null ? null : parseExpiry(spec.expiresAt, now);
  // A token that could never authenticate is a mistake ('--expires 0d', a date in the past).
  if (expiresAt !== null && Date.parse(expiresAt) <= now.getTime()) {
    throw new PyvetError('TOKEN_EXPIRY_INVALID', 'invalid', `expiresAt ${expiresAt} is already past`, { expiresAt: spec.expiresAt });
  }
  const id = randomBytes(8).toString('hex');
  const token = `pyvet_${id}_${randomBytes(32).toString('base64url')}`;
  const record = await repo.catalog.transaction(async (tx) => {
    // The audit log and the server's log name actors by token name: two live tokens with one name
    // (or 'Admin' beside 'admin') would be one actor there. A revoked token's name may be reused.
    const taken = (await tx.tokens.list()).find((t) => t.revokedAt === null && t.name.toLowerCase() === name.toLowerCase());
    if (taken) {
      throw new PyvetError(
        'TOKEN_NAME_TAKEN',
        'conflict',
        `token name ${JSON.stringify(name)} is taken by token ${taken.id} ${JSON.stringify(taken.name)} (names are compared ignoring case): choose another, or revoke that one first`,
        { name, id: taken.id },
      );
    }
    const rec = await tx.tokens.insert({
      id,
      name,
      role: spec.role,
      hash: hashToken(token),
      createdAt: new Date().toISOString(),
      createdBy: actor.name,
      expiresAt,
    });
    await tx.audit.append({
      actor: actor.name,
      action: 'token.create',
      subject: id,
      details: { name, role: spec.role, expiresAt: rec.expiresAt },
    });
    return rec;
  });
  repo.logger.info({ tokenId: id, name, role: spec.role, by: actor.name }, 'token created');
  return { token, record: tokenInfo(record) };
}

/**
 * The actor a presented token stands for, or null when it is malformed, unknown, wrong, revoked
 * or expired (callers answer 401 without saying which). The actor is named after the token.
 */
export async function authenticate(repo: Repository, presented: string): Promise<Actor | null> {
  const m = TOKEN.exec(presented);
  if (!m) return null;
  const rec = await repo.catalog.tokens.get(m[1]!);
  if (!rec) return null;
  const expected = Buffer.from(rec.hash, 'hex');
  const actual = Buffer.from(hashToken(presented), 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
  const now = new Date();
  if (rec.revokedAt !== null) return null;
  if (rec.expiresAt !== null && Date.parse(rec.expiresAt) <= now.getTime()) return null;
  // pip sends the token with every request: record use at most once a minute, not a write each time.
  if (rec.lastUsedAt === null || now.getTime() - Date.parse(rec.lastUsedAt) >= TOUCH_EVERY_MS) {
    await repo.catalog.tokens.touch(rec.id, now.toISOString());
  }
  return { name: rec.name, role: rec.role };
}

/** Revokes a token (admin only). Revoking an already revoked token changes nothing. */
export async function revokeToken(repo: Repository, id: string, actor: Actor): Promise<TokenInfo> {
  requireRole(actor, 'admin', 'revoke tokens');
  const rec = await repo.catalog.transaction(async (tx) => {
    const before = await tx.tokens.get(id);
    if (!before) throw new PyvetError('TOKEN_NOT_FOUND', 'not_found', `no token with id ${id}`, { id });
    if (before.revokedAt !== null) return before;
    const rec = await tx.tokens.revoke(id, new Date().toISOString());
    await tx.audit.append({ actor: actor.name, action: 'token.revoke', subject: id, details: { name: rec.name } });
    return rec;
  });
  return tokenInfo(rec);
}

/** Lists tokens (admin only): metadata only, never a secret nor its hash. */
export async function listTokens(repo: Repository, actor: Actor): Promise<TokenInfo[]> {
  requireRole(actor, 'admin', 'list tokens');
  return (await repo.catalog.tokens.list()).map(tokenInfo);
}

// A lifetime, or a date or date-time (duration.ts rfc3339Ms).
const EXPIRY_DURATION = /^(\d+)([mhd])$/;
const DURATION_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
// A token is a credential to rotate: a few years at most, as waivers are (and Date's range is far
// smaller than what a lifetime can spell: 99999999d made an Invalid Date, a 500).
export const MAX_TOKEN_DAYS = 5 * 366;

/**
 * The expiry of a token as an ISO time, from a lifetime (30d, 12h, 90m), an ISO 8601 date
 * (2030-01-31, midnight UTC) or an RFC 3339 date-time (2030-01-31T12:00:00Z); anything else is
 * TOKEN_EXPIRY_INVALID naming `field` (the API's expiresAt, the CLI's --expires).
 */
export function parseExpiry(text: string, now = new Date(), field = 'expiresAt'): string {
  const t = text.trim();
  const d = EXPIRY_DURATION.exec(t);
  if (d) return inRange(now.getTime() + Number(d[1]) * DURATION_MS[d[2] as keyof typeof DURATION_MS], text, now, field);
  const ms = rfc3339Ms(t);
  if (ms === undefined) {
    throw new PyvetError(
      'TOKEN_EXPIRY_INVALID',
      'invalid',
      `${field} ${JSON.stringify(text)} is not an expiry: use a lifetime (30d, 12h, 90m), a date (2030-01-31) or an RFC 3339 date-time (2030-01-31T12:00:00Z)`,
      { [field]: text },
    );
  }
  return inRange(ms, text, now, field);
}

/** `ms` as an ISO time, unless it is more than MAX_TOKEN_DAYS after `now` (a past one is createToken's to refuse). */
function inRange(ms: number, text: string, now: Date, field: string): string {
  if (!(ms - now.getTime() <= MAX_TOKEN_DAYS * DURATION_MS.d)) {
    throw new PyvetError(
      'TOKEN_EXPIRY_INVALID',
      'invalid',
      `${field} ${JSON.stringify(text)} is more than ${MAX_TOKEN_DAYS} days away: a token is to be rotated (create another before it expires)`,
      { [field]: text, maxDays: MAX_TOKEN_DAYS },
    );
  }
  return new Date(ms).toISOString();
}
