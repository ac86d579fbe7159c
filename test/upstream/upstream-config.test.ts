// [[upstreams]] tables in pyvet.toml go through the checks `upstream add` makes, with the same
// messages naming the file and the table; an invalid one makes the command fail when upstreams
// are loaded (not later, at mirror time); and `upstream remove` of a configured upstream says it
// is defined in the configuration file and must be removed there.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initRepository } from '../../src/repository/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

describe('[[upstreams]] in pyvet.toml', () => {
  const tmp = tempDir();
  const data = join(tmp.path, 'data');
  const file = join(data, 'pyvet.toml');
  let original = '';
  before(async () => {
    await initRepository(data, { logLevel: 'warn' });
    original = readFileSync(file, 'utf8');
  });
  after(() => tmp.cleanup());

  const withTables = (...tables: string[]) => writeFileSync(file, `${original}\n${tables.map((t) => `[[upstreams]]\n${t}\n`).join('\n')}`);

  test('a valid one is listed and used as configured', () => {
    withTables('name = "cfg"\nurl = "https://example.invalid/simple"\npriority = 5\npassword_env = "CFG_TOKEN"');
    const r = runCli(data, ['--json', 'upstream', 'list']);
    assert.equal(r.status, 0, r.stderr);
    const [u] = JSON.parse(r.stdout) as { name: string; url: string; priority: number; passwordEnv: string; source: string }[];
    assert.deepEqual([u?.name, u?.url, u?.priority, u?.passwordEnv, u?.source], ['cfg', 'https://example.invalid/simple/', 5, 'CFG_TOKEN', 'config']);
  });

  test('what upstream add refuses is refused, with its message, the file and the table', () => {
    const cases: [string, RegExp][] = [
      ['name = "cfg"\nurl = "https://example.invalid/simple/"\npriority = -5', /priority must be a whole number from 0 to 1000000 \(lower is preferred\), not '-5'/],
      ['name = "cfg"\nurl = "https://example.invalid/simple/"\npriority = 1.5', /priority must be a whole number/],
      ['name = "cfg"\nurl = "https://example.invalid/simple/"\npriority = 1000001', /priority must be a whole number/],
      ['name = "cfg"\nurl = "https://example.invalid/simple/"\npassword_env = "not a var!"', /'password_env' takes the NAME of an environment variable/],
      ['name = "bad name!"\nurl = "https://example.invalid/simple/"', /'bad name!' is not a valid upstream name \(letters, digits, \. _ -\)/],
      ['url = "https://example.invalid/simple/"', /'name' is required/],
      ['name = "cfg"\nurl = "https://bob:hunter2@example.invalid/simple/"', /never in the URL/],
    ];
    for (const [i, [table, message]] of cases.entries()) {
      withTables('name = "good"\nurl = "https://example.invalid/simple/"', table);
      // Every command that loads upstreams fails the same way (checked for the first case).
      const commands = i === 0 ? [['upstream', 'list'], ['outdated'], ['mirror', 'foo'], ['upstream', 'add', 'x', 'https://x.invalid/'], ['upstream', 'remove', 'good']] : [['upstream', 'list']];
      for (const args of commands) {
        const r = runCli(data, args);
        assert.equal(r.status, 2, `${table} / ${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, /UPSTREAM_INVALID/);
        assert.match(r.stderr, message, r.stderr);
        assert.ok(r.stderr.includes(`${file}, [[upstreams]] table #2`), r.stderr);
        assert.doesNotMatch(r.stderr, /hunter2/);
      }
    }
  });

  test('two tables with one name are a conflict', () => {
    withTables('name = "cfg"\nurl = "https://a.invalid/simple/"', 'name = "cfg"\nurl = "https://b.invalid/simple/"');
    const r = runCli(data, ['upstream', 'list']);
    assert.equal(r.status, 5, r.stderr);
    assert.match(r.stderr, /UPSTREAM_DUPLICATE.*table #2 \('cfg'\): upstream 'cfg' is defined already, in \[\[upstreams\]\] table #1/);
  });

  test('upstream remove of a configured upstream says where it is defined', () => {
    withTables('name = "cfg"\nurl = "https://example.invalid/simple/"');
    const r = runCli(data, ['upstream', 'remove', 'cfg']);
    assert.equal(r.status, 5, r.stderr);
    assert.match(r.stderr, /UPSTREAM_IN_CONFIG/);
    assert.ok(r.stderr.includes(`defined in the configuration file ${file}`), r.stderr);
    assert.match(r.stderr, /remove it there/);
    const missing = runCli(data, ['upstream', 'remove', 'nothere']);
    assert.equal(missing.status, 4, missing.stderr);
    assert.match(missing.stderr, /no upstream named 'nothere'/);
  });
});
