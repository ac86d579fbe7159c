// A configuration file named with --config or PYVET_CONFIG must be there: a mistyped name is
// CONFIG_INVALID (exit 2) naming the path, never a silent fall back to defaults (which would turn
// anonymous reading back on). The default <data>/pyvet.toml may still be absent.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { PyvetError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

describe('the configuration file', () => {
  const tmp = tempDir('pyvet-config-');
  const dataDir = join(tmp.path, 'data');
  const good = join(tmp.path, 'good.toml');
  const missing = join(tmp.path, 'typo.toml');
  before(() => {
    const r = runCli(dataDir, ['init']);
    assert.equal(r.status, 0, r.stderr);
    writeFileSync(good, '[server]\nanonymous_read = false\n');
    mkdirSync(join(tmp.path, 'a-directory.toml'));
  });
  after(() => tmp.cleanup());

  it('a missing file named with --config is CONFIG_INVALID naming it (exit 2)', () => {
    const r = runCli(dataDir, ['--config', missing, 'audit', 'verify']);
    assert.equal(r.status, 2, r.stdout);
    assert.match(r.stderr, /CONFIG_INVALID/);
    assert.ok(r.stderr.includes(`given with --config ${missing} does not exist`), r.stderr);
  });

  it('a missing file named by PYVET_CONFIG is CONFIG_INVALID naming it (exit 2)', () => {
    const r = runCli(dataDir, ['audit', 'verify'], { PYVET_CONFIG: missing });
    assert.equal(r.status, 2, r.stdout);
    assert.ok(r.stderr.includes(`named by PYVET_CONFIG ${missing} does not exist`), r.stderr);
    const empty = runCli(dataDir, ['audit', 'verify'], { PYVET_CONFIG: '' });
    assert.equal(empty.status, 2, empty.stdout);
    assert.match(empty.stderr, /CONFIG_INVALID.*empty path/);
  });

  it('a directory named as the configuration file is CONFIG_INVALID', () => {
    const r = runCli(dataDir, ['--config', join(tmp.path, 'a-directory.toml'), 'audit', 'verify']);
    assert.equal(r.status, 2, r.stdout);
    assert.match(r.stderr, /a-directory\.toml is not a regular file/);
  });

  it('a named file that exists is read; an absent default file still means defaults', () => {
    assert.equal(loadConfig({ dataDir, configFile: good, env: {} }).server.anonymous_read, false);
    assert.equal(loadConfig({ dataDir, env: { PYVET_CONFIG: good } }).server.anonymous_read, false);
    assert.throws(
      () => loadConfig({ dataDir, configFile: missing, env: {} }),
      (e: unknown) => e instanceof PyvetError && e.code === 'CONFIG_INVALID' && e.kind === 'invalid' && e.details?.file === missing,
    );
    rmSync(join(dataDir, 'pyvet.toml'));
    assert.equal(loadConfig({ dataDir, env: {} }).server.anonymous_read, true);
    const r = runCli(dataDir, ['audit', 'verify']);
    assert.equal(r.status, 0, r.stderr);
  });

  it('init writes the file --config or PYVET_CONFIG names, which need not exist yet; later commands read it', () => {
    for (const [flag, env] of [
      [true, {}],
      [false, { PYVET_CONFIG: join(tmp.path, 'by-env.toml') }],
    ] as const) {
      const data = join(tmp.path, flag ? 'init-flag' : 'init-env');
      const file = flag ? join(tmp.path, 'by-flag.toml') : env.PYVET_CONFIG!;
      const r = runCli(data, [...(flag ? ['--config', file] : []), 'init'], env);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(existsSync(file), `${file} was written`);
      assert.equal(existsSync(join(data, 'pyvet.toml')), false, 'not a second copy in the data dir');
      const again = runCli(data, [...(flag ? ['--config', file] : []), 'audit', 'verify'], env);
      assert.equal(again.status, 0, again.stderr);
    }
  });
});
