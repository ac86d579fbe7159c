// Repository commands: init, add, gc, approve/reject/yank/unyank, files.
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { FileRecord, FileState } from '../../catalog/types.js';
import { DEFAULT_DATA_DIR } from '../../config.js';
import { PyvetError } from '../../errors.js';
import { parseDuration } from '../../duration.js';
import { collectGarbage } from '../../repository/gc.js';
import { type IngestResult, ingestPaths } from '../../repository/ingest.js';
import { initRepository, type OpenedRepository, openRepository } from '../../repository/open.js';
import {
  approveFiles,
  rejectFiles,
  type StateChangeResult,
  unyankFiles,
  yankFiles,
} from '../../repository/states.js';
import type { Repository } from '../../repository/types.js';
import { canonicalizeName, isValidName } from '../../standards/names.js';
import { Version } from '../../standards/version.js';
import { cliActor, globalOptions } from '../context.js';
import { colour, EXIT_PARTIAL, info, note, plain, printJson, printTable, warn } from '../output.js';

/** Log level for CLI runs: output is for people, so only warnings unless PYVET_LOG_LEVEL says otherwise. */
export function cliLogLevel(): string {
  return process.env.PYVET_LOG_LEVEL || 'warn';
}

/** Opens the repository the global options name, runs `fn`, and always closes it. */
export async function withRepository<T>(cmd: Command, fn: (repo: OpenedRepository) => Promise<T>): Promise<T> {
  const g = globalOptions(cmd);
  const repo = await openRepository({ dataDir: g.data, configFile: g.config, logLevel: cliLogLevel() });
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}

function fileRows(files: FileRecord[]): (string | number)[][] {
  return files.map((f) => [
    f.filename,
    f.version,
    stateText(f.state) + (f.yanked ? colour.yellow(' yanked') : ''),
    f.size,
    f.uploadedAt.slice(0, 19).replace('T', ' '),
    f.origin,
  ]);
}

function stateText(s: FileState): string {
  return s === 'approved' ? colour.green(s) : s === 'rejected' ? colour.red(s) : colour.yellow(s);
}

type StateAction = (
  repo: Repository,
  selectors: string[],
  actor: ReturnType<typeof cliActor>,
  reason: string,
  opts: { force?: boolean },
) => Promise<StateChangeResult>;

function printStateChange(name: string, r: StateChangeResult): void {
  info(`${name}: ${r.changed.length} changed, ${r.unchanged.length} already so${r.skipped.length > 0 ? `, ${r.skipped.length} skipped` : ''}`);
  if (r.changed.length > 0) printTable(['file', 'version', 'state', 'size', 'uploaded', 'origin'], fileRows(r.changed));
  for (const o of r.overturned) {
    const why = o.rejectedReason ? `: ${JSON.stringify(o.rejectedReason)}` : '';
    info(`${colour.yellow('overturned')} the rejection of ${o.filename} (rejected by ${o.rejectedBy} at ${o.rejectedAt.slice(0, 19).replace('T', ' ')}${why})`);
  }
  for (const s of r.skipped) note(`${colour.yellow('skipped')} ${s.file.filename} (${s.file.state}): ${s.reason}`);
  for (const [filename, releases] of Object.entries(r.pinnedIn)) {
    const its = releases.length > 1 ? 'their' : 'its';
    const effect =
      name === 'reject'
        ? `'pip install -r' of ${its} requirements files fails until the file is approved again`
        : `pip still installs it from ${its} requirements files (pinned with ==), with a yanked warning`;
    warn(`${filename} is pinned in release${releases.length > 1 ? 's' : ''} ${releases.join(', ')}: ${effect}`);
  }
}

function registerStateCommand(program: Command, name: string, action: StateAction, help: string, reasonRequired: boolean): void {
  const cmd = program
    .command(`${name} <selector...>`)
    .description(help)
    .addHelpText(
      'after',
      `\nSELECTOR is a filename, NAME (every file of a project), NAME==VERSION (one release)${name === 'approve' || name === 'reject' ? " or 'all waiting' (every quarantined file)" : ''}.\nEvery selector must match a file, or nothing changes.${name === 'approve' ? ' Only a filename overturns a rejection.' : ''}${name === 'reject' ? ' A bare NAME rejects only what waits: name the release or the file to withdraw an approved one.' : ''}${name === 'approve' ? '\nA broad selector leaves files the vetting policy blocks waiting, says why and exits 1; a blocked filename is refused.' : ''}\nExample: pyvet ${name} 'requests==2.32.3' --reason "reviewed by security"`,
    );
  if (reasonRequired) cmd.requiredOption('-r, --reason <text>', 'why (required; recorded in the audit log)');
  else cmd.option('-r, --reason <text>', 'why (recorded in the audit log)');
  if (name === 'approve') {
    cmd.option('--force', 'approve even what the vetting policy blocks (recorded in the audit log; prefer a waiver)', false);
  }
  cmd.action(async (words: string[], opts: { reason?: string; force?: boolean }, c: Command) => {
    // `all waiting` arrives as two words; anything else is one selector per word.
    const selectors = words.join(' ').toLowerCase() === 'all waiting' ? ['all waiting'] : words;
    const result = await withRepository(c, (repo) => action(repo, selectors, cliActor(), opts.reason ?? '', { force: opts.force ?? false }));
    // Approved in part: files the policy blocks were left waiting (each said why).
    if (result.skipped.some((s) => s.blockers)) process.exitCode = EXIT_PARTIAL;
    if (globalOptions(c).json) return printJson(result);
    printStateChange(name, result);
  });
}

/** ' (ARCHIVE_CORRUPT 2, PATH_NOT_FOUND 1)': refusals counted per code. */
/** ' (2 approved, 1 quarantined)': what the added files became; '' when none was added. */
function stateCounts(added: IngestResult[]): string {
  const counts = new Map<string, number>();
  for (const r of added) counts.set(r.file.state, (counts.get(r.file.state) ?? 0) + 1);
  const order = ['approved', 'quarantined', 'rejected'];
  return counts.size === 0 ? '' : ` (${[...counts].sort(([a], [b]) => order.indexOf(a) - order.indexOf(b)).map(([state, n]) => `${n} ${state}`).join(', ')})`;
}

function refusalCounts(failed: { code: string }[]): string {
  const counts = new Map<string, number>();
  for (const f of failed) counts.set(f.code, (counts.get(f.code) ?? 0) + 1);
  return counts.size === 0 ? '' : ` (${[...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([code, n]) => `${code} ${n}`).join(', ')})`;
}

/** '12 files, 3.4 MB in 1.2 s (10.0 files/s, 2.8 MB/s)'. */
function throughput(r: { files: number; bytes: number; seconds: number }): string {
  const mb = r.bytes / 1e6;
  const s = Math.max(r.seconds, 0.001);
  return `${r.files} files, ${mb.toFixed(1)} MB in ${r.seconds.toFixed(1)} s (${(r.files / s).toFixed(1)} files/s, ${(mb / s).toFixed(1)} MB/s)`;
}

export function register(program: Command): void {
  program
    .command('init')
    .description('create a repository (catalog, blob store, pyvet.toml) and print the first admin token once')
    .addHelpText('after', '\nExample: pyvet init --data ./pyvet-data')
    .action(async (_opts: unknown, c: Command) => {
      const g = globalOptions(c);
      const result = await initRepository(g.data ?? process.env.PYVET_DATA ?? DEFAULT_DATA_DIR, {
        configFile: g.config,
        logLevel: cliLogLevel(),
      });
      if (g.json) return printJson(result);
      info(`Created a pyvet repository in ${result.dataDir}`);
      info(`Configuration: ${result.configFile}`);
      info('');
      info(`Admin token (shown only this once, store it now):\n  ${colour.bold(result.adminToken)}`);
    });

  program
    .command('add <path...>')
    .description('ingest wheels and sdists (files or folders, recursively) into quarantine')
    .option('--approve', 'approve each file after vetting (needs --reason)', false)
    .option('-r, --reason <text>', 'why they are approved (with --approve)')
    .addHelpText(
      'after',
      '\nExit status 1 when some files are refused (the others are added; the summary counts refusals per code) or --approve could not approve some, 2 when no wheel or sdist is found.\nExample: pyvet add ./wheelhouse --approve --reason "vendored build of 2025-06"',
    )
    .action(async (paths: string[], opts: { approve: boolean; reason?: string }, c: Command) => {
      if (opts.approve && !opts.reason?.trim()) {
        throw new PyvetError('REASON_REQUIRED', 'invalid', '--approve needs --reason', { action: 'approve' });
      }
      const g = globalOptions(c);
      const result = await withRepository(c, async (repo) => {
        let bar: SingleBar | undefined;
        let lastLine = Date.now();
        const r = await ingestPaths(
          repo,
          paths,
          { actor: cliActor(), origin: 'local', approve: opts.approve, reason: opts.reason },
          (done, total) => {
            if (total < 2) return;
            if (!process.stderr.isTTY) {
              // A log or a pipe gets a line every 10 s instead of a bar, so a long batch is seen to move.
              const now = Date.now();
              if (done === total || now - lastLine < 10_000) return;
              lastLine = now;
              note(colour.dim(`${done}/${total} files…`));
              return;
            }
            if (!bar) {
              bar = new SingleBar({ stream: process.stderr, clearOnComplete: true }, Presets.shades_classic);
              bar.start(total, 0);
            }
            bar.update(done);
            if (done === total) bar.stop();
          },
        );
        bar?.stop();
        return r;
      });
      // Some refused, or --approve could not approve some (a blocking finding, a rejection): the
      // rest is done and reported, as mirror does.
      const unapproved = opts.approve ? [...result.added, ...result.present].filter((r) => r.file.state !== 'approved') : [];
      if (result.failed.length > 0 || unapproved.length > 0) process.exitCode = EXIT_PARTIAL;
      if (g.json) return printJson(result);
      for (const r of result.added) info(`${colour.green('added')}   ${r.file.filename} ${colour.dim(`→ ${outcomeText(r)}`)}`);
      for (const r of result.present) info(`${colour.dim('present')} ${r.file.filename}`);
      for (const f of result.failed) note(`${colour.red('refused')} ${f.path} ${colour.dim(`[${f.code}]`)} ${f.message}`);
      info(
        `${result.added.length} added${stateCounts(result.added)}, ${result.present.length} already present, ${result.failed.length} refused${refusalCounts(result.failed)}; ${throughput(result)}`,
      );
      if (unapproved.length > 0) {
        warn(`--approve left ${unapproved.length} file(s) unapproved (see their lines above: a blocking finding or a rejection): ${unapproved.map((r) => r.file.filename).join(', ')}`);
      }
    });

  program
    .command('gc')
    .description('remove blobs no file refers to (left by a crash mid-ingest) and stale temporary files of interrupted uploads and mirror runs')
    .option('--dry-run', 'only report what would go', false)
    .option('--min-age <duration>', 'leave anything younger than this (90m, 12h, 30d; 0 for none)', '24h')
    .addHelpText('after', '\nExample: pyvet gc --dry-run\n         pyvet gc --min-age 7d')
    .action(async (opts: { dryRun: boolean; minAge: string }, c: Command) => {
      const g = globalOptions(c);
      const minAgeMs = parseDuration(opts.minAge, '--min-age');
      const report = await withRepository(c, (repo) => collectGarbage(repo, cliActor(), { dryRun: opts.dryRun, minAgeMs }));
      if (g.json) return printJson(report);
      const verb = report.dryRun ? 'would remove' : 'removed';
      for (const b of report.orphanBlobs) info(`${colour.dim(verb)} blob ${b.sha256} (${b.size} bytes)`);
      for (const f of report.tempFiles) info(`${colour.dim(verb)} tmp/${f.path} (${f.size} bytes)`);
      info(
        `${verb} ${report.orphanBlobs.length} unreferenced blob(s) and ${report.tempFiles.length} temporary file(s), ${report.bytes} bytes` +
          (report.tooRecent > 0 ? `; ${report.tooRecent} younger than ${opts.minAge} left alone` : ''),
      );
    });

  registerStateCommand(program, 'approve', approveFiles, 'approve files: they become installable', true);
  registerStateCommand(program, 'reject', rejectFiles, 'reject files: they are never served', true);
  registerStateCommand(program, 'yank', yankFiles, 'yank approved files (PEP 592): pip skips them unless pinned', true);
  registerStateCommand(program, 'unyank', unyankFiles, 'undo a yank', false);

  program
    .command('files [name]')
    .description('list files, optionally of one project (NAME or NAME==VERSION) and in some states')
    .option('-s, --state <states>', 'quarantined, approved, rejected (comma-separated)')
    .addHelpText('after', "\nExample: pyvet files requests --state quarantined,rejected\n         pyvet files 'requests==2.32.3'")
    .action(async (name: string | undefined, opts: { state?: string }, c: Command) => {
      // NAME==VERSION lists that release's files (compared as PEP 440 versions); anything else
      // that is not a project name is an error, not an empty listing.
      const [project, version] = name?.includes('==') ? (name.split('==', 2) as [string, string]) : [name, undefined];
      if (project !== undefined && !isValidName(project.trim())) {
        throw new PyvetError('PROJECT_NAME_INVALID', 'invalid', `'${plain(name!)}' is not a project name or NAME==VERSION`, { name });
      }
      let wanted: Version | undefined;
      if (version !== undefined) {
        const v = Version.tryParse(version.trim());
        if (!v) throw new PyvetError('VERSION_INVALID', 'invalid', `'${plain(version)}' in '${plain(name!)}' is not a PEP 440 version`, { name });
        wanted = v;
      }
      const states = opts.state?.split(',').map((s) => {
        if (s !== 'quarantined' && s !== 'approved' && s !== 'rejected') {
          throw new PyvetError('STATE_INVALID', 'invalid', `unknown state ${JSON.stringify(s)}: use quarantined, approved or rejected`, {
            state: s,
          });
        }
        return s as FileState;
      });
      const files = await withRepository(c, async (repo) => {
        if (project === undefined) return repo.catalog.files.list({ states });
        const all = await repo.catalog.files.list({ project: canonicalizeName(project.trim()), states });
        return wanted ? all.filter((f) => Version.compare(Version.parse(f.version), wanted) === 0) : all;
      });
      if (globalOptions(c).json) return printJson(files);
      printTable(['file', 'version', 'state', 'size', 'uploaded', 'origin'], fileRows(files));
    });
}

/**
 * A file's state after `add`, with the vetting decision behind it. With --approve, a file vetting
 * held only for an approver says it was approved, not that it waits ("approved (hold: …waiting
 * for an approver)" read as both at once).
 */
function outcomeText(r: IngestResult): string {
  const d = r.decision;
  if (!d) return r.file.state;
  if (r.file.state === 'approved' && d.verdict !== 'approve') {
    const reasons = d.reasons.map((why) => why.replace(/,? waiting for an approver$/, ''));
    return `approved with --approve (vetting held it for an approver: ${reasons.join('; ')})`;
  }
  return `${r.file.state} (${d.verdict}: ${d.reasons.join('; ')})`;
}
