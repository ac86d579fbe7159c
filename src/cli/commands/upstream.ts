// Upstream commands: upstream add/list/remove, mirror, outdated, upgrade-plan.
import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { MultiBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { PyvetError } from '../../errors.js';
import { getTargets } from '../../resolve/targets.js';
import { parseRequirementsFile } from '../../standards/requirements-file.js';
import { outdated, type OutdatedReport, planUpgrades, type UpgradePlan } from '../../upstream/currency.js';
import { type MirrorEvent, type MirrorReport, mirror } from '../../upstream/mirror.js';
import { addUpstream, adHocUpstream, listUpstreams, parsePriority, removeUpstream } from '../../upstream/upstreams.js';
import { cliActor, globalOptions, readInput } from '../context.js';
import { colour, info, note, printJson, printTable, warn } from '../output.js';
import { withRepository } from './repo.js';

const DEFAULT_TARGET = 'cp311-manylinux_x86_64';

/**
 * --from: a name, or (with a ':', which no name has) a URL, checked here so that one which does
 * not parse, has another scheme or carries credentials is refused without being echoed whole.
 */
function fromOption(from: string | undefined): string | undefined {
  return from?.includes(':') ? adHocUpstream(from).url : from;
}


// No commander default for repeatable options: it would print `(default: [])` in help; the
// actions read `?? []` instead, and the help text states the real default.
/**
 * Whether a requirements file for mirror (with the -r files it includes) pins no hash at all:
 * then versions are honoured but not bytes, which -r promises. Best effort: a file that cannot
 * be read or parsed is left for mirror to report.
 */
function pinsNoHashes(text: string, path: string | undefined, seen = new Set<string>()): boolean {
  let file: ReturnType<typeof parseRequirementsFile>;
  try {
    file = parseRequirementsFile(text, { filename: path });
  } catch {
    return false;
  }
  if (file.requireHashes || file.requirements.some((r) => r.hashes.length > 0)) return false;
  if (path === undefined) return true;
  seen.add(resolvePath(path));
  return file.requirementFiles.every((inc) => {
    const included = resolvePath(dirname(path), inc.path);
    if (seen.has(included)) return true;
    let body: string;
    try {
      body = readFileSync(included, 'utf8');
    } catch {
      return true;
    }
    return pinsNoHashes(body, included, seen);
  });
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

// On a terminal a bar; otherwise (CI, a log file) a line every LOG_EVERY_MS, so a long mirror
// shows it is alive without filling the log.
const LOG_EVERY_MS = 10_000;

/** Progress on stderr: files, bytes and rate, as a bar on a terminal or a periodic line elsewhere. */
function progress(): { onEvent: (e: MirrorEvent) => void; stop: () => void } {
  const started = Date.now();
  let total = 0;
  let done = 0;
  let planned = 0;
  let unsized = 0;
  let finished = 0;
  const rate = () => (done / 1e6 / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(1);
  const count = (e: MirrorEvent) => {
    if (e.type === 'planned') {
      total += e.bytes;
      planned += e.files;
      unsized += e.unsized;
    } else if (e.type === 'bytes') done += e.n;
    else if (e.type === 'done') finished++;
  };
  if (!process.stderr.isTTY) {
    const timer = setInterval(() => {
      note(`mirror: ${finished}/${planned} files done, ${(done / 1e6).toFixed(1)} MB at ${rate()} MB/s`);
    }, LOG_EVERY_MS);
    timer.unref();
    return { onEvent: count, stop: () => clearInterval(timer) };
  }
  const bars = new MultiBar(
    {
      format: ' {bar} {percentage}% | {value_mb}/{total_mb} MB | {rate} MB/s | {files} files',
      hideCursor: true,
      // The report follows: no half-line of bar left above it.
      clearOnComplete: true,
      stream: process.stderr,
    },
    Presets.shades_classic,
  );
  const bar = bars.create(1, 0, { value_mb: '0.0', total_mb: '?', rate: '0.0', files: '0/0' });
  return {
    onEvent(e) {
      count(e);
      // Bytes measure progress when the index gave every size (PEP 700); files otherwise (the
      // total grows as dependencies are found).
      const [value, of] = unsized === 0 && total > 0 ? [done, total] : [finished, planned];
      bar.setTotal(Math.max(of, value, 1));
      bar.update(value, {
        value_mb: (done / 1e6).toFixed(1),
        total_mb: total && unsized === 0 ? (total / 1e6).toFixed(1) : '?',
        rate: rate(),
        files: `${finished}/${planned}`,
      });
    },
    stop: () => bars.stop(),
  };
}

function printMirrorReport(r: MirrorReport): void {
  if (r.release) {
    info(`release ${r.release.name}: signature verified with key ${r.release.keyFingerprint} (${r.release.keySource}); ${r.release.files} pinned files`);
    if (!r.release.keyTrusted) {
      warn(
        `the key came from the release's own server: this proves the release is intact, not who published it; pin the publisher with --release-key FILE (its fingerprint, from the publisher, must be ${r.release.keyFingerprint})`,
      );
    }
  }
  const rows = [
    ...r.fetched.map((f) => [f.filename, r.dryRun ? colour.cyan('would fetch') : colour.green('fetched'), f.upstream, f.verdict ?? '', f.neededBy.join(' → ')]),
    ...r.present.map((f) => [f.filename, colour.dim('present'), f.upstream, '', f.neededBy.join(' → ')]),
  ];
  if (rows.length) printTable(['file', 'outcome', 'upstream', 'vetting', 'needed by'], rows);
  for (const x of r.refused) note(`${colour.red('refused')} ${x.project}: ${x.reason} [${x.code}]`);
  for (const x of r.unsatisfied) {
    note(`${colour.yellow('unsatisfied')} ${x.requirement} on ${x.target}${x.neededBy.length ? ` (needed by ${x.neededBy.join(' → ')})` : ''}: ${x.reason}${x.code ? ` [${x.code}]` : ''}`);
  }
  for (const x of r.failed) note(`${colour.red('failed')} ${x.filename}: ${x.message} [${x.code}]`);
  const mb = r.bytes / 1e6;
  info(
    `${r.dryRun ? 'would fetch' : 'fetched'} ${r.fetched.length}, already present ${r.present.length}, refused ${r.refused.length}, unsatisfied ${r.unsatisfied.length}, failed ${r.failed.length}; ${mb.toFixed(1)} MB in ${r.seconds.toFixed(1)} s (${(mb / Math.max(r.seconds, 0.001)).toFixed(1)} MB/s)`,
  );
}

function printOutdated(r: OutdatedReport): void {
  printTable(
    ['project', 'hosted', 'newest upstream', 'behind', 'vulnerable (→ fix)', 'lowest fix', 'upstream'],
    r.projects.map((p) => [
      p.project,
      p.hosted.join(', '),
      p.newest ?? colour.dim('—'),
      p.behind > 0 ? colour.yellow(String(p.behind)) : '0',
      p.vulnerable.length
        ? colour.red(
            p.vulnerable
              // Without its upstream page a fix may exist that could not be seen.
              .map((v) => `${v.version}: ${v.advisories.join(' ')} → ${v.fix ? `${v.fix.version}${v.fix.hosted ? ' (hosted)' : ''}` : p.error ? '?' : 'none'}`)
              .join('; '),
          )
        : '',
      p.lowestFix ? `${p.lowestFix}${p.lowestFixHosted ? ' (hosted)' : ''}` : '',
      p.error
        ? colour.red(`not read: ${p.error.message} [${p.error.code}]`)
        : `${p.upstream ?? colour.dim('—')}${p.origin === 'mixed' ? colour.yellow(' (mixed origins)') : p.origin === 'local' ? colour.yellow(' (added here)') : ''}`,
    ]),
  );
  // Why a project has no upstream, or is flagged: below the table, on stdout with it.
  const notes = r.projects.filter((p) => p.note);
  if (notes.length > 0) {
    info('');
    for (const p of notes) {
      const label = p.origin === 'mixed' ? colour.yellow('mixed origins') : p.origin === 'local' ? colour.yellow('added here') : colour.dim('note');
      info(`${label} ${p.project}: ${p.note}`);
    }
  }
}

function printPlan(p: UpgradePlan): void {
  const base = p.patch?.base;
  // The upgrades, then the projects they need that the latest release does not pin (what --apply mirrors or pins).
  printTable(
    ['project', 'from', 'to', 'why'],
    [
      ...p.upgrades.map((u) => [u.project, u.from.join(', '), u.hosted ? `${u.to} (hosted)` : u.to, u.reasons.join('; ')]),
      ...p.newDependencies.map((d) => [
        d.project,
        '',
        d.hosted ? `${d.version} (hosted)` : d.version,
        `new dependency of ${d.neededBy.join(', ') || 'the upgrades'}${
          base ? (d.pinned ? `; pinned by the patch of ${base}` : `; not pinned: needed only for what ${base} does not contain`) : ''
        }`,
      ]),
    ],
  );
  for (const t of p.closure) {
    info(`${t.target}: ${t.closed ? colour.green('closed') : colour.red(`not closed: ${t.problems.join('; ')}`)}`);
  }
  // What was not planned and why is part of the plan: on stdout after the table, each on its own
  // line (on stderr these ran onto the table's last line when both streams shared a terminal).
  if (p.skipped.length > 0 || p.unassessed.length > 0) info('');
  for (const s of p.skipped) info(`${colour.yellow('skipped')} ${s.project}: ${s.reason}`);
  for (const u of p.unassessed) info(`${colour.red('not assessed')} ${u.project}: ${u.message} [${u.code}]`);
  if (p.patch) {
    const x = p.patch;
    info('');
    if (x.upgrades.length > 0) info(`patch of ${x.base}: pyvet release patch ${x.base} ${x.upgrades.map((r) => `--upgrade ${r}`).join(' ')}`);
    for (const problem of x.problems) info(`${colour.red('patch does not resolve')} ${problem}`);
    if (x.pinnedAlready.length > 0) info(`${x.base} pins ${x.pinnedAlready.join(', ')} already: no patch needed for that`);
    if (x.notInBase.length > 0) {
      const add = x.addCommand ? `to add anyway: ${x.addCommand}` : `adding does not resolve: ${x.addProblems.join('; ')}`;
      info(`${x.notInBase.join(', ')}: not in release ${x.base}, which needs no patch for ${x.notInBase.length > 1 ? 'them' : 'it'} (${add})`);
    }
  }
  if (p.applied) {
    const drafted = p.applied.release ? `drafted release ${p.applied.release}` : `no release drafted${p.patch ? '' : ' (there is no release to patch)'}`;
    info(`mirrored ${p.applied.mirror.fetched.length} files; ${drafted}`);
    if (p.applied.waiting.length > 0) info(`waiting for review: ${p.applied.waiting.join(', ')}`);
  }
}

export function register(program: Command): void {
  const upstream = program.command('upstream').description('trusted upstreams that files may be mirrored from');
  upstream
    .command('add <name> <url>')
    .description('add (or replace) an upstream: a PEP 691/503 simple index URL, file:// tree, or another pyvet')
    .option('--priority <n>', 'a whole number from 0 to 1000000, lower is preferred (default 100)')
    .option('--projects <pattern>', 'glob of projects it may supply (repeatable; default *)', collect)
    .option('--username <user>', 'user name for HTTP Basic (default __token__ when a password is set)')
    .option('--password-env <VAR>', 'environment variable holding the password or token (the secret is never stored)')
    .addHelpText('after', '\nExample: pyvet upstream add pypi https://pypi.org/simple/ --priority 10 --projects "*"')
    .action(async (name: string, url: string, o: { priority?: string; projects?: string[]; username?: string; passwordEnv?: string }, c: Command) => {
      // Checked before anything is opened: 'abc' or '1.5' is an invalid input, never a stored rank.
      const priority = o.priority === undefined ? undefined : parsePriority(o.priority);
      const u = await withRepository(c, (repo) =>
        addUpstream(repo, { name, url, priority, projects: o.projects ?? [], username: o.username ?? null, passwordEnv: o.passwordEnv ?? null }, cliActor()),
      );
      if (globalOptions(c).json) return printJson(u);
      info(`upstream ${u.name} → ${u.url} (priority ${u.priority}, projects ${u.projects.join(' ')})`);
    });
  upstream
    .command('list')
    .description('list upstreams, preferred first (credentials are never shown)')
    .action(async (_o: unknown, c: Command) => {
      const all = await withRepository(c, (repo) => listUpstreams(repo));
      if (globalOptions(c).json) return printJson(all);
      printTable(
        ['name', 'url', 'priority', 'projects', 'credentials', 'from'],
        all.map((u) => [u.name, u.url, u.priority, u.projects.join(' '), u.passwordEnv ? `$${u.passwordEnv}` : '', u.source]),
      );
    });
  upstream
    .command('remove <name>')
    .description('remove an upstream from the catalog')
    .action(async (name: string, _o: unknown, c: Command) => {
      await withRepository(c, (repo) => removeUpstream(repo, name, cliActor()));
      if (globalOptions(c).json) return printJson({ removed: name });
      info(`removed upstream ${name}`);
    });

  program
    .command('mirror [requirements...]')
    .description('bring files in from upstreams into quarantine, with their hashes checked')
    .option(
      '--from <upstream>',
      "an upstream name or index URL (default: every upstream by priority; with --release, the release's own index, with the credentials of an upstream configured on its origin)",
    )
    .option('-t, --target <name>', `target environment (repeatable; default ${DEFAULT_TARGET})`, collect)
    .option('--with-deps', 'follow dependencies until the set is closed for the targets', false)
    .option('-r, --requirement <file>', 'a hash-pinned requirements file: exactly those hashes are fetched')
    .option('--release <url>', "another pyvet's signed release (its URL): exactly the files it pins")
    .option('--release-key <file|url>', 'the public key the release must be signed with (default: fetched from its server and reported)')
    .option('--pre', 'allow pre-releases', false)
    .option(
      '--dry-run',
      'plan only: store nothing (wheels whose upstream has no PEP 658 metadata are downloaded to read their dependencies, and kept for the real run)',
      false,
    )
    .addHelpText(
      'after',
      '\nExamples:\n  pyvet mirror "requests>=2.31" --with-deps --target cp311-manylinux_x86_64\n  pyvet mirror -r toolkit.txt --from pypi',
    )
    .action(async (
      reqs: string[],
      o: { from?: string; target?: string[]; withDeps: boolean; requirement?: string; release?: string; releaseKey?: string; pre: boolean; dryRun: boolean },
      c: Command,
    ) => {
      const file = o.requirement === undefined ? undefined : { text: readInput(o.requirement, 'requirements file'), source: o.requirement, path: o.requirement };
      const warnings: string[] = [];
      if (file && pinsNoHashes(file.text, file.path)) {
        warnings.push(`${file.source} pins no hashes (no --hash on any line): its versions are honoured, but not the bytes; pin them with --hash=sha256:… (pip-compile --generate-hashes)`);
      }
      // Before the run, so it is seen before a long download.
      for (const w of warnings) warn(w);
      const bar = globalOptions(c).json ? { onEvent: () => {}, stop: () => {} } : progress();
      const report = await withRepository(c, async (repo) => {
        try {
          return await mirror(repo, {
            actor: cliActor(),
            requirements: reqs,
            ...(file ? { requirementsFile: file } : {}),
            ...(o.release ? { release: { url: o.release, key: o.releaseKey } } : {}),
            from: fromOption(o.from),
            targets: getTargets(repo.config, o.target?.length ? o.target : [DEFAULT_TARGET]),
            withDeps: o.withDeps,
            prereleases: o.pre,
            dryRun: o.dryRun,
            onEvent: bar.onEvent,
          });
        } finally {
          bar.stop();
        }
      });
      if (globalOptions(c).json) printJson({ ...report, warnings });
      else printMirrorReport(report);
      if (report.failed.length || report.unsatisfied.length || report.refused.length) process.exitCode = 1;
    });

  program
    .command('outdated')
    .description('per project: hosted versions, the newest upstream release, how far behind, and known vulnerabilities with their fix')
    .option('--pre', 'consider upstream pre-releases', false)
    .addHelpText(
      'after',
      '\nA project whose hosted files were all added or uploaded here is compared with the upstreams and marked\n' +
        '(added here): a public project of the same name need not be it, so upgrade-plan plans it only when named.',
    )
    .option('--from <upstream>', 'an upstream name or index URL')
    .action(async (o: { pre: boolean; from?: string }, c: Command) => {
      const r = await withRepository(c, (repo) => outdated(repo, { prereleases: o.pre, from: fromOption(o.from) }));
      if (globalOptions(c).json) printJson(r);
      else printOutdated(r);
      // As mirror: the others are reported, and the exit code says the answer is incomplete.
      if (r.projects.some((p) => p.error)) process.exitCode = 1;
    });

  program
    .command('upgrade-plan')
    .description('the upgrades that bring the repository current (or out of known vulnerabilities) while keeping closure')
    .option('--security-only', 'only what fixes a known vulnerability, at the lowest fixing version', false)
    .option('-t, --target <name>', 'target environment (repeatable; default: every target of the latest release, else cp311-manylinux_x86_64)', collect)
    .option('--from <upstream>', 'an upstream name or index URL')
    .option('--project <name>', 'plan only this project (repeatable); needed for one with mixed origins', collect)
    .option('--apply', 'mirror the upgrades and draft a patch release from the latest release', false)
    .addHelpText(
      'after',
      '\nA project whose hosted files were all added or uploaded here (not mirrored), or came both from an\n' +
        'upstream and from here, is planned only when named with --project: a public package of the same name\n' +
        'need not be it (list your own names in the policy\'s owned_names to keep them out for good).',
    )
    .action(async (o: { securityOnly: boolean; target?: string[]; from?: string; project?: string[]; apply: boolean }, c: Command) => {
      const plan = await withRepository(c, async (repo) => {
        try {
          return await planUpgrades(repo, {
            securityOnly: o.securityOnly,
            targets: o.target ?? [],
            from: fromOption(o.from),
            projects: o.project ?? [],
            apply: o.apply,
            actor: cliActor(),
          });
        } catch (err) {
          // A refused --apply, or one that drafted no release, still shows its plan and what was
          // mirrored (in --json they are in the error's details).
          const planned = err instanceof PyvetError && (err.code === 'UPGRADE_PLAN_NOT_CLOSED' || err.code === 'UPGRADE_PATCH_NOT_DRAFTED');
          if (planned && !globalOptions(c).json) {
            printPlan(err.details?.plan as UpgradePlan);
          }
          throw err;
        }
      });
      if (globalOptions(c).json) printJson(plan);
      else printPlan(plan);
      if (plan.closure.some((t) => !t.closed) || plan.unassessed.length > 0) process.exitCode = 1;
    });
}
