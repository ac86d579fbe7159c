// release diff across releases whose targets differ: a target only one release has is listed as
// added or removed with all its pins; FROM:TO compares one release's target with another's (a
// cp311 toolkit against its cp312 successor); two releases with no target in common say which
// targets each has and how to compare them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { approveFiles, ingestFile } from '../../src/repository/index.js';
import { diffReleases } from '../../src/releases/diff.js';
import { createRelease } from '../../src/releases/service.js';
import { buildWheel, writeArchive } from '../helpers/archives.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { makeRepo, type TestRepo } from '../repository/support.js';

const ADMIN = { name: 'cli:alice', role: 'admin' as const };
const URL = 'https://pypi.example.com/simple/';

describe('release diff between releases with other targets', () => {
  let t: TestRepo;
  const tmp = tempDir('pyvet-diff-targets-');
  before(async () => {
    t = await makeRepo();
    for (const v of ['1.0', '2.0']) {
      const { filename, bytes } = buildWheel({ name: 'dt-alpha', version: v });
      await ingestFile(t.repo, writeArchive(tmp.path, filename, bytes), { actor: ADMIN, origin: 'local' });
    }
    await approveFiles(t.repo, 'all waiting', ADMIN, 'fixture');
    const spec = (name: string, version: string, targets: string[]) => ({ name, targets, requirements: [`dt-alpha==${version}`], indexUrl: URL });
    await createRelease(t.repo, spec('r1', '1.0', ['cp311-manylinux_x86_64', 'cp311-win_amd64']), ADMIN);
    await createRelease(t.repo, spec('r2', '2.0', ['cp311-manylinux_x86_64', 'cp312-manylinux_x86_64']), ADMIN);
    await createRelease(t.repo, spec('r3', '2.0', ['cp313-zos']), ADMIN);
  });
  after(async () => {
    await t.cleanup();
    tmp.cleanup();
  });

  test('targets only one release has are added or removed, with their pins', async () => {
    const diffs = await diffReleases(t.repo, 'r1', 'r2');
    assert.deepEqual(
      diffs.map((d) => [d.target ?? null, d.from, d.to, d.upgraded.length, d.added.length, d.removed.length]),
      [
        [null, 'r1/cp311-manylinux_x86_64', 'r2/cp311-manylinux_x86_64', 1, 0, 0],
        [{ name: 'cp311-win_amd64', change: 'removed' }, 'r1/cp311-win_amd64', 'r2 (no cp311-win_amd64)', 0, 0, 1],
        [{ name: 'cp312-manylinux_x86_64', change: 'added' }, 'r1 (no cp312-manylinux_x86_64)', 'r2/cp312-manylinux_x86_64', 0, 1, 0],
      ],
    );
    const cli = runCli(t.dataDir, ['release', 'diff', 'r1', 'r2']);
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /target cp311-win_amd64 removed: 1 pin\(s\) in r1\/cp311-win_amd64, none in r2/);
    assert.match(cli.stdout, /target cp312-manylinux_x86_64 added: 1 pin\(s\) in r2\/cp312-manylinux_x86_64/);
  });

  test('FROM:TO compares two targets; no common target says what each has', async () => {
    const [d] = await diffReleases(t.repo, 'r1', 'r3', 'cp311-win_amd64:cp313-zos');
    assert.deepEqual(d!.upgraded, [{ project: 'dt-alpha', from: '1.0', to: '2.0' }]);
    await assert.rejects(diffReleases(t.repo, 'r1', 'r3'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'DIFF_NO_COMMON_TARGET');
      assert.match(e.message, /r1: cp311-manylinux_x86_64, cp311-win_amd64; r3: cp313-zos\): compare two of them with --target FROM:TO/);
      return true;
    });
    await assert.rejects(diffReleases(t.repo, 'r1', 'r3', 'cp311-win_amd64:cp312-zos'), /r3 has no target cp312-zos/);
  });
});
