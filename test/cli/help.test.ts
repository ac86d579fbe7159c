// Help texts of commands with repeatable options: one correct default or none, never commander's
// `(default: [])`, and a required option says so.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

const COMMANDS = [
  ['mirror'],
  ['upgrade-plan'],
  ['upstream', 'add'],
  ['closure'],
  ['release', 'create'],
  ['release', 'patch'],
] as const;

/** Help text with commander's line wrapping undone. */
function help(dir: string, cmd: readonly string[]): string {
  const r = runCli(dir, [...cmd, '--help']);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.replace(/\s+/g, ' ');
}

test('help of commands with repeatable options never shows (default: [])', () => {
  const tmp = tempDir('pyvet-help-');
  try {
    for (const cmd of COMMANDS) assert.doesNotMatch(help(tmp.path, cmd), /\(default: \[\]\)/, cmd.join(' '));
    assert.match(help(tmp.path, ['mirror']), /-t, --target <name> target environment \(repeatable; default cp311-manylinux_x86_64\) --with-deps/);
    assert.match(help(tmp.path, ['release', 'create']), /--target <name> target environment \(required;/);
    assert.match(help(tmp.path, ['release', 'patch']), /--upgrade <name==version> project to replace \(required;/);
  } finally {
    tmp.cleanup();
  }
});

test('release create without --target is refused as a usage error naming --target', () => {
  const tmp = tempDir('pyvet-help-');
  try {
    assert.equal(runCli(tmp.path, ['init']).status, 0);
    const r = runCli(tmp.path, ['--json', 'release', 'create', 'r1', '--all']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr + r.stdout, /USAGE_INVALID/);
    assert.match(r.stderr + r.stdout, /--target/);
  } finally {
    tmp.cleanup();
  }
});
