// The pyvet command line. Each command group lives in its own file under commands/ and is
// registered below; commands only parse arguments, call a domain service and print its result.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { asPyvetError, exitCodeOf } from '../errors.js';
import * as advisoryCommands from './commands/advisories.js';
import * as auditCommands from './commands/audit.js';
import * as closureCommands from './commands/closure.js';
import * as releaseCommands from './commands/release.js';
import * as inspectCommands from './commands/inspect.js';
import * as repoCommands from './commands/repo.js';
import * as resolveCommands from './commands/resolve.js';
import * as serveCommands from './commands/serve.js';
import * as targetCommands from './commands/targets.js';
import * as tokenCommands from './commands/tokens.js';
import * as upstreamCommands from './commands/upstream.js';
import * as vettingCommands from './commands/vetting.js';
import { colour, printJson } from './output.js';

type Register = (program: Command) => void;
// Command groups, in the order `pyvet --help` lists them.
const COMMANDS: Register[] = [
  repoCommands.register,
  inspectCommands.register,
  tokenCommands.register,
  vettingCommands.register,
  advisoryCommands.register,
  auditCommands.register,
  serveCommands.register,
  upstreamCommands.register,
  targetCommands.register,
  closureCommands.register,
  resolveCommands.register,
  releaseCommands.register,
];

export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('pyvet')
    .description('A vetted, curated Python package repository: pip-compatible index, OSV vetting, hash-pinned releases.')
    .version(packageVersion(), '-V, --version')
    .option('-d, --data <dir>', 'repository data directory (env PYVET_DATA, default ./pyvet-data)')
    .option('-c, --config <file>', 'configuration file (env PYVET_CONFIG, default <data>/pyvet.toml)')
    .option('--json', 'machine-readable output on stdout', false)
    .showHelpAfterError()
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

/** Runs the CLI; returns the exit code (0 ok, 1 "the answer is no", >=2 errors: see errors.ts). */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const e = asPyvetError(err);
    if (program.opts().json) printJson({ error: e.toJSON() });
    else process.stderr.write(`${colour.red('error')} ${colour.dim(`[${e.code}]`)} ${e.message}\n`);
    if (e.kind === 'internal' && process.env.PYVET_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    return exitCodeOf(e);
  }
}
