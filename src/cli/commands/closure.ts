// `pyvet closure`: is every dependency of every approved file satisfiable inside the repository?
import type { Command } from 'commander';
import { PyvetError } from '../../errors.js';
import { latestRelease } from '../../releases/service.js';
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
    .option(
      '-t, --target <name>',
      'target environment (repeatable, wildcards allowed; default: the targets of the newest release, as upgrade-plan; with no release it is required)',
      // No commander default: it would print `(default: [])`; the action reads `?? []`.
      collect,
    )
    .option('--extras [names]', 'also follow extras: all of them, or these (comma-separated)')
    .option('--sdists', 'let sdists count when no wheel fits', false)
    .option('--pre', 'accept pre-releases for every requirement', false)
    .addHelpText('after', '\nExample: pyvet closure --target cp311-manylinux_x86_64 --target cp312-zos')
    .action(async (opts: { target?: string[]; extras?: string | boolean; sdists: boolean; pre: boolean }, c: Command) => {
      const extras = opts.extras === undefined ? false : opts.extras === true ? true : collect(String(opts.extras));
      const report = await withRepository(c, async (repo) => {
        // An empty target list would check nothing and pass: a CI gate must never do that.
        let names = opts.target ?? [];
        if (names.length === 0) {
          const newest = await latestRelease(repo);
          if (!newest) {
            throw new PyvetError(
              'TARGET_REQUIRED',
              'invalid',
              'name at least one --target (without one, closure checks the targets of the newest release, and there is no release yet)',
            );
          }
          names = newest.targets;
          if (!globalOptions(c).json) note(`checking the targets of the newest release ${newest.name}: ${names.join(', ')}`);
        }
        return checkClosure(repo, getTargets(repo.config, names), { extras, sdists: opts.sdists, prereleases: opts.pre });
      });
      if (!report.closed) process.exitCode = 1;
      if (globalOptions(c).json) return printJson(report);
      // What to mirror, per group of targets that lack the same requirements: one line to run.
      const toMirror = new Map<string, { reqs: string[]; targets: string[] }>();
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
        // The marker is dropped: it held for the dependant (`extra == "socks"` would never hold for
        // mirror). A direct URL reference is no upstream's to supply.
        const reqs = [...new Set(rows.map(([, p]) => p.requirement.split(';')[0]!.trim()))].filter((r) => !r.includes('@')).sort();
        if (reqs.length > 0) {
          const key = reqs.join('\n');
          const group = toMirror.get(key) ?? { reqs, targets: [] };
          group.targets.push(t.target);
          toMirror.set(key, group);
        }
        for (const v of t.requiresPythonViolations) info(`  ${colour.yellow('requires-python')} ${v.filename}: ${v.requiresPython}`);
        if (t.requiresPythonSkipped.length > 0) {
          note(`  ${t.requiresPythonSkipped.length} file(s) need another Python here; an older version of each installs (see --json)`);
        }
        for (const i of t.invalid) info(`  ${colour.yellow('invalid')} ${i.neededBy.filename}: ${i.requirement}: ${i.error}`);
        if (t.unavailable.length > 0) {
          info(`  ${t.unavailable.length} approved project(s) have no file that installs here:`);
          for (const u of t.unavailable) info(`  ${colour.yellow('unavailable')} ${u.project} ${u.versions.join(', ')}: ${u.why}`);
        }
      }
      for (const { reqs, targets } of toMirror.values()) {
        const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
        info(`to bring in what is missing: pyvet mirror ${reqs.map(quote).join(' ')} --with-deps ${targets.map((x) => `--target ${x}`).join(' ')}`);
      }
    });
}
