// `pyvet serve`: the HTTP server on a repository, created on first start (the admin token is
// printed once). Runs until SIGINT/SIGTERM, then stops accepting, finishes requests and exits.
import type { Command } from 'commander';
import { PyvetError } from '../../errors.js';
import { openRepository } from '../../repository/open.js';
import { startServer } from '../../server/index.js';
import { globalOptions } from '../context.js';
import { colour, info, note, printJson } from '../output.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new PyvetError('PORT_INVALID', 'invalid', `--port ${JSON.stringify(value)} is not a port number (0-65535)`);
  }
  return n;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the index (/simple/), files, uploads (/legacy/), the admin API, /healthz and /metrics')
    .option('--host <host>', 'address to listen on (config server.host, env PYVET_HOST; default 127.0.0.1)')
    .option('--port <port>', 'port to listen on, 0 for any free one (config server.port, env PYVET_PORT; default 8080)', port)
    .addHelpText('after', '\nExample: pyvet serve --data ./pyvet-data --port 8080\nThe repository is created on first start; its admin token is printed once.')
    .action(async (opts: { host?: string; port?: number }, c: Command) => {
      const g = globalOptions(c);
      const repo = await openRepository({ dataDir: g.data, configFile: g.config, create: true });
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer(repo, { host: opts.host, port: opts.port });
      } catch (err) {
        await repo.close();
        throw err;
      }
      const started = { url: server.url, dataDir: repo.config.data_dir, adminToken: repo.initialAdminToken ?? null };
      if (g.json) printJson(started);
      else {
        if (repo.initialAdminToken) {
          info(`created a repository in ${repo.config.data_dir}`);
          info(`admin token (shown once, keep it safe): ${colour.bold(repo.initialAdminToken)}`);
        }
        info(`pyvet serving ${repo.config.data_dir} at ${colour.bold(server.url)}  (index: ${server.url}/simple/)`);
      }
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          note(`${signal}: shutting down`);
          server
            .close()
            .then(() => repo.close())
            .finally(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
