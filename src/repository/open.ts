// Opening and initialising a repository: <data>/pyvet.toml, <data>/catalog.sqlite, <data>/blobs/.
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DestinationStream } from 'pino';
import { createInspector } from '../artifacts/pool.js';
import { FsBlobStore } from '../blobs/fs.js';
import { openSqliteCatalog } from '../catalog/sqlite.js';
import { CONFIG_FILE_NAME, loadConfig, type PyvetConfig } from '../config.js';
import { PyvetError } from '../errors.js';
import { createLogger } from './logger.js';
import { SYSTEM_ACTOR } from './roles.js';
import { createToken } from './tokens.js';
import type { Repository } from './types.js';

export const CATALOG_FILE = 'catalog.sqlite';
export const BLOBS_DIR = 'blobs';
const INITIALISED_KEY = 'repository.initialised_at';

export interface OpenOptions {
  dataDir?: string | undefined;
  configFile?: string | undefined;
  /** Initialise the repository when the data directory holds none (the server's first start). */
  create?: boolean;
  /** Where log lines go (default stderr); tests capture them here. */
  logDestination?: DestinationStream;
  /** Overrides config.log_level (the CLI keeps stderr quiet unless PYVET_LOG_LEVEL is set). */
  logLevel?: string;
}

export interface OpenedRepository extends Repository {
  /** Set only when this open created the repository: the first admin token, to show once. */
  readonly initialAdminToken?: string;
}

export interface InitResult {
  dataDir: string;
  configFile: string;
  /** The first admin token: printed once, never stored. */
  adminToken: string;
}

function catalogPath(config: PyvetConfig): string {
  return join(config.data_dir, CATALOG_FILE);
}

async function openWith(config: PyvetConfig, opts: Pick<OpenOptions, 'logDestination' | 'logLevel'>): Promise<Repository> {
  const catalog = await openSqliteCatalog(catalogPath(config));
  const blobs = new FsBlobStore(join(config.data_dir, BLOBS_DIR));
  const logger = createLogger(opts.logLevel ?? config.log_level, opts.logDestination);
  // Worker threads start on the first inspection only, so commands that never ingest pay nothing.
  const inspector = createInspector(config.ingest.workers);
  return {
    config,
    catalog,
    blobs,
    logger,
    inspector,
    close: async () => {
      await inspector.close();
      await catalog.close();
    },
  };
}

/** Opens an existing repository (or creates one with `create`). Throws REPO_NOT_FOUND otherwise. */
export async function openRepository(opts: OpenOptions = {}): Promise<OpenedRepository> {
  const config = loadConfig({ dataDir: opts.dataDir, configFile: opts.configFile });
  if (!existsSync(catalogPath(config))) {
    if (!opts.create) {
      throw new PyvetError(
        'REPO_NOT_FOUND',
        'not_found',
        `no pyvet repository in ${config.data_dir}: run 'pyvet init --data ${config.data_dir}' or pass --data`,
        { dataDir: config.data_dir },
      );
    }
    const init = await initRepository(config.data_dir, opts);
    const repo = await openWith(loadConfig({ dataDir: opts.dataDir, configFile: opts.configFile }), opts);
    return { ...repo, initialAdminToken: init.adminToken };
  }
  return openWith(config, opts);
}

/**
 * Creates a repository in `dataDir`: the directory, a pyvet.toml of commented defaults (unless a
 * configuration file already exists), the catalog, the blob store and the first admin token.
 * Throws REPO_EXISTS when the directory already holds an initialised repository.
 */
export async function initRepository(
  dataDir: string,
  opts: { configFile?: string | undefined } & Pick<OpenOptions, 'logDestination' | 'logLevel'> = {},
): Promise<InitResult> {
  const config = loadConfig({ dataDir, configFile: opts.configFile, creating: true });
  // The catalog, the configuration and the blobs are for the repository's user alone. An existing
  // directory or file keeps its mode: pyvet never loosens one, and never changes the operator's.
  mkdirSync(dirname(config.data_dir), { recursive: true });
  createOnce(() => mkdirSync(config.data_dir, { mode: 0o700 }));
  // Created before SQLite opens it: its -wal and -shm files take the database file's mode.
  createOnce(() => closeSync(openSync(catalogPath(config), 'wx', 0o600)));
  // Written where every later command will read it: --config, else PYVET_CONFIG, else the data dir.
  const configFile = opts.configFile ?? process.env.PYVET_CONFIG ?? join(config.data_dir, CONFIG_FILE_NAME);
  const repo = await openWith(config, opts);
  try {
    const adminToken = await repo.catalog.transaction(async (tx) => {
      if (await tx.settings.get(INITIALISED_KEY)) {
        throw new PyvetError('REPO_EXISTS', 'conflict', `${config.data_dir} already holds a pyvet repository`, {
          dataDir: config.data_dir,
        });
      }
      await tx.settings.set(INITIALISED_KEY, new Date().toISOString());
      await tx.audit.append({ actor: SYSTEM_ACTOR.name, action: 'repository.init', subject: config.data_dir, details: {} });
      const { token } = await createToken({ ...repo, catalog: tx }, { name: 'admin', role: 'admin' }, SYSTEM_ACTOR);
      return token;
    });
    if (!existsSync(configFile)) {
      mkdirSync(dirname(configFile), { recursive: true });
      writeFileSync(configFile, DEFAULT_CONFIG_TOML, { flag: 'wx', mode: 0o600 });
    }
    return { dataDir: config.data_dir, configFile, adminToken };
  } finally {
    await repo.close();
  }
}

/** Runs `create`, which fails with EEXIST when what it creates is already there. */
function createOnce(create: () => void): void {
  try {
    create();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

// Every setting with its default, commented out: uncomment to change.
const DEFAULT_CONFIG_TOML = `# pyvet configuration. Every setting below shows its default; uncomment to change it.
# Environment variables override this file: PYVET_HOST, PYVET_PORT, PYVET_LOG_LEVEL,
# PYVET_<SECTION>__<KEY> (e.g. PYVET_LIMITS__MAX_FILE_BYTES).

# log_level = "info"

[server]
# host = "127.0.0.1"
# port = 8080
# Public base URL (e.g. "https://pypi.example.com"); derived from each request when unset.
# base_url = "https://pypi.example.com"
# Anonymous users may read the index; false means pip needs a reader token.
# anonymous_read = true
# access_log = true
# On SIGTERM/SIGINT, how long requests in flight may take to finish before their connections are closed.
# drain_timeout_ms = 30000

[limits]
# Largest archive accepted, bytes (2 GiB).
# max_file_bytes = 2147483648
# Largest total uncompressed size of an archive, bytes (8 GiB).
# max_uncompressed_bytes = 8589934592
# Largest uncompressed/compressed ratio of one member (zip bombs).
# max_compression_ratio = 200
# Largest METADATA / PKG-INFO, bytes (4 MiB).
# max_metadata_bytes = 4194304
# Most members in one archive.
# max_archive_entries = 200000

[advisories]
# sync_url = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"

[vetting]
# Policy file (YAML or TOML), relative to the data directory; built-in defaults when unset.
# policy_file = "policy.yaml"

[ingest]
# Threads inspecting archives beside the main thread; 0 = on the main thread. Default: one per CPU (at most 8).
# workers = 2

[mirror]
# concurrency = 4
# retries = 4
# timeout_ms = 60000

# Targets besides the presets (\`pyvet targets\`). The manylinux presets assume glibc 2.39: a
# release for them may pin a wheel that older systems cannot install. For clients on RHEL 8
# (glibc 2.28) or RHEL 9 (2.34), define a target with their glibc:
# [[targets]]
# name = "cp311-rhel8"
# base = "cp311-manylinux_x86_64"
# glibc = "2.28"
# Or standalone: name, python = "3.11", platforms = ["…"], and an [targets.environment] table
# of PEP 508 marker values.
`;
