// Shared by the repository-core suites: a fresh initialised repository in a temp directory, and
// a NewFile builder for catalog-level tests that need rows without real archives.
import { spawnSync } from 'node:child_process';
import { dirname, join, sep } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { NewFile } from '../../src/catalog/types.js';
import { initRepository, type OpenedRepository, openRepository } from '../../src/repository/open.js';
import { ROOT, tempDir } from '../helpers/paths.js';

export interface TestRepo {
  repo: OpenedRepository;
  dataDir: string;
  adminToken: string;
  /** Every log line written so far (pino JSON). */
  logs: string[];
  cleanup: () => Promise<void>;
}

export async function makeRepo(): Promise<TestRepo> {
  const tmp = tempDir('pyvet-repo-');
  const dataDir = `${tmp.path}/data`;
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const { adminToken } = await initRepository(dataDir, { logDestination: sink });
  const repo = await openRepository({ dataDir, logDestination: sink });
  return {
    repo,
    dataDir,
    adminToken,
    logs,
    cleanup: async () => {
      await repo.close();
      tmp.cleanup();
    },
  };
}

let counter = 0;
export function newFile(over: Partial<NewFile> = {}): NewFile {
  counter++;
  const project = over.project ?? 'demo';
  const version = over.version ?? '1.0';
  return {
    project,
    displayName: project,
    version,
    filename: `${project}-${version}-${counter}-py3-none-any.whl`,
    kind: 'wheel',
    size: 100 + counter,
    sha256: counter.toString(16).padStart(64, 'a'),
    blake2b256: 'b'.repeat(64),
    md5: 'c'.repeat(32),
    requiresPython: '>=3.9',
    metadataSha256: 'd'.repeat(64),
    requiresDist: ['requests>=2', 'rich; extra == "cli"'],
    providesExtra: ['cli'],
    summary: 'a demo',
    license: 'MIT',
    tags: ['py3-none-any'],
    uploadedAt: new Date().toISOString(),
    upstreamUploadedAt: null,
    origin: 'local',
    state: 'quarantined',
    stateChangedBy: 'cli:test',
    integrity: { checks: [{ check: 'record-hashes', ok: true, detail: '3 entries' }] },
    ...over,
  };
}

const here = dirname(fileURLToPath(import.meta.url));
const COMPILED = here.includes(`${sep}dist${sep}`);

/** argv prefix that runs the real CLI: compiled JS under dist/, else the TypeScript through tsx. */
export function cliCommand(): string[] {
  return COMPILED
    ? [process.execPath, join(ROOT, 'dist', 'src', 'cli', 'main.js')]
    : [process.execPath, '--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')];
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `pyvet …` against `dataDir` (null: no --data, the environment decides), like a user would. */
export function runCli(dataDir: string | null, args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const [cmd, ...pre] = cliCommand();
  const r = spawnSync(cmd!, [...pre, ...(dataDir === null ? [] : ['--data', dataDir]), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
