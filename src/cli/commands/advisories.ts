// Advisory commands: import OSV data from a path or URL, sync from the configured URL, list and show.
import type { Command } from 'commander';
import { ensureBundledAdvisories } from '../../advisories/import.js';
import type { Advisory } from '../../advisories/types.js';
import { PyvetError } from '../../errors.js';
import { canonicalizeName } from '../../standards/names.js';
import { type AdvisoryUpdate, type RescanReport, updateAdvisories } from '../../vetting/index.js';
import { cliActor, globalOptions } from '../context.js';
import { colour, info, plain, printJson, printTable } from '../output.js';
import { withRepository } from './repo.js';

export function severityText(score: number | null, severity: string | null): string {
  const text = score !== null ? `${score.toFixed(1)} ${severity}` : (severity ?? 'unknown');
  if (severity === 'critical' || severity === 'high') return colour.red(text);
  if (severity === 'medium') return colour.yellow(text);
  return severity ? text : colour.dim(text);
}

function printUpdate(u: AdvisoryUpdate): void {
  const i = u.import;
  info(
    `${i.source}: ${i.read} read, ${colour.green(`${i.added} added`)}, ${i.updated} updated, ${i.unchanged} unchanged, ${i.withdrawn} withdrawn, ${i.skipped} skipped`,
  );
  for (const r of i.skippedReasons.slice(0, 5)) info(colour.dim(`  skipped ${r}`));
  printRescan(u.rescan);
}

/** What a rescan found (after an import, a policy change, a revoked waiver). */
export function printRescan(r: RescanReport): void {
  info(`rescanned ${r.scanned} files`);
  if (r.newlyVulnerable.length > 0) {
    info(colour.red(`${r.newlyVulnerable.length} approved file(s) newly vulnerable (on_newly_vulnerable: ${r.onNewlyVulnerable})`));
    printTable(
      ['file', 'advisories', 'yanked'],
      r.newlyVulnerable.map((c) => [c.filename, c.advisories.join(', '), r.yanked.includes(c.filename) ? 'yes' : 'no']),
    );
  }
  if (r.newlyBlocked.length > 0) {
    info(colour.red(`${r.newlyBlocked.length} approved file(s) the policy would now refuse (still served: reject or yank them to withdraw them)`));
    printTable(['file', 'why'], r.newlyBlocked.map((c) => [c.filename, c.reasons.join('\n')]));
  }
  // Reported above already when it is new; the rest are still blocked from an earlier run.
  const reported = new Set([...r.newlyVulnerable, ...r.newlyBlocked].map((c) => c.filename));
  const still = r.approvedBlocked.filter((b) => !reported.has(b.filename));
  if (still.length > 0) {
    info(colour.red(`${still.length} approved file(s) still blocked and served (waive the finding, or yank or reject the file)`));
    printTable(['file', 'why'], still.map((b) => [b.filename, b.reasons.join('\n')]));
  }
  if (r.noLongerVulnerable.length > 0) {
    info(colour.green(`${r.noLongerVulnerable.length} file(s) no longer vulnerable`));
    printTable(['file', 'advisories before'], r.noLongerVulnerable.map((c) => [c.filename, c.advisories.join(', ')]));
  }
}

function printAdvisory(a: Advisory): void {
  info(`${colour.bold(a.id)}${a.withdrawn ? colour.yellow(` (withdrawn ${a.withdrawn})`) : ''}`);
  if (a.aliases.length) info(`aliases:   ${a.aliases.join(', ')}`);
  info(`severity:  ${severityText(a.score, a.severityLevel)}`);
  for (const s of a.severity) info(colour.dim(`           ${s.type} ${s.score}`));
  info(`published: ${a.published ?? '-'}   modified: ${a.modified}`);
  for (const p of a.affected) {
    const ranges = p.ranges.map((r) => r.map((e) => Object.entries(e)[0]!.join(' ')).join(', '));
    info(`affects:   ${p.package}: ${[...ranges, ...(p.versions.length ? [`versions ${p.versions.join(' ')}`] : [])].join(' | ')}`);
  }
  if (a.fixed.length) info(`fixed in:  ${a.fixed.join(', ')}`);
  if (a.summary) info(`\n${plain(a.summary)}`);
  if (a.details) info(`\n${plain(a.details)}`);
}

export function register(program: Command): void {
  const adv = program.command('advisories').description('OSV security advisories that files are scanned against');

  adv
    .command('import')
    .description('import OSV records from a directory of *.json, an all.zip, JSON lines (.jsonl/.gz), or an http(s)/file URL; then rescan')
    .argument('<source>', 'path or URL')
    .action(async (source: string, _opts: unknown, c: Command) => {
      const u = await withRepository(c, (repo) => updateAdvisories(repo, source, cliActor()));
      if (globalOptions(c).json) return printJson(u);
      printUpdate(u);
    });

  adv
    .command('sync')
    .description('fetch [advisories] sync_url (osv.dev PyPI all.zip by default) and import it; then rescan')
    .action(async (_opts: unknown, c: Command) => {
      const u = await withRepository(c, (repo) => updateAdvisories(repo, null, cliActor()));
      if (globalOptions(c).json) return printJson(u);
      printUpdate(u);
    });

  adv
    .command('list')
    .description('list advisories (all, or those naming one project)')
    // Positional, as `pyvet files NAME` takes it; --project kept for scripts that use it.
    .argument('[project]', 'only advisories for this project (as --project)')
    .option('-p, --project <name>', 'only advisories for this project')
    .option('--withdrawn', 'include withdrawn advisories', false)
    .action(async (positional: string | undefined, opts: { project?: string; withdrawn: boolean }, c: Command) => {
      if (positional !== undefined && opts.project !== undefined && canonicalizeName(positional) !== canonicalizeName(opts.project)) {
        throw new PyvetError('USAGE_INVALID', 'invalid', `two projects named: ${positional} and --project ${opts.project}; advisories list takes one`);
      }
      const project = positional ?? opts.project;
      const list = await withRepository(c, async (repo) => {
        await ensureBundledAdvisories(repo, cliActor());
        return repo.catalog.advisories.list({
          ...(project ? { package: canonicalizeName(project) } : {}),
          includeWithdrawn: opts.withdrawn,
        });
      });
      if (globalOptions(c).json) return printJson(list);
      printTable(
        ['id', 'aliases', 'severity', 'packages', 'fixed', 'modified'],
        list.map((a) => [
          a.id + (a.withdrawn ? colour.yellow(' withdrawn') : ''),
          a.aliases.slice(0, 2).join(', '),
          severityText(a.score, a.severityLevel),
          a.affected.map((p) => p.package).join(', '),
          a.fixed.slice(0, 3).join(', '),
          a.modified.slice(0, 10),
        ]),
      );
    });

  adv
    .command('show')
    .description('show one advisory (by id or alias)')
    .argument('<id>', 'PYSEC-…, GHSA-…, CVE-…')
    .action(async (id: string, _opts: unknown, c: Command) => {
      const a = await withRepository(c, async (repo) => {
        await ensureBundledAdvisories(repo, cliActor());
        return repo.catalog.advisories.find(id);
      });
      if (!a) throw new PyvetError('ADVISORY_NOT_FOUND', 'not_found', `no advisory ${id}`, { advisory: id });
      if (globalOptions(c).json) return printJson(a);
      printAdvisory(a);
    });
}
