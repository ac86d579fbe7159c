// Settings are checked, from the environment and from the file alike: decimal whole numbers in
// each setting's range, a log level pino knows, base_url a plain http(s) URL without user name or
// password (never echoed), own settings only (no prototype members). Every failure is
// CONFIG_INVALID naming the setting and the variable or file it came from.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { PyvetError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

describe('configuration values', () => {
  const tmp = tempDir('pyvet-config-values-');
  const dataDir = join(tmp.path, 'data');
  before(() => {
    const r = runCli(dataDir, ['init']);
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => tmp.cleanup());

  /** Asserts loadConfig refuses `env` with CONFIG_INVALID whose message matches `message`. */
  function refusesEnv(env: Record<string, string>, message: RegExp): PyvetError {
    let caught: unknown;
    try {
      loadConfig({ dataDir, env });
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof PyvetError, `${JSON.stringify(env)} was accepted`);
    assert.equal(caught.code, 'CONFIG_INVALID', caught.message);
    assert.equal(caught.kind, 'invalid');
    assert.match(caught.message, message);
    return caught;
  }

  it('refuses numbers from the environment that are not decimal whole numbers in range', () => {
    for (const v of ['', '0x1F9A', '99999', '-5', '1.5', '1e3', ' 80']) {
      refusesEnv({ PYVET_PORT: v }, /environment variable PYVET_PORT \(server\.port\) must be a whole number from 0 to 65535/);
    }
    refusesEnv({ PYVET_MIRROR__CONCURRENCY: '' }, /PYVET_MIRROR__CONCURRENCY \(mirror\.concurrency\)/);
    refusesEnv({ PYVET_MIRROR__CONCURRENCY: '-3' }, /mirror\.concurrency/);
    refusesEnv({ PYVET_MIRROR__CONCURRENCY: '0' }, /mirror\.concurrency\) must be a whole number from 1 to/);
    refusesEnv({ PYVET_INGEST__WORKERS: '1e9' }, /ingest\.workers/);
    refusesEnv({ PYVET_INGEST__WORKERS: '1000000000' }, /ingest\.workers\) must be a whole number from 0 to 256, not 1000000000/);
    refusesEnv({ PYVET_LIMITS__MAX_FILE_BYTES: '-1' }, /limits\.max_file_bytes/);
    refusesEnv({ PYVET_LIMITS__MAX_FILE_BYTES: '0' }, /limits\.max_file_bytes/);
  });

  it('accepts good values, port 0 written as 0 included', () => {
    const c = loadConfig({ dataDir, env: { PYVET_PORT: '0', PYVET_INGEST__WORKERS: '0', PYVET_MIRROR__RETRIES: '0', PYVET_LOG_LEVEL: 'silent' } });
    assert.deepEqual([c.server.port, c.ingest.workers, c.mirror.retries, c.log_level], [0, 0, 0, 'silent']);
    const d = loadConfig({ dataDir, env: { PYVET_PORT: '8090', PYVET_BASE_URL: 'https://pypi.example.com/pypi/' } });
    assert.deepEqual([d.server.port, d.server.base_url], [8090, 'https://pypi.example.com/pypi/']);
    assert.equal(loadConfig({ dataDir, env: { PYVET_BASE_URL: '' } }).server.base_url, null, 'empty: derive from the request');
  });

  it('refuses a log level pino does not know', () => {
    refusesEnv({ PYVET_LOG_LEVEL: 'verbose' }, /PYVET_LOG_LEVEL \(log_level\) must be one of trace, debug, info, warn, error, fatal, silent/);
    refusesEnv({ PYVET_LOG_LEVEL: '' }, /log_level/);
  });

  it('refuses a base_url that is not a plain http(s) URL, never echoing a password', () => {
    refusesEnv({ PYVET_BASE_URL: 'not a url' }, /PYVET_BASE_URL \(server\.base_url\) must be an http/);
    refusesEnv({ PYVET_BASE_URL: 'ftp://h/' }, /must be an http/);
    refusesEnv({ PYVET_BASE_URL: 'https://h/?a=1' }, /query or fragment/);
    const e = refusesEnv({ PYVET_BASE_URL: 'https://u:s3cret@h/' }, /must not contain a user name or password/);
    assert.doesNotMatch(JSON.stringify({ m: e.message, d: e.details }), /s3cret/);
    const odd = refusesEnv({ PYVET_BASE_URL: 'https://u:s3cret@h:bad/' }, /base_url/);
    assert.doesNotMatch(JSON.stringify({ m: odd.message, d: odd.details }), /s3cret/);
  });

  it('refuses variables naming prototype members instead of settings', () => {
    for (const name of ['PYVET_SERVER__CONSTRUCTOR', 'PYVET_SERVER____PROTO__', 'PYVET_SERVER__TOSTRING', 'PYVET_CONSTRUCTOR__NAME']) {
      refusesEnv({ [name]: 'x' }, new RegExp(`environment variable ${name} names no setting`));
    }
  });

  it('applies the same checks to the configuration file, naming file and setting', () => {
    const cases: [string, RegExp][] = [
      ['[server]\nport = 99999\n', /'server\.port' must be a whole number from 0 to 65535, not 99999/],
      ['[server]\nport = 1.5\n', /'server\.port' must be a whole number/],
      ['[mirror]\nconcurrency = -3\n', /'mirror\.concurrency'/],
      ['log_level = "verbose"\n', /'log_level' must be one of/],
      ['[server]\nbase_url = "https://u:s3cret@h/"\n', /'server\.base_url' must not contain a user name or password/],
      ['[server]\nconstructor = 1\n', /unknown setting 'server\.constructor'/],
      ['[server]\n__proto__ = { polluted = true }\n', /unknown setting 'server\.__proto__'/],
      ['[constructor]\nname = "x"\n', /unknown setting 'constructor'/],
    ];
    for (const [i, [toml, message]] of cases.entries()) {
      const file = join(tmp.path, `bad-${i}.toml`);
      writeFileSync(file, toml);
      assert.throws(
        () => loadConfig({ dataDir, configFile: file, env: {} }),
        (e: unknown) =>
          e instanceof PyvetError &&
          e.code === 'CONFIG_INVALID' &&
          e.message.startsWith(file) &&
          message.test(e.message) &&
          !e.message.includes('s3cret'),
        toml,
      );
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('the CLI reports a bad value as CONFIG_INVALID (exit 2), not an internal error', () => {
    const envs: Record<string, string>[] = [{ PYVET_LOG_LEVEL: 'verbose' }, { PYVET_PORT: '99999' }, { PYVET_BASE_URL: 'https://u:s3cret@h/' }];
    for (const env of envs) {
      const r = runCli(dataDir, ['audit', 'verify'], env);
      assert.equal(r.status, 2, `${JSON.stringify(env)}: ${r.stderr}`);
      assert.match(r.stderr, /CONFIG_INVALID/);
      assert.doesNotMatch(r.stderr + r.stdout, /s3cret/);
    }
  });
});
