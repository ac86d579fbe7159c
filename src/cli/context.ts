// What every command shares: global options and opening the repository they name.
import { userInfo } from 'node:os';
import type { Command } from 'commander';
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
