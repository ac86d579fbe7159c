// Shared by the repository-core suites: a fresh initialised repository in a temp directory, and
// a NewFile builder for catalog-level tests that need rows without real archives.
import { Writable } from 'node:stream';
import type { NewFile } from '../../src/catalog/types.js';
import { initRepository, type OpenedRepository, openRepository } from '../../src/repository/open.js';
import { tempDir } from '../helpers/paths.js';

export interface TestRepo {
  repo: OpenedRepository;
  dataDir: string;
  adminToken: string;
  /** Every log line written so far (pino JSON). */
  logs: string[];
  /** Closes and reopens `repo` (e.g. after inspecting the database file), logging to the same `logs`. */
  reopen: () => Promise<void>;
  cleanup: () => Promise<void>;
}

export async function makeRepo(): Promise<TestRepo> {
  const tmp = tempDir('pyvet-repo-');
  const dataDir = `${tmp.path}/data`;
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const { adminToken } = await initRepository(dataDir, { logDestination: sink });
  const t: TestRepo = {
    repo: await openRepository({ dataDir, logDestination: sink }),
    dataDir,
    adminToken,
    logs,
    reopen: async () => {
      await t.repo.close();
      t.repo = await openRepository({ dataDir, logDestination: sink });
    },
    cleanup: async () => {
      await t.repo.close();
      tmp.cleanup();
    },
  };
  return t;
}

let counter = 0;
export function newFile(over: Partial<NewFile> = {}): NewFile {
  counter++;
  const project = over.project ?? 'demo';
  const version = over.version ?? '1.0';
  return {
    project,
    displayName: project,
    version,
    filename: `${project}-${version}-${counter}-py3-none-any.whl`,
    kind: 'wheel',
    size: 100 + counter,
    sha256: counter.toString(16).padStart(64, 'a'),
    blake2b256: 'b'.repeat(64),
    md5: 'c'.repeat(32),
    requiresPython: '>=3.9',
    metadataSha256: 'd'.repeat(64),
    requiresDist: ['requests>=2', 'rich; extra == "cli"'],
    providesExtra: ['cli'],
    summary: 'a demo',
    license: 'MIT',
    tags: ['py3-none-any'],
    uploadedAt: new Date().toISOString(),
    upstreamUploadedAt: null,
    origin: 'local',
    state: 'quarantined',
    stateChangedBy: 'cli:test',
    integrity: { checks: [{ check: 'record-hashes', ok: true, detail: '3 entries' }] },
    ...over,
  };
}

