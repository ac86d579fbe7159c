// The node flags pyvet runs with are written in several places that cannot import them (a
// shebang line, package.json scripts): they must say the same as src/cli/node-flags.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { missingFlags, NODE_FLAGS, SERVER_NODE_FLAGS } from '../../src/cli/node-flags.js';
import { ROOT } from '../helpers/paths.js';

const flagsOf = (command: string) => command.split(/\s+/).filter((w) => w.startsWith('--') && !w.startsWith('--silent'));

test("the CLI's shebang line carries NODE_FLAGS", () => {
  const first = readFileSync(join(ROOT, 'src', 'cli', 'main.ts'), 'utf8').split('\n', 1)[0]!;
  assert.match(first, /^#!\/usr\/bin\/env -S node /);
  assert.deepEqual(flagsOf(first), [...NODE_FLAGS]);
});

test('npm start runs the server with SERVER_NODE_FLAGS, npm run pyvet with NODE_FLAGS', () => {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.deepEqual(flagsOf(scripts.start!.split('&&').at(-1)!).sort(), [...SERVER_NODE_FLAGS].sort());
  assert.deepEqual(flagsOf(scripts.pyvet!), [...NODE_FLAGS]);
});

test('missingFlags keeps what the operator chose, by flag name', () => {
  assert.deepEqual(missingFlags([], SERVER_NODE_FLAGS), [...SERVER_NODE_FLAGS]);
  assert.deepEqual(missingFlags(['--max-semi-space-size=16', '--single-threaded-gc'], SERVER_NODE_FLAGS), ['--heap-growing-percent=300']);
  assert.deepEqual(missingFlags([...SERVER_NODE_FLAGS], SERVER_NODE_FLAGS), []);
});
