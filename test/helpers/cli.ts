// Runs the real `pyvet` CLI in a child process: the compiled one when tests run from dist/,
// else the sources through tsx.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './paths.js';

const compiled = fileURLToPath(import.meta.url).includes(`${sep}dist${sep}`);

/** The parent's environment minus what would make a child node process act as a test runner child. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

export function cliCommand(args: string[]): string[] {
  return compiled ? [join(ROOT, 'dist', 'src', 'cli', 'main.js'), ...args] : ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args];
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `pyvet ARGS` against a data directory and waits for it. */
export function runCli(dataDir: string, args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, cliCommand(args), {
    cwd: ROOT,
    env: childEnv({ PYVET_DATA: dataDir, PYVET_LOG_LEVEL: 'warn', ...env }),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `pyvet ARGS` without waiting (for kill tests and servers). */
export function spawnCli(dataDir: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, cliCommand(args), {
    cwd: ROOT,
    env: childEnv({ PYVET_DATA: dataDir, ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Runs `pyvet ARGS` without blocking the event loop: needed whenever the test process itself
 * serves something the CLI talks to (a loopback upstream, a pyvet server).
 */
export function runCliAsync(dataDir: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawnCli(dataDir, args, { PYVET_LOG_LEVEL: 'warn', ...env });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr })));
}
