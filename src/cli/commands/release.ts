// `pyvet release`: dated, signed, hash-pinned toolkit releases.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { PyvetError } from '../../errors.js';
import { type DiffResult, diffReleases } from '../../releases/diff.js';
import { createRelease, listReleases, patchRelease, type ReleaseDetails, showRelease } from '../../releases/service.js';
import { verifyRelease } from '../../releases/verify.js';
import { openRepository } from '../../repository/open.js';
import { cliActor, globalOptions } from '../context.js';
import { colour, info, note, printJson, printTable, warn } from '../output.js';
import { withRepository } from './repo.js';
import { collect } from './targets.js';

function printDetails(r: ReleaseDetails): void {
  info(`${colour.bold(r.name)} created ${r.createdAt} by ${r.createdBy}${r.base ? ` (patch of ${r.base})` : ''}`);
  info(`index: ${r.indexUrl}`);
  printTable(['document', 'sha256'], r.documents.map((d) => [d.path, d.sha256]));
  for (const t of r.targets) {
    const pins = r.pins.filter((p) => p.target === t);
    info(`${colour.bold(t)}: ${pins.length} files`);
    printTable(
      ['project', 'version', 'file', 'now'],
      pins.map((p) => [p.project, p.version, p.filename, p.state !== 'approved' ? colour.red(p.state) : p.yanked ? colour.yellow('yanked') : '']),
    );
  }
  // pip fetches pinned files from the index, which serves approved ones only.
  const withdrawn = r.pins.filter((p) => p.state !== 'approved');
  if (withdrawn.length > 0) {
    warn(`${withdrawn.length} pinned file(s) are no longer served (${[...new Set(withdrawn.map((p) => p.filename))].join(', ')}): pip install -r of this release will fail; make a patch release`);
  }
}

function readFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new PyvetError('FILE_UNREADABLE', 'invalid', `cannot read ${path}: ${(err as Error).message}`, { path });
  }
}

function printDiff(d: DiffResult): void {
  info(
    `${colour.bold(d.from)} → ${colour.bold(d.to)}: ${d.added.length} added, ${d.removed.length} removed, ${d.upgraded.length} upgraded, ${d.downgraded.length} downgraded, ${d.rehashed.length} re-hashed, ${d.unchanged} unchanged`,
  );
  const rows: string[][] = [
    ...d.added.map((x) => [colour.green('added'), x.project, '', x.version]),
    ...d.removed.map((x) => [colour.red('removed'), x.project, x.version, '']),
    ...d.upgraded.map((x) => ['upgraded', x.project, x.from, x.to]),
    ...d.downgraded.map((x) => [colour.yellow('downgraded'), x.project, x.from, x.to]),
    ...d.rehashed.map((x) => [colour.yellow('re-hashed'), x.project, x.version, x.version]),
  ];
  if (rows.length > 0) printTable(['change', 'project', 'from', 'to'], rows);
}

export function register(program: Command): void {
  const release = program.command('release').description('dated, signed, hash-pinned releases of the vetted set');

  release
    .command('create <name> [requirement...]')
    .description('freeze a resolved set per target: requirements files, CycloneDX SBOMs, a signed manifest')
    .requiredOption('-t, --target <name>', 'target environment (repeatable, wildcards allowed)', collect, [])
    .option('-r, --requirements <file>', 'resolve the requirements of this file (hashes it lists must match)')
    .option('--all', 'every approved project', false)
    .option(
      '--index-url <url>',
      'index URL written into the requirements files, as clients reach it (default: server.base_url, else http://server.host:server.port/simple/)',
    )
    .option('--created <time>', 'creation time, ISO 8601 (default now; fix it for reproducible output)')
    .addHelpText(
      'after',
      "\nExamples:\n  pyvet release create 2026.11.29 --target cp311-manylinux_x86_64 --target cp312-zos --all\n  pyvet release create 2026.12.01 -t 'cp31*-zos' -r toolkit.txt",
    )
    .action(
      async (
        name: string,
        requirements: string[],
        opts: { target: string[]; requirements?: string; all: boolean; indexUrl?: string; created?: string },
        c: Command,
      ) => {
        const file = opts.requirements ? { text: readFile(opts.requirements), filename: basename(opts.requirements) } : undefined;
        let guessed = false;
        const r = await withRepository(c, (repo) => {
          // Nobody said where clients reach this repository: the URL comes from the listening address.
          guessed = opts.indexUrl === undefined && !repo.config.server.base_url;
          return createRelease(
            repo,
            {
              name,
              targets: opts.target,
              requirements,
              requirementsFile: file,
              all: opts.all,
              indexUrl: opts.indexUrl,
              created: opts.created,
            },
            cliActor(),
          );
        });
        if (guessed) {
          note(
            `its index URL ${r.indexUrl} comes from server.host and server.port (server.base_url is unset): if clients reach this repository at another address or port, set server.base_url or pass --index-url to the next release (a release never changes)`,
          );
        }
        if (globalOptions(c).json) return printJson(r);
        printDetails(r);
      },
    );

  release
    .command('patch <base>')
    .description('the next release from BASE with a few projects replaced; refused if that breaks closure')
    .requiredOption('-u, --upgrade <name==version>', 'project to replace (repeatable)', collect, [])
    .option('-n, --name <name>', 'name of the new release (default BASE.postN)')
    .option('--index-url <url>', "index URL (default: the base's)")
    .option('--created <time>', 'creation time, ISO 8601 (default now)')
    .addHelpText('after', "\nExample: pyvet release patch 2026.11.29 --upgrade 'urllib3==2.5.0'")
    .action(async (base: string, opts: { upgrade: string[]; name?: string; indexUrl?: string; created?: string }, c: Command) => {
      const r = await withRepository(c, (repo) =>
        patchRelease(repo, base, { upgrades: opts.upgrade, name: opts.name, indexUrl: opts.indexUrl, created: opts.created }, cliActor()),
      );
      if (globalOptions(c).json) return printJson(r);
      printDetails(r);
    });

  release
    .command('list')
    .description('the releases, newest first')
    .action(async (_opts: unknown, c: Command) => {
      const list = await withRepository(c, (repo) => listReleases(repo));
      if (globalOptions(c).json) return printJson(list);
      printTable(
        ['release', 'created', 'by', 'base', 'targets (files)'],
        list.map((r) => [r.name, r.createdAt, r.createdBy, r.base ?? '', r.targets.map((t) => `${t} (${r.counts[t] ?? 0})`).join(', ')]),
      );
    });

  release
    .command('show <name>')
    .description('documents and pinned files of a release')
    .action(async (name: string, _opts: unknown, c: Command) => {
      const r = await withRepository(c, (repo) => showRelease(repo, name));
      if (globalOptions(c).json) return printJson(r);
      printDetails(r);
    });

  release
    .command('verify <location>')
    .description('check a release offline: signature, documents, pins, and file hashes where available (exit 1 if not ok)')
    .option('-k, --key <file>', 'public key (PEM); default: the serving pyvet, or signing-key.pub beside the manifest')
    .option('--files <dir>', 'directory holding the pinned files: hash each one found')
    .option('--fetch-files', 'download every pinned file from the index and hash it', false)
    .option('--token <token>', 'reader token for a server without anonymous reading (env PYVET_TOKEN)')
    .addHelpText(
      'after',
      '\nLOCATION is a release URL (https://pypi.example.com/releases/2026.11.29/), its manifest.json URL,\na local manifest.json or the directory holding it.\nExample: pyvet release verify http://127.0.0.1:8080/releases/2026.11.29/ --fetch-files',
    )
    .action(async (location: string, opts: { key?: string; files?: string; fetchFiles: boolean; token?: string }, c: Command) => {
      const report = await verifyRelease(location, {
        publicKey: opts.key ? readFile(opts.key) : undefined,
        filesDir: opts.files,
        fetchFiles: opts.fetchFiles,
        token: opts.token ?? process.env.PYVET_TOKEN,
      });
      if (!report.ok) process.exitCode = 1;
      if (globalOptions(c).json) return printJson(report);
      const mark = (ok: boolean) => (ok ? colour.green('ok') : colour.red('FAILED'));
      info(`${colour.bold(report.release)} (${report.created}): ${report.ok ? colour.green('verified') : colour.red('NOT VERIFIED')}`);
      info(`  signature ${mark(report.signature === 'valid')} (key: ${report.keySource})`);
      for (const d of report.documents) info(`  ${d.path} ${mark(d.ok)}${d.ok ? '' : ` expected ${d.expected}, got ${d.actual ?? 'nothing'}`}`);
      for (const p of report.pins) for (const problem of p.problems) info(`  ${colour.red(p.target)}: ${problem}`);
      const f = report.files;
      info(`  files: ${f.ok}/${f.checked} match${f.unavailable ? `, ${f.unavailable} not checked (pass --files DIR or --fetch-files)` : ''}`);
      for (const m of f.mismatched) info(`  ${colour.red(m.filename)}: expected ${m.expected}, got ${m.actual}`);
    });

  release
    .command('diff <a> <b>')
    .description('added, removed, upgraded, downgraded and re-hashed projects between two releases or requirements files')
    .option('-t, --target <name>', 'only this target (releases)')
    .addHelpText('after', '\nExample: pyvet release diff 2026.10.01 2026.11.29\n         pyvet release diff old-requirements.txt new-requirements.txt')
    .action(async (a: string, b: string, opts: { target?: string }, c: Command) => {
      const g = globalOptions(c);
      // Two files need no repository; a release name does.
      let results: DiffResult[];
      try {
        results = await diffReleases(null, a, b, opts.target);
      } catch (err) {
        if (!(err instanceof PyvetError) || err.code !== 'DIFF_OPERAND_NOT_FOUND') throw err;
        const repo = await openRepository({ dataDir: g.data, configFile: g.config });
        try {
          results = await diffReleases(repo, a, b, opts.target);
        } finally {
          await repo.close();
        }
      }
      if (g.json) return printJson(results);
      for (const d of results) printDiff(d);
    });
}
