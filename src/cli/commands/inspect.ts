// `pyvet inspect FILE…`: what ingest would see in an archive, without storing anything. The
// same safe reader and limits as `pyvet add`, so an operator can look at a suspicious file first.
import type { Command } from 'commander';
import { type ArtifactReport, artifactLimits, inspectArtifact } from '../../artifacts/index.js';
import { loadConfig } from '../../config.js';
import { asPyvetError } from '../../errors.js';
import { globalOptions } from '../context.js';
import { colour, info, printJson, printTable } from '../output.js';

type Inspected = { path: string; report: Omit<ArtifactReport, 'metadataBytes' | 'metadata'> } | { path: string; error: ReturnType<ReturnType<typeof asPyvetError>['toJSON']> };

export function register(program: Command): void {
  program
    .command('inspect <file...>')
    .description('check wheels and sdists as ingest would (limits, paths, RECORD, metadata) and show what they declare; stores nothing')
    .addHelpText('after', '\nExample: pyvet inspect ./downloads/requests-2.32.3-py3-none-any.whl')
    .action(async (files: string[], _o: unknown, c: Command) => {
      const g = globalOptions(c);
      const limits = artifactLimits(loadConfig({ dataDir: g.data, configFile: g.config }).limits);
      const results: Inspected[] = [];
      for (const path of files) {
        try {
          const { metadataBytes: _bytes, metadata: _metadata, ...report } = await inspectArtifact(path, { limits });
          results.push({ path, report });
        } catch (err) {
          results.push({ path, error: asPyvetError(err).toJSON() });
        }
      }
      if (results.some((r) => 'error' in r)) process.exitCode = 1;
      if (g.json) return printJson(results);
      for (const r of results) {
        if ('error' in r) {
          info(`${colour.red('refused')} ${r.path}: ${r.error.message} [${r.error.code}]`);
          continue;
        }
        const a = r.report;
        info(`${colour.green('ok')} ${a.filename}: ${a.displayName} ${a.version} (${a.kind}, ${a.digests.size} bytes)`);
        info(`  sha256 ${a.digests.sha256}`);
        if (a.requiresPython) info(`  Requires-Python ${a.requiresPython}`);
        if (a.license) info(`  licence ${a.license}`);
        if (a.tags.length) info(`  tags ${a.tags.slice(0, 6).join(' ')}${a.tags.length > 6 ? ` (+${a.tags.length - 6})` : ''}`);
        for (const d of a.requiresDist) info(`  requires ${d}`);
        printTable(
          ['check', 'result', 'detail'],
          a.integrity.checks.map((ch) => [ch.check, ch.ok ? colour.green('ok') : colour.yellow('problem'), ch.detail ?? '']),
        );
      }
    });
}
