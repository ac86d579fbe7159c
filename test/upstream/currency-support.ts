// Shared by the currency tests: a static upstream tree of built wheels, and advisories imported
// as an operator would.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importAdvisories } from '../../src/advisories/import.js';
import { initRepository, openRepository } from '../../src/repository/index.js';
import type { Repository } from '../../src/repository/types.js';
import { addUpstream } from '../../src/upstream/upstreams.js';
import { buildWheel } from '../helpers/archives.js';
import { type StaticServer, startStaticServer } from '../helpers/static-server.js';

export const ADMIN = { name: 'cli:test', role: 'admin' as const };
export const TARGET = 'cp311-manylinux_x86_64';

/** Writes a PEP 503 tree (files/ and simple/<project>/index.html) of built wheels. */
export function writeTree(root: string, wheels: { name: string; version: string; requires?: string[] }[]): void {
  mkdirSync(join(root, 'files'), { recursive: true });
  const pages = new Map<string, string[]>();
  for (const w of wheels) {
    const { filename, bytes } = buildWheel({
      name: w.name,
      version: w.version,
      metadataLines: (w.requires ?? []).map((r) => `Requires-Dist: ${r}`),
    });
    writeFileSync(join(root, 'files', filename), bytes);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const links = pages.get(w.name) ?? [];
    links.push(`<a href="../../files/${filename}#sha256=${sha}">${filename}</a>`);
    pages.set(w.name, links);
  }
  for (const [project, links] of pages) {
    mkdirSync(join(root, 'simple', project), { recursive: true });
    writeFileSync(join(root, 'simple', project, 'index.html'), links.join('\n'));
  }
}

/** Imports one OSV advisory for `name` affecting the given ranges. */
export async function advise(repo: Repository, dir: string, id: string, name: string, ranges: { introduced: string; fixed: string }[]): Promise<void> {
  const advisory = {
    id,
    modified: '2026-11-01T00:00:00Z',
    summary: `test advisory for ${name}`,
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    affected: [
      {
        package: { ecosystem: 'PyPI', name },
        ranges: [{ type: 'ECOSYSTEM', events: ranges.flatMap((r) => [{ introduced: r.introduced }, { fixed: r.fixed }]) }],
      },
    ],
  };
  const file = join(dir, `${id}.jsonl`);
  writeFileSync(file, `${JSON.stringify(advisory)}\n`);
  await importAdvisories(repo, file, ADMIN);
}

/**
 * An upstream of `wheels` (a tree under `dir`/up, served on loopback) and a new repository at
 * `data` with it configured as upstream 'up'. The caller closes both.
 */
export async function withUpstream(
  dir: string,
  wheels: { name: string; version: string; requires?: string[] }[],
  data: string,
): Promise<{ up: StaticServer; repo: Repository }> {
  writeTree(join(dir, 'up'), wheels);
  const up = await startStaticServer(join(dir, 'up'));
  await initRepository(data, { logLevel: 'warn' });
  const repo = await openRepository({ dataDir: data, logLevel: 'warn' });
  await addUpstream(repo, { name: 'up', url: `${up.url}/simple/` }, ADMIN);
  return { up, repo };
}
