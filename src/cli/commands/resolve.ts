// `pyvet resolve`: one version per project, inside the approved set, as pip would choose.
import type { Command } from 'commander';
import { PyvetError } from '../../errors.js';
import { resolve } from '../../resolve/resolver.js';
import { getTargets } from '../../resolve/targets.js';
import { globalOptions } from '../context.js';
import { info, printJson, printTable } from '../output.js';
import { withRepository } from './repo.js';

export function register(program: Command): void {
  program
    .command('resolve <requirement...>')
    .description('resolve requirements against the approved files for a target, like pip would')
    .requiredOption('-t, --target <name>', 'target environment (required)')
    .option('--pre', 'accept pre-releases (pip --pre)', false)
    .option('--sdists', 'let sdists stand in when no wheel fits (pip without --only-binary)', false)
    .addHelpText('after', "\nExample: pyvet resolve 'requests>=2.31' 'urllib3<3' --target cp311-manylinux_x86_64")
    .action(async (requirements: string[], opts: { target: string; pre: boolean; sdists: boolean }, c: Command) => {
      const result = await withRepository(c, (repo) => {
        const targets = getTargets(repo.config, [opts.target]);
        if (targets.length !== 1) {
          throw new PyvetError('TARGET_AMBIGUOUS', 'invalid', `--target ${opts.target} names ${targets.length} targets; resolve takes one`);
        }
        return resolve(repo, requirements, targets[0]!, { prereleases: opts.pre, sdists: opts.sdists });
      });
      if (globalOptions(c).json) return printJson(result);
      info(`${result.target}: ${result.pins.length} project${result.pins.length === 1 ? '' : 's'}`);
      printTable(
        ['project', 'version', 'file', 'required by'],
        result.pins.map((p) => [p.extras.length ? `${p.project}[${p.extras.join(',')}]` : p.project, p.version, p.filename, p.requiredBy.join(', ')]),
      );
    });
}
