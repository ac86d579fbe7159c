// A reader that stops early (`pyvet files | head -1`): the CLI ends quietly with the command's
// own status, as a Unix filter does, instead of crashing on EPIPE with a stack trace.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildWheel, writeArchive } from '../helpers/archives.js';
import { cliCommand, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

const tmp = tempDir();
after(() => tmp.cleanup());

test('output into a closed pipe ends the command quietly, with its status', () => {
  const data = join(tmp.path, 'data');
  assert.equal(runCli(data, ['init']).status, 0);
  const w = buildWheel({ name: 'piped', version: '1.0' });
  assert.equal(runCli(data, ['add', writeArchive(tmp.path, w.filename, w.bytes)]).status, 0);
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const pyvet = [process.execPath, ...cliCommand(['files'])].map(quote).join(' ');
  // `true` exits at once: every write pyvet makes goes into a pipe nobody reads.
  const r = spawnSync('bash', ['-c', `set -o pipefail; ${pyvet} | true`], {
    env: { ...process.env, PYVET_DATA: data, NO_COLOR: '1', NODE_TEST_CONTEXT: '' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /EPIPE|Unhandled/);
});
