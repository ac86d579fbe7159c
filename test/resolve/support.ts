// Shared by the resolve suites: a real repository whose catalog holds approved rows described
// compactly ('name', 'version', requires-dist, tags …), without building archives.
import { createHash } from 'node:crypto';
import type { FileRecord, FileState, NewFile } from '../../src/catalog/types.js';
import { makeRepo, type TestRepo } from '../repository/support.js';

export interface Row {
  name: string;
  version: string;
  deps?: string[];
  extras?: string[];
  /** Expanded tags; default py3-none-any. */
  tags?: string[];
  requiresPython?: string | null;
  state?: FileState;
  kind?: 'wheel' | 'sdist';
  /** Distinguishes several files of one release. */
  suffix?: string;
}

export function newRow(r: Row): NewFile {
  const tag = r.tags?.[0] ?? 'py3-none-any';
  const filename =
    r.kind === 'sdist' ? `${r.name}-${r.version}.tar.gz` : `${r.name.replace(/-/g, '_')}-${r.version}${r.suffix ?? ''}-${tag}.whl`;
  const sha256 = createHash('sha256').update(filename).digest('hex');
  return {
    project: r.name,
    displayName: r.name,
    version: r.version,
    filename,
    kind: r.kind ?? 'wheel',
    size: 1000,
    sha256,
    blake2b256: 'b'.repeat(64),
    md5: 'c'.repeat(32),
    requiresPython: r.requiresPython ?? null,
    metadataSha256: null,
    requiresDist: r.deps ?? [],
    providesExtra: r.extras ?? [],
    summary: null,
    license: 'MIT',
    tags: r.kind === 'sdist' ? [] : (r.tags ?? ['py3-none-any']),
    uploadedAt: '2026-01-01T00:00:00.000Z',
    upstreamUploadedAt: null,
    origin: 'local',
    state: r.state ?? 'approved',
    stateChangedBy: 'cli:test',
    integrity: { checks: [] },
  };
}

/** A fresh repository with these rows inserted into its real SQLite catalog. */
export async function repoWith(rows: Row[]): Promise<TestRepo & { files: FileRecord[] }> {
  const t = await makeRepo();
  const files: FileRecord[] = [];
  for (const r of rows) files.push(await t.repo.catalog.files.insert(newRow(r)));
  return { ...t, files };
}
