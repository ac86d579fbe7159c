// Shared by the server suites: a repository with one token per role and a running server on
// 127.0.0.1:0, real wheels built once and reused (python -m build is slow), and a capture of the
// server's log lines so tests can read the access log.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Role } from '../../src/catalog/types.js';
import { ingestFile } from '../../src/repository/ingest.js';
import { approveFiles } from '../../src/repository/states.js';
import { createToken } from '../../src/repository/tokens.js';
import type { Actor, Repository } from '../../src/repository/types.js';
import { type RunningServer, type ServerOptions, startServer } from '../../src/server/index.js';
import { buildProject, type ProjectSpec } from '../helpers/python.js';
import { spawnCli } from '../helpers/cli.js';
import { makeRepo, type TestRepo } from '../repository/support.js';

export const ADMIN: Actor = { name: 'cli:test', role: 'admin' };

export interface TestServer extends TestRepo {
  server: RunningServer;
  url: string;
  tokens: Record<Role, string>;
  /** Parsed access-log lines written since the start. */
  accessLog(): { method: string; url: string; status: number; ms: number }[];
  stop(): Promise<void>;
}

/** A fresh repository, a token per role and a server on a free loopback port. */
export async function startTestServer(configure?: (repo: Repository) => Repository, opts?: ServerOptions): Promise<TestServer> {
  const t = await makeRepo();
  const tokens = {} as Record<Role, string>;
  for (const role of ['reader', 'publisher', 'approver', 'admin'] as Role[]) {
    tokens[role] = (await createToken(t.repo, { name: `${role}-token`, role }, ADMIN)).token;
  }
  const repo = configure ? configure(t.repo) : t.repo;
  const server = await startServer(repo, { host: '127.0.0.1', port: 0 }, opts);
  return {
    ...t,
    server,
    url: server.url,
    tokens,
    accessLog: () =>
      t.logs
        .flatMap((l) => l.split('\n'))
        .filter((l) => l.includes('"msg":"request"'))
        .map((l) => JSON.parse(l) as { method: string; url: string; status: number; ms: number }),
    stop: async () => {
      await server.close();
      await t.cleanup();
    },
  };
}

export interface AccessLine {
  method: string;
  url: string;
  status: number;
  ms: number;
}

export interface ServeProcess {
  url: string;
  /** What `pyvet --json serve` printed on start (url, dataDir, the admin token's file when it created the repository, workers). */
  started: { url: string; dataDir: string; adminTokenFile: string | null; workers: number };
  pid: number;
  /** Exit code after stop(). */
  exitCode(): number | null;
  /**
   * The access-log lines of every request answered so far. Its own marker request is the
   * barrier: once the server has logged it, everything answered before it has been logged too.
   */
  accessLog(): Promise<AccessLine[]>;
  stop(): Promise<void>;
}

/**
 * `pyvet serve --port 0` in a child process, for tests that drive synchronous clients (pip and
 * twine through execFileSync would block an in-process server's event loop).
 */
export async function spawnServe(dataDir: string, env: Record<string, string> = {}, args: string[] = []): Promise<ServeProcess> {
  const child = spawnCli(dataDir, ['--json', 'serve', '--host', '127.0.0.1', '--port', '0', ...args], env);
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of waiters.splice(0)) w();
  });
  let stdout = '';
  child.stdout!.setEncoding('utf8');
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: string) => {
      stdout += d;
      const m = /"url":\s*"([^"]+)"/.exec(stdout);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`pyvet serve exited with ${code}: ${stderr}`)));
  });
  const lines = () =>
    stderr
      .split('\n')
      .filter((l) => l.includes('"msg":"request"'))
      .map((l) => JSON.parse(l) as AccessLine);
  let marker = 0;
  await new Promise<void>((resolve) => {
    // The whole JSON object (the url line comes before its closing brace).
    const done = () => (/\}\s*$/.test(stdout) ? resolve() : child.stdout!.once('data', done));
    done();
  });
  return {
    url,
    started: JSON.parse(stdout),
    pid: child.pid!,
    exitCode: () => child.exitCode,
    accessLog: async () => {
      const probe = `/healthz?access-log-barrier=${++marker}`;
      await (await fetch(`${url}${probe}`)).arrayBuffer();
      while (!lines().some((l) => l.url === probe)) await new Promise<void>((resolve) => waiters.push(resolve));
      return lines().filter((l) => !l.url.startsWith('/healthz?access-log-barrier='));
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** A repository whose configuration differs (e.g. anonymous_read off); the same catalog and blobs. */
export function withServerConfig(repo: Repository, server: Partial<Repository['config']['server']>): Repository {
  return { ...repo, config: { ...repo.config, server: { ...repo.config.server, ...server } } };
}

const WHEEL_CACHE = join(tmpdir(), 'pyvet-test-wheels');

/**
 * A real wheel and sdist of `spec`, built with `python -m build` the first time and reused after
 * (keyed by the spec, in the system temp directory, shared by the suites).
 */
export function builtProject(spec: ProjectSpec): { wheel: string; sdist: string } {
  const key = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
  const dir = join(WHEEL_CACHE, key);
  if (!existsSync(dir)) {
    const work = `${dir}.${process.pid}.tmp`;
    rmSync(work, { recursive: true, force: true });
    buildProject(spec, work);
    mkdirSync(WHEEL_CACHE, { recursive: true });
    try {
      renameSync(work, dir);
    } catch {
      rmSync(work, { recursive: true, force: true }); // another test process won the race
    }
  }
  const files = readdirSync(dir);
  return {
    wheel: join(dir, files.find((f) => f.endsWith('.whl'))!),
    sdist: join(dir, files.find((f) => f.endsWith('.tar.gz'))!),
  };
}

/** Copies a built file to `dir` (tests that must change bytes work on the copy). */
export function copyTo(path: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const target = join(dir, path.split('/').pop()!);
  cpSync(path, target);
  return target;
}

/** Ingests files as the admin, approving them when asked. */
export async function addFiles(repo: Repository, paths: string[], approve: boolean): Promise<void> {
  for (const p of paths) {
    const { file } = await ingestFile(repo, p, { actor: ADMIN, origin: 'local' });
    if (approve) await approveFiles(repo, file.filename, ADMIN, 'test');
  }
}
