// `pyvet release`: dated, signed, hash-pinned toolkit releases.
import { basename } from 'node:path';
import type { Command } from 'commander';
import { PyvetError } from '../../errors.js';
import { type DiffResult, diffReleases } from '../../releases/diff.js';
import { MANIFEST_PATH, SIGNATURE_PATH } from '../../releases/documents.js';
import { createRelease, listReleases, patchRelease, type ReleaseDetails, showRelease } from '../../releases/service.js';
import { keyFingerprint, publicKeyPem, verifyManifest } from '../../releases/signing.js';
import { verifyRelease } from '../../releases/verify.js';
import { openRepository } from '../../repository/open.js';
import type { Repository } from '../../repository/types.js';
import { cliActor, globalOptions, readInput } from '../context.js';
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

/** The key that signs this repository's releases, for publishers to hand out (verifiers pin it with --fingerprint). */
interface SigningKeyInfo {
  fingerprint: string;
  /** Whether this release's manifest verifies with the current key (undefined: no release given). */
  signsThisRelease?: boolean;
}

async function signingKeyInfo(repo: Repository, release?: string): Promise<SigningKeyInfo | undefined> {
  const pem = publicKeyPem(repo);
  if (!pem) return undefined;
  const info: SigningKeyInfo = { fingerprint: keyFingerprint(pem) };
  if (release !== undefined) {
    const manifest = await repo.catalog.releaseSets.getDocument(release, MANIFEST_PATH);
    const sig = await repo.catalog.releaseSets.getDocument(release, SIGNATURE_PATH);
    info.signsThisRelease = Boolean(manifest && sig && verifyManifest(pem, manifest.content, sig.content));
  }
  return info;
}

function printSigningKey(k: SigningKeyInfo | undefined, release?: string): void {
  if (!k) return;
  info(`signing key: ${k.fingerprint} (verifiers pin it: pyvet release verify URL --fingerprint ${k.fingerprint})`);
  if (release !== undefined && k.signsThisRelease === false) {
    warn(`release ${release} was not signed with the current signing key: it verifies only with the key it was signed with`);
  }
}


function printDiff(d: DiffResult): void {
  if (d.target) {
    const pins = d.target.change === 'added' ? d.added : d.removed;
    const line = `target ${d.target.name} ${d.target.change}: ${pins.length} pin(s) ${d.target.change === 'added' ? `in ${d.to}, none in ${d.from}` : `in ${d.from}, none in ${d.to}`}`;
    info(d.target.change === 'added' ? colour.green(line) : colour.red(line));
    return;
  }
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
    // Without a commander default, so commander itself refuses a missing one (and help shows no `(default: [])`).
    .requiredOption('-t, --target <name>', 'target environment (required; repeatable, wildcards allowed)', collect)
    .option('-r, --requirements <file>', 'resolve the requirements of this file (hashes it lists must match)')
    .option('--all', 'every approved project', false)
    .option(
      '--index-url <url>',
      'index URL written into the requirements files, as clients reach it (default: server.base_url, else http://server.host:server.port/simple/)',
    )
    .option('--created <time>', 'creation time, ISO 8601 (default now; fix it for reproducible output)')
    .option('--new-signing-key', 'the signing key files are lost: make a new pair although releases were signed here', false)
    .addHelpText(
      'after',
      "\nExamples:\n  pyvet release create 2026.11.29 --target cp311-manylinux_x86_64 --target cp312-zos --all\n  pyvet release create 2026.12.01 -t 'cp31*-zos' -r toolkit.txt",
    )
    .action(
      async (
        name: string,
        requirements: string[],
        opts: { target: string[]; requirements?: string; all: boolean; indexUrl?: string; created?: string; newSigningKey: boolean },
        c: Command,
      ) => {
        const file = opts.requirements ? { text: readInput(opts.requirements, 'requirements file'), filename: basename(opts.requirements) } : undefined;
        let guessed = false;
        let key: SigningKeyInfo | undefined;
        const r = await withRepository(c, async (repo) => {
          // Nobody said where clients reach this repository: the URL comes from the listening address.
          guessed = opts.indexUrl === undefined && !repo.config.server.base_url;
          const created = await createRelease(
            repo,
            {
              name,
              targets: opts.target,
              requirements,
              requirementsFile: file,
              all: opts.all,
              indexUrl: opts.indexUrl,
              created: opts.created,
              newSigningKey: opts.newSigningKey,
            },
            cliActor(),
          );
          key = await signingKeyInfo(repo);
          return created;
        });
        if (guessed) {
          note(
            `its index URL ${r.indexUrl} comes from server.host and server.port (server.base_url is unset): if clients reach this repository at another address or port, set server.base_url or pass --index-url to the next release (a release never changes)`,
          );
        }
        if (globalOptions(c).json) return printJson(r);
        printDetails(r);
        // --all covers what installs per target: say what it could not include, never drop it silently.
        for (const [target, list] of Object.entries(r.leftOut ?? {})) {
          if (list.length === 0) continue;
          note(`${target}: left out ${list.length} approved project(s) with no file that installs there: ${list.map((u) => `${u.project} ${u.versions.join(', ')} (${u.why})`).join('; ')}`);
        }
        printSigningKey(key);
      },
    );

  release
    .command('patch <base>')
    .description('the next release from BASE with a few projects replaced; refused if that breaks closure')
    .requiredOption('-u, --upgrade <name==version>', 'project to replace (required; repeatable)', collect)
    .option('-n, --name <name>', 'name of the new release (default BASE.postN)')
    .option('--index-url <url>', "index URL (default: the base's)")
    .option('--created <time>', 'creation time, ISO 8601 (default now)')
    .option('--new-signing-key', 'the signing key files are lost: make a new pair although releases were signed here', false)
    .addHelpText('after', "\nExample: pyvet release patch 2026.11.29 --upgrade 'urllib3==2.5.0'")
    .action(async (base: string, opts: { upgrade: string[]; name?: string; indexUrl?: string; created?: string; newSigningKey: boolean }, c: Command) => {
      const spec = { upgrades: opts.upgrade, name: opts.name, indexUrl: opts.indexUrl, created: opts.created, newSigningKey: opts.newSigningKey };
      const r = await withRepository(c, (repo) => patchRelease(repo, base, spec, cliActor()));
      if (globalOptions(c).json) return printJson(r);
      printDetails(r);
    });

  release
    .command('list')
    .description('the releases, newest first')
    .action(async (_opts: unknown, c: Command) => {
      const [list, key] = await withRepository(c, async (repo) => [await listReleases(repo), await signingKeyInfo(repo)] as const);
      if (globalOptions(c).json) return printJson(list);
      printTable(
        ['release', 'created', 'by', 'base', 'targets (files)'],
        list.map((r) => [r.name, r.createdAt, r.createdBy, r.base ?? '', r.targets.map((t) => `${t} (${r.counts[t] ?? 0})`).join(', ')]),
      );
      printSigningKey(key);
    });

  release
    .command('show <name>')
    .description("documents and pinned files of a release ('latest': the newest)")
    .action(async (name: string, _opts: unknown, c: Command) => {
      const [r, key] = await withRepository(c, async (repo) => {
        const shown = await showRelease(repo, name);
        // By its own name: 'latest' is an alias, not the name its documents are stored under.
        return [shown, await signingKeyInfo(repo, shown.name)] as const;
      });
      if (globalOptions(c).json) return printJson(key ? { ...r, signingKey: key } : r);
      printDetails(r);
      printSigningKey(key, r.name);
    });

  release
    .command('verify <location>')
    .description('check a release offline: signature, name, documents, pins, and file hashes where available (exit 1 if not ok)')
    .option('-k, --key <file>', "the publisher's public key (PEM); default: the one beside the release (proves integrity only)")
    .option('--fingerprint <sha256>', "the publisher's key fingerprint (sha256:HEX, from `pyvet release show` on their side): the key must have it")
    .option('--require-key', 'fail unless the key is pinned (--key or --fingerprint)', false)
    .option('--name <name>', "the release's name (default: the last segment of LOCATION, its directory for a manifest)")
    .option('--files <dir>', 'directory holding the pinned files: hash each one found')
    .option('--fetch-files', 'download every pinned file from the index and hash it (one it does not serve fails)', false)
    .option('--token <token>', 'reader token for a server without anonymous reading (env PYVET_TOKEN)')
    .addHelpText(
      'after',
      '\nLOCATION is a release URL (https://pypi.example.com/releases/2026.11.29/), its manifest.json URL,\na local manifest.json or the directory holding it.\nWithout --key or --fingerprint the key comes from beside the release: anyone able to change the\nrelease could have changed it too, so that proves integrity, not who published it.\nExample: pyvet release verify http://127.0.0.1:8080/releases/2026.11.29/ --fetch-files --fingerprint sha256:…',
    )
    .action(
      async (
        location: string,
        opts: { key?: string; fingerprint?: string; requireKey: boolean; name?: string; files?: string; fetchFiles: boolean; token?: string },
        c: Command,
      ) => {
        const report = await verifyRelease(location, {
          publicKey: opts.key ? readInput(opts.key, 'public key file') : undefined,
          fingerprint: opts.fingerprint,
          requireKey: opts.requireKey,
          name: opts.name,
          filesDir: opts.files,
          fetchFiles: opts.fetchFiles,
          token: opts.token ?? process.env.PYVET_TOKEN,
        });
        if (!report.ok) process.exitCode = 1;
        if (globalOptions(c).json) return printJson(report);
        const mark = (ok: boolean) => (ok ? colour.green('ok') : colour.red('FAILED'));
        const verdict = !report.ok
          ? colour.red('NOT VERIFIED')
          : report.keyTrusted
            ? colour.green('verified')
            : `${colour.green('verified')} ${colour.yellow('(integrity only: the key was not pinned)')}`;
        info(`${colour.bold(report.release)} (${report.created}): ${verdict}`);
        const keyFrom = report.keySource === 'given' ? `--key ${opts.key ?? ''}`.trim() : report.keySource;
        info(`  signature ${mark(report.signature === 'valid')} (key ${report.keyFingerprint} from ${keyFrom}${report.keyTrusted ? ', pinned' : ''})`);
        for (const problem of report.problems) info(`  ${colour.red('FAILED')} ${problem}`);
        for (const d of report.documents) info(`  ${d.path} ${mark(d.ok)}${d.ok ? '' : ` expected ${d.expected}, got ${d.actual ?? 'nothing'}`}`);
        for (const p of report.pins) for (const problem of p.problems) info(`  ${colour.red(p.target)}: ${problem}`);
        const f = report.files;
        // With --fetch-files every pinned file was asked for: none is left "not checked" for want of the option.
        const hint = f.unavailable ? `, ${f.unavailable} not checked${opts.fetchFiles ? '' : ' (pass --files DIR or --fetch-files)'}` : '';
        const notServed = f.notServed.length ? `, ${colour.red(`${f.notServed.length} not served`)}` : '';
        info(`  files: ${f.ok}/${f.checked} match${notServed}${hint}`);
        for (const m of f.mismatched) info(`  ${colour.red(m.filename)}: expected ${m.expected}, got ${m.actual}`);
        for (const n of f.notServed) info(`  ${colour.red(n)}: not served by the index: pip install -r of this release fails`);
        if (!report.keyTrusted && !opts.requireKey && report.problems.length === 0) {
          warn(
            `the key came from beside the release (${report.keySource}), not from you: this proves the release is consistent, not who published it (whoever can change the release can change that key too). ` +
              `Pin the publisher: compare ${report.keyFingerprint} with the fingerprint they give out (\`pyvet release show\` on their side) and pass --fingerprint ${report.keyFingerprint}, or pass --key FILE; --require-key makes an unpinned key a failure`,
          );
        }
      },
    );

  release
    .command('diff <a> <b>')
    .description('added, removed, upgraded, downgraded and re-hashed projects between two releases or requirements files')
    .option('-t, --target <name>', "only this target (releases); FROM:TO compares one release's target with another's")
    .addHelpText(
      'after',
      '\nTargets only one release has are listed as added or removed.\nExample: pyvet release diff 2026.10.01 2026.11.29\n         pyvet release diff 2026.10.01 2026.11.29 -t cp311-manylinux_x86_64:cp312-manylinux_x86_64\n         pyvet release diff old-requirements.txt new-requirements.txt',
    )
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
