// Trusted upstreams: where files may come from, which projects each may supply, and in what
// order they are asked. Upstreams come from the catalog (`pyvet upstream add`) and from
// `[[upstreams]]` tables in pyvet.toml; a name defined in both is an error, not a silent merge.
import type { UpstreamRecord } from '../catalog/stores/upstreams.js';
import { PyvetError } from '../errors.js';
import type { Actor, Repository } from '../repository/types.js';
import { requireRole } from '../repository/roles.js';
import { canonicalizeName } from '../standards/names.js';
import { matchesOwnedName } from '../vetting/evaluate.js';
import type { Credentials } from './http.js';

export type { UpstreamRecord } from '../catalog/stores/upstreams.js';

export interface Upstream extends UpstreamRecord {
  source: 'catalog' | 'config';
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/i;
export const DEFAULT_PRIORITY = 100;
/** Priorities are plain ranks (lower is preferred): whole numbers in a range no one needs to leave. */
export const MAX_PRIORITY = 1_000_000;

function checkPriority(priority: number, shown: string, at = ''): number {
  if (!Number.isSafeInteger(priority) || priority < 0 || priority > MAX_PRIORITY) {
    throw new PyvetError('UPSTREAM_INVALID', 'invalid', `${at}priority must be a whole number from 0 to ${MAX_PRIORITY} (lower is preferred), not '${shown}'`);
  }
  return priority;
}

/** A priority as typed on the command line: digits only ('1.5', '1e3', 'abc' and '' are refused). */
export function parsePriority(text: string): number {
  const t = text.trim();
  return checkPriority(/^\d{1,7}$/.test(t) ? Number(t) : Number.NaN, text);
}

/**
 * A URL as typed (it may not parse), for a message: everything between its scheme and its last
 * '@' is hidden, so no userinfo is echoed whatever characters it has ('/', '#', '?', '@').
 */
export function redactTypedUrl(text: string): string {
  const at = text.lastIndexOf('@');
  if (at < 0) return text;
  const scheme = /^[a-z][a-z0-9+.-]*:[\\/]*/i.exec(text)?.[0] ?? '';
  return `${scheme}***${text.slice(at)}`;
}

function validateUrl(url: string, where: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // Nor its query: it may hold a secret too.
    throw new PyvetError('UPSTREAM_INVALID', 'invalid', `${where}: '${redactTypedUrl(url).replace(/[?#].*$/s, '…')}' is not a URL`);
  }
  if (!['http:', 'https:', 'file:'].includes(u.protocol)) {
    throw new PyvetError('UPSTREAM_INVALID', 'invalid', `${where}: only http, https and file URLs are supported`);
  }
  if (u.username || u.password) {
    throw new PyvetError(
      'UPSTREAM_INVALID',
      'invalid',
      `${where}: put credentials in --username/--password-env, never in the URL (it would be stored and printed)`,
    );
  }
  // A query is where a token would hide (?token=…): it would be stored, listed and audited, and
  // the index's pages and files are asked for without it anyway. Its value is not echoed.
  if (u.search || u.hash || /[?#]/.test(url)) {
    throw new PyvetError(
      'UPSTREAM_INVALID',
      'invalid',
      `${where}: the URL has ${u.search || /\?/.test(url) ? 'a query string' : 'a fragment'}, which an index URL never needs: give the index's own URL (…/simple/), and credentials with --username/--password-env (username/password_env in [[upstreams]])`,
    );
  }
  return u.toString().endsWith('/') ? u.toString() : `${u.toString()}/`;
}

/** An upstream name, checked alike for `upstream add` and [[upstreams]] (`at` says where it was written). */
function checkName(name: string, at = ''): string {
  if (!NAME.test(name)) {
    throw new PyvetError('UPSTREAM_INVALID', 'invalid', `${at}'${name}' is not a valid upstream name (letters, digits, . _ -)`);
  }
  return name;
}

/** The name of the environment variable holding the password (its value is not echoed: it may be the secret itself). */
function checkPasswordEnv(name: string, option: string, at = ''): string {
  if (!/^[A-Z_][A-Z0-9_]*$/i.test(name)) {
    throw new PyvetError('UPSTREAM_INVALID', 'invalid', `${at}${option} takes the NAME of an environment variable`);
  }
  return name;
}

function configFile(repo: Repository): string {
  return repo.config.config_file ?? 'pyvet.toml';
}

const CONFIG_KEYS = ['name', 'url', 'projects', 'priority', 'username', 'password_env'];

/** The [[upstreams]] tables of the configuration file, with the checks `upstream add` makes. */
function configuredUpstreams(repo: Repository): Upstream[] {
  const file = configFile(repo);
  const seen = new Map<string, string>();
  return repo.config.upstreams.map((raw, i) => {
    const where = `${file}, [[upstreams]] table #${i + 1}${typeof raw.name === 'string' ? ` ('${raw.name}')` : ''}`;
    const at = `${where}: `;
    const invalid = (message: string) => new PyvetError('UPSTREAM_INVALID', 'invalid', `${at}${message}`, { file, table: i + 1 });
    for (const k of Object.keys(raw)) if (!CONFIG_KEYS.includes(k)) throw invalid(`unknown key '${k}'`);
    if (raw.name === undefined) throw invalid(`'name' is required`);
    if (typeof raw.name !== 'string') throw invalid(`'name' must be a string`);
    const name = checkName(raw.name, at);
    if (seen.has(name)) {
      throw new PyvetError('UPSTREAM_DUPLICATE', 'conflict', `${at}upstream '${name}' is defined already, in ${seen.get(name)}`, { file, table: i + 1 });
    }
    seen.set(name, `[[upstreams]] table #${i + 1}`);
    if (typeof raw.url !== 'string') throw invalid(`'url' is required (a string)`);
    const projects = raw.projects ?? ['*'];
    if (!Array.isArray(projects) || !projects.every((p) => typeof p === 'string')) throw invalid(`'projects' must be a list of patterns`);
    const priority = raw.priority ?? DEFAULT_PRIORITY;
    if (raw.username !== undefined && typeof raw.username !== 'string') throw invalid(`'username' must be a string`);
    if (raw.password_env !== undefined && typeof raw.password_env !== 'string') throw invalid(`'password_env' must be a string`);
    return {
      name,
      url: validateUrl(raw.url, where),
      priority: checkPriority(typeof priority === 'number' ? priority : Number.NaN, String(priority), at),
      projects: projects as string[],
      username: (raw.username as string | undefined) ?? null,
      passwordEnv: raw.password_env === undefined ? null : checkPasswordEnv(raw.password_env as string, `'password_env'`, at),
      createdAt: '',
      createdBy: 'config',
      source: 'config' as const,
    };
  });
}

/** All upstreams, preferred first (priority, then name). */
export async function listUpstreams(repo: Repository): Promise<Upstream[]> {
  const stored: Upstream[] = (await repo.catalog.upstreams.list()).map((u) => ({ ...u, source: 'catalog' }));
  const configured = configuredUpstreams(repo);
  const names = new Set(stored.map((u) => u.name));
  for (const c of configured) {
    if (names.has(c.name)) {
      throw new PyvetError('UPSTREAM_DUPLICATE', 'conflict', `upstream '${c.name}' is defined both in ${configFile(repo)} and in the catalog`);
    }
  }
  return [...stored, ...configured].sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name));
}

export interface AddUpstream {
  name: string;
  url: string;
  priority?: number;
  projects?: string[];
  username?: string | null;
  passwordEnv?: string | null;
}

export async function addUpstream(repo: Repository, spec: AddUpstream, actor: Actor): Promise<Upstream> {
  requireRole(actor, 'admin', 'configure upstreams');
  checkName(spec.name);
  if (configuredUpstreams(repo).some((u) => u.name === spec.name)) {
    throw new PyvetError('UPSTREAM_DUPLICATE', 'conflict', `upstream '${spec.name}' is defined in ${configFile(repo)}; edit it there`);
  }
  if (spec.passwordEnv) checkPasswordEnv(spec.passwordEnv, '--password-env');
  const record: UpstreamRecord = {
    name: spec.name,
    url: validateUrl(spec.url, `upstream '${spec.name}'`),
    priority: spec.priority === undefined ? DEFAULT_PRIORITY : checkPriority(spec.priority, String(spec.priority)),
    projects: spec.projects?.length ? spec.projects : ['*'],
    username: spec.username ?? null,
    passwordEnv: spec.passwordEnv ?? null,
    createdAt: new Date().toISOString(),
    createdBy: actor.name,
  };
  await repo.catalog.transaction(async (tx) => {
    await tx.upstreams.put(record);
    await tx.audit.append({
      actor: actor.name,
      action: 'upstream.add',
      subject: record.name,
      details: { url: record.url, priority: record.priority, projects: record.projects, username: record.username },
    });
  });
  return { ...record, source: 'catalog' };
}

export async function removeUpstream(repo: Repository, name: string, actor: Actor): Promise<void> {
  requireRole(actor, 'admin', 'configure upstreams');
  const configured = configuredUpstreams(repo).some((u) => u.name === name);
  await repo.catalog.transaction(async (tx) => {
    if (!(await tx.upstreams.remove(name))) {
      if (configured) {
        throw new PyvetError(
          'UPSTREAM_IN_CONFIG',
          'conflict',
          `upstream '${name}' is defined in the configuration file ${configFile(repo)} ([[upstreams]]), not in the catalog: remove it there`,
        );
      }
      throw new PyvetError('UPSTREAM_NOT_FOUND', 'not_found', `no upstream named '${name}' in the catalog`);
    }
    await tx.audit.append({ actor: actor.name, action: 'upstream.remove', subject: name, details: {} });
  });
}

/** The credentials of an upstream, read from the environment at the moment of use. */
export function upstreamCredentials(u: UpstreamRecord, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  if (!u.passwordEnv) return undefined;
  const password = env[u.passwordEnv];
  if (password === undefined) {
    throw new PyvetError(
      'UPSTREAM_CREDENTIALS_MISSING',
      'invalid',
      `upstream '${u.name}' needs the environment variable ${u.passwordEnv}, which is not set`,
    );
  }
  return { username: u.username ?? '__token__', password };
}

/**
 * The upstream's credentials for one URL: only when it is on the upstream index's own origin
 * (scheme, host and port), as pip does. An index page may link files on any host (a CDN, or a
 * host it does not control), and those never see the upstream's secret.
 */
export function upstreamCredentialsFor(u: UpstreamRecord, url: string, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  return sameOrigin(u.url, url) ? upstreamCredentials(u, env) : undefined;
}

/** Whether two http(s) URLs share scheme, host and port (file: URLs never do). */
export function sameOrigin(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    return (x.protocol === 'http:' || x.protocol === 'https:') && x.origin === y.origin;
  } catch {
    return false;
  }
}

/** Whether an upstream may supply a project at all (its `projects` glob patterns). */
export function mayIncludeProject(u: UpstreamRecord, project: string): boolean {
  return matchesOwnedName(canonicalizeName(project), u.projects) !== undefined;
}

/** An ad-hoc upstream for `--from URL`. */
export function adHocUpstream(url: string): Upstream {
  return {
    name: 'url',
    url: validateUrl(url, '--from'),
    priority: 0,
    projects: ['*'],
    username: null,
    passwordEnv: null,
    createdAt: '',
    createdBy: '',
    source: 'config',
  };
}
