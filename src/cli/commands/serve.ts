// `pyvet serve`: the HTTP server on a repository, created on first start (the admin token is
// written to <data>/initial-admin-token, never printed: serve's output is often a log). Runs
// until SIGINT/SIGTERM, then stops accepting, finishes requests and exits; requests still
// running after server.drain_timeout_ms have their connections closed.
// With --workers N, N processes share the port (node:cluster), like nginx's worker_processes;
// each has its own page cache and watches the same catalog serial; /metrics on any of them
// answers for all (the primary merges them: src/server/metrics.ts). The primary restarts a
// worker that dies, backing off when they keep dying, and stops if one cannot start.
import cluster from 'node:cluster';
import { once } from 'node:events';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { asPyvetError, type ErrorKind, exitCodeOf, PyvetError } from '../../errors.js';
import { type OpenedRepository, openRepository } from '../../repository/open.js';
import type { Repository } from '../../repository/types.js';
import type { startServer } from '../../server/index.js';
import { ClusterMetrics } from '../../server/metrics.js';
import { startVettingClock, vetUndecided } from '../../vetting/index.js';
import { type GlobalOptions, globalOptions } from '../context.js';
import { colour, info, note, printJson } from '../output.js';
import { missingFlags, SERVER_NODE_FLAGS } from '../node-flags.js';

interface ServeOptions {
  host?: string;
  port?: number;
  workers?: number;
}

function integer(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new PyvetError('OPTION_INVALID', 'invalid', `${flag} ${JSON.stringify(value)} must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

/** Where serve leaves the first admin token of a repository it created, for the operator to collect. */
export const INITIAL_TOKEN_FILE = 'initial-admin-token';

/**
 * Writes the first admin token of a repository this start created to <data>/initial-admin-token
 * (0600, in the 0700 data directory) and returns that path; undefined when it existed already.
 * Under systemd, docker or kubernetes, stdout is the server's log, and no secret goes there.
 */
function keepInitialToken(repo: OpenedRepository): string | undefined {
  if (repo.initialAdminToken === undefined) return undefined;
  const path = join(repo.config.data_dir, INITIAL_TOKEN_FILE);
  // One left from a repository whose catalog was deleted names a token that no longer exists;
  // removed first so that 'wx' never writes through a link planted there.
  rmSync(path, { force: true });
  writeFileSync(path, `${repo.initialAdminToken}\n`, { flag: 'wx', mode: 0o600 });
  return path;
}

function announce(g: GlobalOptions, url: string, dataDir: string, tokenFile: string | undefined, workers: number): void {
  if (g.json) {
    printJson({ url, dataDir, adminTokenFile: tokenFile ?? null, workers });
    return;
  }
  if (tokenFile) {
    info(`created a repository in ${dataDir}`);
    info(`the first admin token is in ${colour.bold(tokenFile)} (readable by you alone): read it, keep it in a safe place, then delete the file`);
  } else if (existsSync(join(dataDir, INITIAL_TOKEN_FILE))) {
    note(`${join(dataDir, INITIAL_TOKEN_FILE)} still holds the first admin token: keep it in a safe place, then delete the file`);
  }
  info(`pyvet serving ${dataDir} at ${colour.bold(url)}  (index: ${url}/simple/)${workers > 1 ? `, ${workers} workers` : ''}`);
}

/**
 * Resolves on the first SIGINT or SIGTERM, after `stop` finished. A second signal kills a single
 * process (the operator insists); a worker ignores it: its primary decides when to kill it
 * (Ctrl-C signals the whole process group, and the primary then sends SIGTERM too).
 */
function untilSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const handler = (signal: string) => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      if (cluster.isWorker) {
        process.on('SIGINT', () => {});
        process.on('SIGTERM', () => {});
      }
      if (cluster.isPrimary) note(`${signal}: shutting down`);
      stop().finally(resolve);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

// Worker → primary: this worker could not start (the primary reports the error once).
interface FailedMessage {
  pyvet: 'failed';
  error: { code: string; kind: ErrorKind; message: string };
}

const isFailed = (m: unknown): m is FailedMessage => (m as { pyvet?: unknown } | null)?.pyvet === 'failed';

/** A worker that cannot start tells the primary why and exits with the error's exit code. */
async function failWorker(err: unknown): Promise<void> {
  const e = asPyvetError(err);
  process.exitCode = exitCodeOf(e);
  const message: FailedMessage = { pyvet: 'failed', error: { code: e.code, kind: e.kind, message: e.message } };
  await new Promise<void>((resolve) => process.send!(message, () => resolve()));
  cluster.worker!.disconnect();
  // Whatever the failed start left open (a half-built server) must not keep the worker alive.
  setTimeout(() => process.exit(), 1000).unref();
}

async function serveHere(g: GlobalOptions, opts: ServeOptions): Promise<void> {
  let repo: Awaited<ReturnType<typeof openRepository>>;
  let server: Awaited<ReturnType<typeof startServer>>;
  let tokenFile: string | undefined;
  try {
    repo = await openRepository({ dataDir: g.data, configFile: g.config, create: true });
    try {
      // Before anything else can fail: a repository created without it would have no admin.
      tokenFile = keepInitialToken(repo);
      if (cluster.isPrimary) await vetUndecided(repo);
      // Loaded here: Fastify and the routes are a tenth of a second that no other command needs.
      const { startServer } = await import('../../server/index.js');
      server = await startServer(repo, { host: opts.host, port: opts.port });
    } catch (err) {
      await repo.close();
      throw err;
    }
  } catch (err) {
    // Thrown, every worker would print it; and its IPC channel would keep it alive.
    if (cluster.isWorker) return failWorker(err);
    throw err;
  }
  if (cluster.isPrimary) announce(g, server.url, repo.config.data_dir, tokenFile, 1);
  const clock = cluster.isPrimary ? startClock(repo) : undefined;
  const drainMs = repo.config.server.drain_timeout_ms;
  await untilSignal(async () => {
    await clock?.stop();
    await server.close(drainMs);
    await repo.close();
  });
  // A worker's IPC channel to the primary would keep it alive after everything else closed.
  cluster.worker?.disconnect();
}

// Restarting workers that die: one that dies within STABLE_MS of starting counts as a rapid
// failure; each rapid failure in a row doubles the wait before the next start (from BACKOFF_MS),
// and after MAX_RAPID_FAILURES the primary gives up rather than crash-loop forever.
const STABLE_MS = 10_000;
const BACKOFF_MS = 250;
const MAX_RAPID_FAILURES = 5;
/** Beyond the drain deadline, how long a worker may take to exit before it is killed. */
const EXIT_GRACE_MS = 5_000;

async function servePrimary(g: GlobalOptions, opts: ServeOptions, workers: number): Promise<void> {
  // Create the repository (and its admin token) once, before the workers open it.
  const repo = await openRepository({ dataDir: g.data, configFile: g.config, create: true });
  const { data_dir: dataDir, server: cfg } = repo.config;
  // The primary keeps the repository open for the vetting clock only; the workers serve.
  let clock: { stop: () => Promise<void> };
  let tokenFile: string | undefined;
  try {
    tokenFile = keepInitialToken(repo);
    await vetUndecided(repo);
    clock = startClock(repo);
  } catch (err) {
    await repo.close();
    throw err;
  }
  const closeRepo = async () => {
    await clock.stop();
    await repo.close();
  };
  // Workers run with the server's node flags (./node-flags.ts) unless the operator chose others.
  const flags = missingFlags(process.execArgv, SERVER_NODE_FLAGS);
  cluster.setupPrimary({ execArgv: [...process.execArgv, ...flags] });
  const metrics = new ClusterMetrics();

  let stopping = false;
  let starting = true;
  let rapidFailures = 0;
  let fatal!: (err: PyvetError) => void;
  const failed = new Promise<never>((_resolve, reject) => {
    fatal = reject;
  });
  const startedAt = new Map<number, number>();
  const listened = new Set<number>();
  const reported = new Map<number, PyvetError>();
  const restarts = new Set<NodeJS.Timeout>();
  let allListening!: (address: { address: string; port: number }) => void;
  const ready = new Promise<{ address: string; port: number }>((resolve) => {
    allListening = resolve;
  });

  const fork = () => startedAt.set(cluster.fork().id, Date.now());
  cluster.on('message', (worker, m) => {
    if (metrics.onMessage(worker, m)) return;
    if (isFailed(m)) reported.set(worker.id, new PyvetError(m.error.code, m.error.kind, m.error.message));
  });
  cluster.on('listening', (worker, address) => {
    listened.add(worker.id);
    if (starting && listened.size === workers) allListening(address);
    // A worker that stays up ends a run of rapid failures.
    setTimeout(() => {
      if (!worker.isDead()) rapidFailures = 0;
    }, STABLE_MS).unref();
  });
  cluster.on('exit', (worker, code, signal) => {
    metrics.retire(worker);
    if (stopping) return;
    const how = `worker ${worker.process.pid} exited (${signal ?? code})`;
    const why = reported.get(worker.id);
    if (starting && !listened.has(worker.id)) {
      // The same error a single process would have stopped with, once (not once per worker).
      fatal(why ?? new PyvetError('WORKER_FAILED', 'internal', `${how} before it listened`));
      return;
    }
    rapidFailures = Date.now() - (startedAt.get(worker.id) ?? 0) < STABLE_MS ? rapidFailures + 1 : 0;
    if (rapidFailures > MAX_RAPID_FAILURES) {
      const last = why ? `; the last: [${why.code}] ${why.message}` : '';
      fatal(
        new PyvetError(
          'WORKERS_FAILING',
          'internal',
          `${rapidFailures} workers in a row exited within ${STABLE_MS / 1000} s of starting (${how}${last}); giving up`,
        ),
      );
      return;
    }
    const delay = rapidFailures === 0 ? 0 : BACKOFF_MS * 2 ** (rapidFailures - 1);
    note(`${how}${why ? `: ${why.message}` : ''}; starting another${delay ? ` in ${delay} ms` : ''}`);
    const timer = setTimeout(() => {
      restarts.delete(timer);
      if (!stopping) fork();
    }, delay);
    restarts.add(timer);
  });

  const stop = async () => {
    stopping = true;
    for (const timer of restarts) clearTimeout(timer);
    const all = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
    await Promise.all(
      all.map(async (w) => {
        if (w.isDead()) return;
        const exited = once(w, 'exit');
        w.process.kill('SIGTERM');
        // Each worker closes its slow connections at the drain deadline; this is for a stuck one.
        const kill = setTimeout(() => w.process.kill('SIGKILL'), cfg.drain_timeout_ms + EXIT_GRACE_MS);
        await exited;
        clearTimeout(kill);
      }),
    );
  };

  for (let i = 0; i < workers; i++) fork();
  try {
    // Workers asked for the same address share one listening socket, port 0 included.
    const address = await Promise.race([ready, failed]);
    starting = false;
    const host = address.address ?? opts.host ?? cfg.host;
    announce(g, `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`, dataDir, tokenFile, workers);
    await Promise.race([untilSignal(stop), failed]);
  } catch (err) {
    await stop();
    throw err;
  } finally {
    await closeRepo();
  }
}

/** The vetting clock (vetting/clock.ts), each rescan it makes logged as a warning when it found something. */
function startClock(repo: Repository): { stop: () => Promise<void> } {
  return startVettingClock(repo, {
    onRescan: (r, due) => {
      const found = r.newlyVulnerable.length + r.newlyBlocked.length + r.approved.length + r.rejected.length + r.yanked.length;
      const line = {
        due,
        scanned: r.scanned,
        newlyVulnerable: r.newlyVulnerable.map((c) => `${c.filename}: ${c.advisories.join(', ')}`),
        newlyBlocked: r.newlyBlocked.map((c) => `${c.filename}: ${c.reasons.join('; ')}`),
        approved: r.approved,
        rejected: r.rejected,
        yanked: r.yanked,
      };
      if (found > 0) repo.logger.warn(line, 'scheduled rescan changed verdicts');
      else repo.logger.info(line, 'scheduled rescan');
    },
  });
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the index (/simple/), files, uploads (/legacy/), the admin API, /healthz and /metrics')
    .option('--host <host>', 'address to listen on (config server.host, env PYVET_HOST; default 127.0.0.1)')
    .option('--port <port>', 'port to listen on, 0 for any free one (config server.port, env PYVET_PORT; default 8080)', integer('--port', 0, 65535))
    .option('--workers <n>', 'processes sharing the port, e.g. one per core (default 1)', integer('--workers', 1, 256))
    .addHelpText(
      'after',
      '\nExample: pyvet serve --data ./pyvet-data --port 8080 --workers 2\nThe repository is created on first start; its first admin token is written to\n<data>/initial-admin-token (never printed): read it, keep it safe, delete the file.',
    )
    .action(async (opts: ServeOptions, c: Command) => {
      const g = globalOptions(c);
      const workers = opts.workers ?? 1;
      if (workers > 1 && cluster.isPrimary) return servePrimary(g, opts, workers);
      return serveHere(g, opts);
    });
}
