// The pyvet command line. Each command group lives in its own file under commands/ and is
// registered below; commands only parse arguments, call a domain service and print its result.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { asPyvetError, exitCodeOf, PyvetError } from '../errors.js';
import { colour, printJson } from './output.js';

type Register = (program: Command) => void;
interface CommandGroup {
  /** The top-level commands (and their aliases) the group's module registers. */
  commands: readonly string[];
  load: () => Promise<{ register: Register }>;
}

// Command groups, in the order `pyvet --help` lists them. A command line loads only the group of
// the command it names, so what the other groups import is never read: `pyvet --version` starts
// in a third of the time and a repository command ~100 ms sooner. A word listed nowhere (a typo,
// `help`, a command added to a module but not here) loads every group, so it still works and
// commander still suggests the nearest name; a test keeps these lists equal to the modules'.
export const COMMAND_GROUPS: readonly CommandGroup[] = [
  { commands: ['init', 'add', 'gc', 'approve', 'reject', 'yank', 'unyank', 'files'], load: () => import('./commands/repo.js') },
  { commands: ['inspect'], load: () => import('./commands/inspect.js') },
  { commands: ['token'], load: () => import('./commands/tokens.js') },
  { commands: ['scan', 'rescan', 'review', 'waive', 'waivers', 'evidence', 'policy'], load: () => import('./commands/vetting.js') },
  { commands: ['advisories'], load: () => import('./commands/advisories.js') },
  { commands: ['audit'], load: () => import('./commands/audit.js') },
  { commands: ['serve'], load: () => import('./commands/serve.js') },
  { commands: ['upstream', 'mirror', 'outdated', 'upgrade-plan'], load: () => import('./commands/upstream.js') },
  { commands: ['targets'], load: () => import('./commands/targets.js') },
  { commands: ['closure'], load: () => import('./commands/closure.js') },
  { commands: ['resolve'], load: () => import('./commands/resolve.js') },
  { commands: ['release'], load: () => import('./commands/release.js') },
];

/** Global options that take a value (the next word, unless written --data=DIR or -dDIR). */
const VALUE_OPTIONS = new Set(['-d', '--data', '-c', '--config']);

/**
 * The command a command line (without node and the script) names: its first word that is not
 * a global option or an option's value; undefined when there is none.
 */
export function commandWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return args[i + 1];
    if (VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/** The groups a command line needs: its command's, none for a bare --version, else all. */
function groupsFor(args: readonly string[]): readonly CommandGroup[] {
  const word = commandWord(args);
  if (word === undefined) return args.some((a) => a === '-V' || a === '--version') ? [] : COMMAND_GROUPS;
  const own = COMMAND_GROUPS.find((g) => g.commands.includes(word));
  return own ? [own] : COMMAND_GROUPS;
}

/** --json among the global options or the command's (before a '--'). */
function wantsJson(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).includes('--json');
}

/** A usage error commander found (a missing option, an unknown command), as any other error. */
function usageError(err: CommanderError): PyvetError {
  const message = err.code === 'commander.help' ? 'a command is required: pyvet --help lists them' : err.message.replace(/^error: /, '');
  return new PyvetError('USAGE_INVALID', 'invalid', message);
}

export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The program with the command groups `args` (the command line without node and the script) needs. */
export async function buildProgram(args: readonly string[]): Promise<Command> {
  const program = new Command();
  program
    .name('pyvet')
    .description('A vetted, curated Python package repository: pip-compatible index, OSV vetting, hash-pinned releases.')
    .version(packageVersion(), '-V, --version')
    .option('-d, --data <dir>', 'repository data directory (env PYVET_DATA, default ./pyvet-data)')
    .option('-c, --config <file>', 'configuration file (env PYVET_CONFIG, default <data>/pyvet.toml)')
    .option('--json', 'machine-readable output on stdout', false)
    .exitOverride();
  // Set before the commands are added: they inherit it. With --json a usage error is printed by
  // run() as the JSON error envelope, so commander writes nothing of its own.
  if (wantsJson(args)) program.configureOutput({ outputError: () => {} });
  else program.showHelpAfterError();
  for (const group of await Promise.all(groupsFor(args).map((g) => g.load()))) group.register(program);
  return program;
}

/** Runs the CLI; returns the exit code (0 ok, 1 "the answer is no", >=2 errors: see errors.ts). */
export async function run(argv: string[]): Promise<number> {
  const program = await buildProgram(argv.slice(2));
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0;
      if (wantsJson(argv.slice(2))) printJson({ error: usageError(err).toJSON() });
      return 2;
    }
    const e = asPyvetError(err);
    if (program.opts().json) printJson({ error: e.toJSON() });
    else process.stderr.write(`${colour.red('error')} ${colour.dim(`[${e.code}]`)} ${e.message}\n`);
    if (e.kind === 'internal' && process.env.PYVET_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    return exitCodeOf(e);
  }
}
