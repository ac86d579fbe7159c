// Configuration: built-in defaults, then `<data>/pyvet.toml` (or the file named by --config /
// PYVET_CONFIG), then environment variables. The environment wins so that a container or a CI
// job can override one setting without editing the file.
//
// Environment overrides: PYVET_DATA, PYVET_HOST, PYVET_PORT, PYVET_BASE_URL, PYVET_LOG_LEVEL,
// PYVET_ANONYMOUS_READ, and generically PYVET_<SECTION>__<KEY> (e.g. PYVET_LIMITS__MAX_FILE_BYTES),
// coerced to the type of the default. The file and the environment pass the same checks (RULES):
// a bad value is CONFIG_INVALID naming the setting and where it came from, never a default.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { parse as parseToml, TomlError } from 'smol-toml';
import { PyvetError } from './errors.js';

export interface ServerConfig {
  host: string;
  port: number;
  /** Public base URL (e.g. https://pypi.example.com); links and release files use it. Null = derive from the request. */
  base_url: string | null;
  /** Anonymous users may read the index. Off means pip needs a reader token. */
  anonymous_read: boolean;
  /** Write an access log line per request (pino). */
  access_log: boolean;
  /** On SIGTERM/SIGINT, how long requests in flight may take to finish before their connections are closed. */
  drain_timeout_ms: number;
}

export interface LimitsConfig {
  /** Largest archive accepted, bytes. */
  max_file_bytes: number;
  /** Largest total uncompressed size of an archive, bytes. */
  max_uncompressed_bytes: number;
  /** Largest uncompressed/compressed ratio of one member (zip bombs). */
  max_compression_ratio: number;
  /** Largest METADATA / PKG-INFO, bytes. */
  max_metadata_bytes: number;
  /** Most members in one archive. */
  max_archive_entries: number;
}

export interface AdvisoriesConfig {
  /** Where `pyvet advisories sync` fetches from (osv.dev's PyPI all.zip by default). */
  sync_url: string;
}

export interface VettingConfig {
  /** Policy file (YAML or TOML). Relative paths are relative to the data directory. Null = built-in defaults. */
  policy_file: string | null;
}

export interface IngestConfig {
  /**
   * Threads that inspect archives (inflate every member, check RECORD) while the main thread
   * downloads and writes; 0 inspects on the main thread. Default: one per CPU, at most 8.
   */
  workers: number;
}

export interface MirrorConfig {
  concurrency: number;
  retries: number;
  timeout_ms: number;
}

export interface PyvetConfig {
  /** Absolute path of the repository's data directory. */
  data_dir: string;
  /** The file this configuration was read from, if any. */
  config_file: string | null;
  log_level: string;
  server: ServerConfig;
  limits: LimitsConfig;
  advisories: AdvisoriesConfig;
  vetting: VettingConfig;
  ingest: IngestConfig;
  mirror: MirrorConfig;
  /** Extra target environments ([[targets]] tables); validated by src/resolve/targets.ts. */
  targets: Record<string, unknown>[];
  /** Upstreams from the file ([[upstreams]] tables); validated by src/upstream. */
  upstreams: Record<string, unknown>[];
}

export const DEFAULT_DATA_DIR = './pyvet-data';
export const CONFIG_FILE_NAME = 'pyvet.toml';

export function defaultConfig(dataDir: string = DEFAULT_DATA_DIR): PyvetConfig {
  return {
    data_dir: resolve(dataDir),
    config_file: null,
    log_level: 'info',
    server: { host: '127.0.0.1', port: 8080, base_url: null, anonymous_read: true, access_log: true, drain_timeout_ms: 30_000 },
    limits: {
      max_file_bytes: 2 * 1024 ** 3,
      max_uncompressed_bytes: 8 * 1024 ** 3,
      max_compression_ratio: 200,
      max_metadata_bytes: 4 * 1024 ** 2,
      max_archive_entries: 200_000,
    },
    advisories: { sync_url: 'https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip' },
    vetting: { policy_file: null },
    ingest: { workers: Math.min(availableParallelism(), 8) },
    mirror: { concurrency: 4, retries: 4, timeout_ms: 60_000 },
    targets: [],
    upstreams: [],
  };
}

export interface LoadConfigOptions {
  dataDir?: string | undefined;
  configFile?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** The named file may be absent: `init` is about to write it. */
  creating?: boolean;
}

/**
 * Loads configuration. Never creates anything. A missing `<data>/pyvet.toml` means defaults; a
 * file named by --config or PYVET_CONFIG must exist, since falling back to defaults would quietly
 * undo what it says (anonymous reading back on).
 */
export function loadConfig(opts: LoadConfigOptions = {}): PyvetConfig {
  const env = opts.env ?? process.env;
  const dataDir = opts.dataDir ?? env.PYVET_DATA ?? DEFAULT_DATA_DIR;
  const config = defaultConfig(dataDir);
  const named = opts.configFile !== undefined ? '--config' : env.PYVET_CONFIG !== undefined ? 'PYVET_CONFIG' : undefined;
  const file = opts.configFile ?? env.PYVET_CONFIG ?? join(config.data_dir, CONFIG_FILE_NAME);
  if (named !== undefined && !(opts.creating && !existsSync(file))) checkNamedFile(file, named);
  if (existsSync(file)) {
    let parsed: Record<string, unknown>;
    try {
      parsed = parseToml(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      const where = err instanceof TomlError ? ` at line ${err.line}, column ${err.column}` : '';
      throw new PyvetError('CONFIG_INVALID', 'invalid', `${file}${where}: ${(err as Error).message.split('\n')[0]}`, {
        file,
      });
    }
    merge(config as unknown as Record<string, unknown>, parsed, file, '');
    config.config_file = resolve(file);
  }
  applyEnv(config, env);
  return config;
}

/** The configuration file named by --config / PYVET_CONFIG: a readable regular file. */
function checkNamedFile(file: string, named: string): void {
  const fail = (why: string) =>
    new PyvetError('CONFIG_INVALID', 'invalid', `the configuration file ${named === '--config' ? 'given with --config' : 'named by PYVET_CONFIG'} ${why}`, {
      file,
      source: named,
    });
  if (file === '') throw fail('is an empty path');
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fail(`${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}`);
  }
  if (!st.isFile()) throw fail(`${file} is not a regular file`);
}

function merge(target: Record<string, unknown>, source: Record<string, unknown>, file: string, path: string): void {
  for (const [key, value] of Object.entries(source)) {
    const where = path ? `${path}.${key}` : key;
    if (key === 'data_dir' || key === 'config_file') continue;
    // Own properties only: 'constructor' or '__proto__' must not reach Object.prototype.
    if (!Object.hasOwn(target, key)) {
      throw new PyvetError('CONFIG_INVALID', 'invalid', `${file}: unknown setting '${where}'`, { file, setting: where });
    }
    const current = target[key];
    if (Array.isArray(current)) {
      if (!Array.isArray(value)) throw typeError(file, where, 'an array of tables');
      target[key] = value;
    } else if (current !== null && typeof current === 'object') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw typeError(file, where, 'a table');
      merge(current as Record<string, unknown>, value as Record<string, unknown>, file, where);
    } else if (current === null) {
      if (typeof value !== 'string') throw typeError(file, where, 'a string');
      target[key] = checkSetting(where, value, { file });
    } else {
      if (typeof value !== typeof current) throw typeError(file, where, `a ${typeof current}`);
      target[key] = checkSetting(where, value, { file });
    }
  }
}

function typeError(file: string, where: string, expected: string): PyvetError {
  return new PyvetError('CONFIG_INVALID', 'invalid', `${file}: '${where}' must be ${expected}`, {
    file,
    setting: where,
  });
}

function applyEnv(config: PyvetConfig, env: NodeJS.ProcessEnv): void {
  const shortcuts: Record<string, [string, string]> = {
    PYVET_HOST: ['server', 'host'],
    PYVET_PORT: ['server', 'port'],
    PYVET_BASE_URL: ['server', 'base_url'],
    PYVET_ANONYMOUS_READ: ['server', 'anonymous_read'],
  };
  if (env.PYVET_LOG_LEVEL !== undefined) {
    config.log_level = checkSetting('log_level', env.PYVET_LOG_LEVEL, { variable: 'PYVET_LOG_LEVEL' }) as string;
  }
  const c = config as unknown as Record<string, Record<string, unknown>>;
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined || !name.startsWith('PYVET_')) continue;
    let section: string | undefined;
    let key: string | undefined;
    const shortcut = Object.hasOwn(shortcuts, name) ? shortcuts[name] : undefined;
    if (shortcut) [section, key] = shortcut;
    else {
      const m = /^PYVET_([A-Z]+)__([A-Z0-9_]+)$/.exec(name);
      if (!m) continue;
      section = m[1]!.toLowerCase();
      key = m[2]!.toLowerCase();
    }
    // Own properties only: PYVET_SERVER__CONSTRUCTOR names no setting.
    const table = Object.hasOwn(c, section) ? c[section] : undefined;
    if (!table || typeof table !== 'object' || Array.isArray(table) || !Object.hasOwn(table, key)) {
      throw new PyvetError('CONFIG_INVALID', 'invalid', `environment variable ${name} names no setting`, {
        variable: name,
      });
    }
    table[key] = checkSetting(`${section}.${key}`, coerce(name, `${section}.${key}`, raw, table[key]), { variable: name });
  }
}

/** Environment text to the type of the default. Numbers: decimal digits only (no sign, hex, exponent, fraction). */
function coerce(name: string, setting: string, raw: string, current: unknown): unknown {
  if (typeof current === 'number') {
    if (!/^[0-9]{1,16}$/.test(raw)) throw invalid(setting, { variable: name }, `must be ${describe(setting)}`);
    return Number(raw);
  }
  if (typeof current === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw invalid(setting, { variable: name }, 'must be true or false');
  }
  return raw === '' && current === null ? null : raw;
}

type Source = { file: string } | { variable: string };

function invalid(setting: string, source: Source, what: string): PyvetError {
  const where = 'file' in source ? `${source.file}: '${setting}'` : `environment variable ${source.variable} (${setting})`;
  return new PyvetError('CONFIG_INVALID', 'invalid', `${where} ${what}`, { ...source, setting });
}

type Rule = { int: [min: number, max: number] } | { oneOf: readonly string[] } | 'http-url' | 'non-empty';

const MAX = Number.MAX_SAFE_INTEGER;
const DAY_MS = 86_400_000;
export const LOG_LEVELS: readonly string[] = [...Object.keys(pino.levels.values), 'silent'];

/** What each setting accepts beyond its type. Port 0 (any free port) must be written as 0. */
const RULES: Record<string, Rule> = {
  log_level: { oneOf: LOG_LEVELS },
  'server.host': 'non-empty',
  'server.port': { int: [0, 65535] },
  'server.base_url': 'http-url',
  'server.drain_timeout_ms': { int: [0, DAY_MS] },
  'limits.max_file_bytes': { int: [1, MAX] },
  'limits.max_uncompressed_bytes': { int: [1, MAX] },
  'limits.max_compression_ratio': { int: [1, MAX] },
  'limits.max_metadata_bytes': { int: [1, MAX] },
  'limits.max_archive_entries': { int: [1, MAX] },
  'advisories.sync_url': 'non-empty',
  'ingest.workers': { int: [0, 256] },
  'mirror.concurrency': { int: [1, 256] },
  'mirror.retries': { int: [0, 100] },
  'mirror.timeout_ms': { int: [1, DAY_MS] },
};

function describe(setting: string): string {
  const rule = Object.hasOwn(RULES, setting) ? RULES[setting] : undefined;
  return rule && typeof rule === 'object' && 'int' in rule ? `a whole number from ${rule.int[0]} to ${rule.int[1]}` : 'a whole number';
}

/** Checks one setting's value against RULES; returns it. */
function checkSetting(setting: string, value: unknown, source: Source): unknown {
  const rule = Object.hasOwn(RULES, setting) ? RULES[setting] : undefined;
  if (rule === undefined || value === null) return value;
  if (rule === 'non-empty') {
    if (typeof value === 'string' && value.trim() === '') throw invalid(setting, source, 'must not be empty');
  } else if (rule === 'http-url') {
    // Never echo the value: it may carry a password.
    let url: URL | undefined;
    try {
      url = new URL(String(value));
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw invalid(setting, source, 'must be an http:// or https:// URL');
    }
    if (url.username !== '' || url.password !== '') {
      throw invalid(setting, source, 'must not contain a user name or password (it is published in links)');
    }
    if (url.search !== '' || url.hash !== '') throw invalid(setting, source, 'must not have a query or fragment');
  } else if ('oneOf' in rule) {
    if (typeof value !== 'string' || !rule.oneOf.includes(value)) {
      throw invalid(setting, source, `must be one of ${rule.oneOf.join(', ')}, not '${String(value)}'`);
    }
  } else if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < rule.int[0] || value > rule.int[1]) {
    throw invalid(setting, source, `must be ${describe(setting)}, not ${String(value)}`);
  }
  return value;
}
