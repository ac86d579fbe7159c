// The CLI loads only the command group a command line names (src/cli/program.ts): the table it
// goes by must say exactly what each group registers, and every way of writing a command line
// must still reach its command, its help, or commander's suggestion.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { COMMAND_GROUPS, commandWord, packageVersion } from '../../src/cli/program.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

test('each command group registers exactly the commands the table lists for it', async () => {
  const seen = new Set<string>();
  for (const group of COMMAND_GROUPS) {
    const program = new Command();
    (await group.load()).register(program);
    const registered = program.commands.flatMap((c) => [c.name(), ...c.aliases()]).sort();
    assert.deepEqual(registered, [...group.commands].sort());
    for (const name of registered) {
      assert.ok(!seen.has(name), `${name} is in two groups`);
      seen.add(name);
    }
  }
});

test('commandWord skips global options and their values', () => {
  assert.equal(commandWord(['files']), 'files');
  assert.equal(commandWord(['--data', 'x', 'files', '--state', 'approved']), 'files');
  assert.equal(commandWord(['-d', 'x', '-c', 'y.toml', '--json', 'add', 'p.whl']), 'add');
  assert.equal(commandWord(['--data=x', '-dother', '--json', 'mirror', 'six']), 'mirror');
  assert.equal(commandWord(['--', 'files']), 'files');
  assert.equal(commandWord(['--json']), undefined);
  assert.equal(commandWord(['--data']), undefined);
  assert.equal(commandWord([]), undefined);
});

test('the real CLI: version, a command after global options, full help, a typo, a nested help', () => {
  const tmp = tempDir('pyvet-program-');
  try {
    const data = tmp.path;
    const version = runCli(data, ['--version']);
    assert.equal(version.status, 0);
    assert.equal(version.stdout.trim(), packageVersion());

    assert.equal(runCli(data, ['init']).status, 0);
    const files = runCli(data, ['--data', data, '--json', 'files']);
    assert.equal(files.status, 0, files.stderr);
    assert.ok(Array.isArray(JSON.parse(files.stdout)));

    // With no command, help lists every group's commands.
    const help = runCli(data, ['--help']);
    assert.equal(help.status, 0);
    for (const name of COMMAND_GROUPS.flatMap((g) => g.commands)) assert.match(help.stdout, new RegExp(`^  ${name}\\b`, 'm'));

    // A word no group lists loads them all, so commander still suggests the nearest command.
    const typo = runCli(data, ['fles']);
    assert.equal(typo.status, 2);
    assert.match(typo.stderr, /unknown command 'fles'/);
    assert.match(typo.stderr, /Did you mean files\?/);

    const nested = runCli(data, ['help', 'mirror']);
    assert.equal(nested.status, 0);
    assert.match(nested.stdout, /Usage: pyvet mirror/);
  } finally {
    tmp.cleanup();
  }
});

test('with --json, a usage error is the JSON error envelope on stdout, with the usual exit code', () => {
  const tmp = tempDir('pyvet-usage-');
  try {
    const data = tmp.path;
    assert.equal(runCli(data, ['init']).status, 0);
    const cases: [string[], RegExp][] = [
      [['--json', 'approve', 'x.whl'], /^required option '-r, --reason <text>' not specified$/],
      [['approve', 'x.whl', '--json'], /^required option '-r, --reason <text>' not specified$/],
      [['--json', 'files', '--bogus'], /^unknown option '--bogus'$/],
      [['--json', 'fles'], /^unknown command 'fles'/],
      [['--json', 'release', 'show'], /^missing required argument 'name'$/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(data, args);
      assert.equal(r.status, 2, args.join(' '));
      const out = JSON.parse(r.stdout) as { error: { code: string; kind: string; message: string } };
      assert.deepEqual([out.error.code, out.error.kind], ['USAGE_INVALID', 'invalid'], args.join(' '));
      assert.match(out.error.message, message, args.join(' '));
    }
    // Without --json: commander's text on stderr, as before.
    const text = runCli(data, ['approve', 'x.whl']);
    assert.equal(text.status, 2);
    assert.equal(text.stdout, '');
    assert.match(text.stderr, /error: required option '-r, --reason <text>' not specified/);
    // --json after '--' is an argument, not the option.
    const after = runCli(data, ['approve', '--', '--json']);
    assert.equal(after.status, 2);
    assert.equal(after.stdout, '');
  } finally {
    tmp.cleanup();
  }
});
