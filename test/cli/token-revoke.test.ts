// `pyvet token revoke` said "Revoked … at <the old time>" for a token revoked long before.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

test('token revoke a second time says it was already revoked, and changes nothing', () => {
  const tmp = tempDir('pyvet-revoke-');
  try {
    assert.equal(runCli(tmp.path, ['init']).status, 0);
    const created = runCli(tmp.path, ['--json', 'token', 'create', 'twice', '--role', 'reader']);
    const id = (JSON.parse(created.stdout) as { record: { id: string } }).record.id;
    const first = runCli(tmp.path, ['token', 'revoke', id]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`^Revoked ${id} 'twice' at (\\S+)\\n$`));
    const at = /at (\S+)\n$/.exec(first.stdout)![1]!;
    const second = runCli(tmp.path, ['token', 'revoke', id]);
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout, `${id} 'twice' was already revoked at ${at}: nothing changed\n`);
    const json = JSON.parse(runCli(tmp.path, ['--json', 'token', 'revoke', id]).stdout) as { revokedAt: string; alreadyRevoked: boolean };
    assert.deepEqual([json.revokedAt, json.alreadyRevoked], [at, true]);
  } finally {
    tmp.cleanup();
  }
});
