// `pyvet targets`: the target environments (presets and [[targets]] from pyvet.toml).
import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { PyvetError } from '../../errors.js';
import { getTargets, listTargets, targetTagRanks } from '../../resolve/targets.js';
import { globalOptions } from '../context.js';
import { info, printJson, printTable } from '../output.js';

/** Repeatable option values, also accepting comma-separated lists: --target a --target b,c. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}

export function register(program: Command): void {
  program
    .command('targets [name...]')
    .description('list the target environments; with names, show their marker environment and supported tags')
    .option('--tags <n>', 'with names: how many supported tags to show (most preferred first)', '12')
    .addHelpText(
      'after',
      '\nTargets are named like cp311-manylinux_x86_64, cp312-zos, cp313-win_amd64; --target anywhere accepts\nthese names (and wildcards: cp311-*). Add your own with [[targets]] tables in pyvet.toml.\nExample: pyvet targets cp312-zos',
    )
    .action((names: string[], opts: { tags: string }, c: Command) => {
      const g = globalOptions(c);
      const config = loadConfig({ dataDir: g.data, configFile: g.config });
      if (names.length === 0) {
        const targets = listTargets(config);
        if (g.json) return printJson(targets);
        printTable(
          ['target', 'python', 'sys_platform', 'platform tags', 'source'],
          targets.map((t) => [
            t.name,
            t.environment.python_full_version,
            t.environment.sys_platform,
            t.platforms.length > 2 ? `${t.platforms[0]} … (${t.platforms.length})` : t.platforms.join(', '),
            t.source,
          ]),
        );
        return;
      }
      // A positive whole number: 'abc' (NaN) printed nothing, '-1' all but one.
      const n = /^[1-9]\d*$/.test(opts.tags) ? Number(opts.tags) : Number.NaN;
      if (!Number.isSafeInteger(n)) {
        throw new PyvetError('TAGS_COUNT_INVALID', 'invalid', `--tags takes a positive whole number, got '${opts.tags}'`, { tags: opts.tags });
      }
      const targets = getTargets(config, names).map((t) => ({ ...t, tags: [...targetTagRanks(t).keys()] }));
      if (g.json) return printJson(targets);
      for (const t of targets) {
        info(`${t.name}: ${t.description}`);
        for (const [k, v] of Object.entries(t.environment)) info(`  ${k} = ${JSON.stringify(v)}`);
        info(`  supported tags (${t.tags.length}): ${t.tags.slice(0, n).join(' ')}${t.tags.length > n ? ' …' : ''}`);
      }
    });
}
