// `pyvet serve`: the HTTP server on a repository, created on first start (the admin token is
// printed once). Runs until SIGINT/SIGTERM, then stops accepting, finishes requests and exits.
// With --workers N, N processes share the port (node:cluster), like nginx's worker_processes;
// each has its own page cache and watches the same catalog serial.
import cluster from 'node:cluster';
import { once } from 'node:events';
import type { Command } from 'commander';
import { PyvetError } from '../../errors.js';
import { openRepository } from '../../repository/open.js';
import type { startServer } from '../../server/index.js';
import { vetUndecided } from '../../vetting/index.js';
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

function announce(g: GlobalOptions, url: string, dataDir: string, adminToken: string | undefined, workers: number): void {
  if (g.json) {
    printJson({ url, dataDir, adminToken: adminToken ?? null, workers });
    return;
  }
  if (adminToken) {
    info(`created a repository in ${dataDir}`);
    info(`admin token (shown once, keep it safe): ${colour.bold(adminToken)}`);
  }
  info(`pyvet serving ${dataDir} at ${colour.bold(url)}  (index: ${url}/simple/)${workers > 1 ? `, ${workers} workers` : ''}`);
}

/** Resolves on the first SIGINT or SIGTERM, after `stop` finished. */
function untilSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const handler = (signal: string) => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      if (cluster.isPrimary) note(`${signal}: shutting down`);
      stop().finally(resolve);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

async function serveHere(g: GlobalOptions, opts: ServeOptions): Promise<void> {
  const repo = await openRepository({ dataDir: g.data, configFile: g.config, create: true });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    if (cluster.isPrimary) await vetUndecided(repo);
    // Loaded here: Fastify and the routes are a tenth of a second that no other command needs.
    const { startServer } = await import('../../server/index.js');
    server = await startServer(repo, { host: opts.host, port: opts.port });
  } catch (err) {
    await repo.close();
    throw err;
  }
  if (cluster.isPrimary) announce(g, server.url, repo.config.data_dir, repo.initialAdminToken, 1);
  await untilSignal(() => server.close().then(() => repo.close()));
  // A worker's IPC channel to the primary would keep it alive after everything else closed.
  cluster.worker?.disconnect();
}

async function servePrimary(g: GlobalOptions, opts: ServeOptions, workers: number): Promise<void> {
  // Create the repository (and its admin token) once, before the workers open it.
  const repo = await openRepository({ dataDir: g.data, configFile: g.config, create: true });
  const { data_dir: dataDir, server: cfg } = repo.config;
  const adminToken = repo.initialAdminToken;
  try {
    await vetUndecided(repo);
  } finally {
    await repo.close();
  }
  let stopping = false;
  // Workers run with the server's node flags (./node-flags.ts) unless the operator chose others.
  const flags = missingFlags(process.execArgv, SERVER_NODE_FLAGS);
  cluster.setupPrimary({ execArgv: [...process.execArgv, ...flags] });
  const fork = () => cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    note(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    fork();
  });
  const first = fork();
  for (let i = 1; i < workers; i++) fork();
  // Workers asked for the same address share one listening socket, port 0 included.
  const [address] = (await once(first, 'listening')) as [{ address: string; port: number }];
  const host = address.address ?? opts.host ?? cfg.host;
  announce(g, `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`, dataDir, adminToken, workers);
  await untilSignal(async () => {
    stopping = true;
    const all = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
    await Promise.all(
      all.map(async (w) => {
        if (w.isDead()) return;
        w.process.kill('SIGTERM');
        await once(w, 'exit');
      }),
    );
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
      '\nExample: pyvet serve --data ./pyvet-data --port 8080 --workers 2\nThe repository is created on first start; its admin token is printed once.',
    )
    .action(async (opts: ServeOptions, c: Command) => {
      const g = globalOptions(c);
      const workers = opts.workers ?? 1;
      if (workers > 1 && cluster.isPrimary) return servePrimary(g, opts, workers);
      return serveHere(g, opts);
    });
}
