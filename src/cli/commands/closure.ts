// `pyvet closure`: is every dependency of every approved file satisfiable inside the repository?
import type { Command } from 'commander';
import { checkClosure } from '../../resolve/closure.js';
import { getTargets } from '../../resolve/targets.js';
import { globalOptions } from '../context.js';
import { colour, info, note, printJson, printTable } from '../output.js';
import { withRepository } from './repo.js';
import { collect } from './targets.js';

export function register(program: Command): void {
  program
    .command('closure')
    .description('prove that the approved files are complete for each target (exit 1 when not closed)')
    .requiredOption('-t, --target <name>', 'target environment (repeatable, wildcards allowed)', collect, [])
    .option('--extras [names]', 'also follow extras: all of them, or these (comma-separated)')
    .option('--sdists', 'let sdists count when no wheel fits', false)
    .option('--pre', 'accept pre-releases for every requirement', false)
    .addHelpText('after', '\nExample: pyvet closure --target cp311-manylinux_x86_64 --target cp312-zos')
    .action(async (opts: { target: string[]; extras?: string | boolean; sdists: boolean; pre: boolean }, c: Command) => {
      const extras = opts.extras === undefined ? false : opts.extras === true ? true : collect(String(opts.extras));
      const report = await withRepository(c, (repo) =>
        checkClosure(repo, getTargets(repo.config, opts.target), { extras, sdists: opts.sdists, prereleases: opts.pre }),
      );
      if (!report.closed) process.exitCode = 1;
      if (globalOptions(c).json) return printJson(report);
      for (const t of report.targets) {
        const head = t.closed ? colour.green('closed') : colour.red('NOT CLOSED');
        info(`${colour.bold(t.target)}: ${head}, ${t.installable.length} installable files`);
        const rows = [...t.missing.map((p) => ['missing', p] as const), ...t.unsatisfiable.map((p) => ['unsatisfiable', p] as const)];
        if (rows.length > 0) {
          printTable(
            ['problem', 'requirement', 'needed by', 'chain', 'available'],
            rows.map(([kind, p]) => [
              kind,
              p.extra ? `${p.requirement} [extra ${p.extra}]` : p.requirement,
              p.neededBy.map((n) => `${n.project} ${n.version}`).join(', '),
              p.chain.join(' → '),
              p.available.join(', '),
            ]),
          );
        }
        for (const v of t.requiresPythonViolations) info(`  ${colour.yellow('requires-python')} ${v.filename}: ${v.requiresPython}`);
        if (t.requiresPythonSkipped.length > 0) {
          note(`  ${t.requiresPythonSkipped.length} file(s) need another Python here; an older version of each installs (see --json)`);
        }
        for (const i of t.invalid) info(`  ${colour.yellow('invalid')} ${i.neededBy.filename}: ${i.requirement}: ${i.error}`);
      }
    });
}
