// What every command shares: global options and opening the repository they name.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { PyvetError } from '../errors.js';
import type { Actor } from '../repository/types.js';

export interface GlobalOptions {
  data?: string;
  config?: string;
  json: boolean;
}

/** The global options (--data, --config, --json), wherever the command sits in the tree. */
export function globalOptions(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** A CLI user acts with the admin role: whoever can run the CLI on the data directory owns it. */
export function cliActor(): Actor {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep 'unknown'
  }
  return { name: `cli:${user}`, role: 'admin' };
}

/** A file named on the command line: one that cannot be read is invalid input naming it, not an internal error. */
export function readInput(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    // Node's message ends with the path as given: said once.
    throw new PyvetError('FILE_UNREADABLE', 'invalid', `cannot read the ${what} ${path}: ${(err as Error).message.replace(/, \w+ '.*'$/s, '')}`, { path });
  }
}
