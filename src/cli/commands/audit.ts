// Audit log commands: verify the hash chain (against a kept head), print the head to keep, export
// as JSON lines.
import type { Command } from 'commander';
import { type AuditVerification, exportAudit, parseAuditAnchor, verifyAudit } from '../../audit/verify.js';
import { globalOptions } from '../context.js';
import { colour, info, note, printJson } from '../output.js';
import { withRepository } from './repo.js';

export function register(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log');

  audit
    .command('verify')
    .description('recompute the hash chain; name the first edited, removed or reordered entry (exit 1 if broken)')
    .option('--head <seq:hash>', 'a head kept earlier (pyvet audit head): the chain must still contain it')
    .action(async (opts: { head?: string }, c: Command) => {
      const anchor = opts.head === undefined ? undefined : parseAuditAnchor(opts.head);
      const v = await withRepository(c, (repo) => verifyAudit(repo, { anchor }));
      if (!v.ok) process.exitCode = 1;
      if (globalOptions(c).json) return printJson(v);
      if (v.ok) info(`${colour.green('ok')} ${v.entries} entries, head ${v.head!.seq}:${v.head!.hash}`);
      else broken(v);
    });

  audit
    .command('head')
    .description('verify the chain and print its head as SEQ:HASH, to keep outside the repository for verify --head')
    .action(async (_opts: unknown, c: Command) => {
      const v = await withRepository(c, (repo) => verifyAudit(repo));
      if (!v.ok) process.exitCode = 1;
      if (globalOptions(c).json) return printJson(v.ok ? { head: `${v.head!.seq}:${v.head!.hash}` } : v);
      if (v.ok) info(`${v.head!.seq}:${v.head!.hash}`);
      else broken(v);
    });

  audit
    .command('export')
    .description('write the log as JSON lines (stdout, or a new file with --out)')
    .option('-o, --out <file>', 'write to this file (must not exist)')
    .action(async (opts: { out?: string }, c: Command) => {
      const count = await withRepository(c, (repo) => exportAudit(repo, opts.out ?? process.stdout));
      if (opts.out) {
        if (globalOptions(c).json) printJson({ entries: count, out: opts.out });
        else note(`${count} entries written to ${opts.out}`);
      }
    });
}

function broken(v: AuditVerification): void {
  const bad = v.firstBad!;
  const where = bad.seq === null ? '' : ` at entry ${bad.seq}`;
  info(`${colour.red('BROKEN')}${where}: ${bad.problem}: ${bad.detail}`);
}
