// `pyvet upstream add --priority`: a whole number in range, or a clear invalid-input error
// (never an internal error from the catalog, never a silently truncated rank).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PyvetError } from '../../src/errors.js';
import { initRepository, openRepository } from '../../src/repository/index.js';
import { chooseUpstreams } from '../../src/upstream/sources.js';
import { addUpstream } from '../../src/upstream/upstreams.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

describe('upstream add --priority', () => {
  const tmp = tempDir();
  const data = join(tmp.path, 'data');
  before(async () => {
    await initRepository(data, { logLevel: 'warn' });
  });
  after(() => tmp.cleanup());

  test('anything but a whole number from 0 to 1000000 is refused as invalid input, and nothing is stored', () => {
    for (const bad of ['abc', '1.5', '-3', '1e3', '', '1000001']) {
      const r = runCli(data, ['upstream', 'add', 'u', 'https://example.invalid/simple/', '--priority', bad]);
      assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /UPSTREAM_INVALID/);
      assert.match(r.stderr, /priority must be a whole number/);
    }
    const list = runCli(data, ['--json', 'upstream', 'list']);
    assert.deepEqual(JSON.parse(list.stdout), []);
    const ok = runCli(data, ['--json', 'upstream', 'add', 'u', 'https://example.invalid/simple/', '--priority', '7']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { priority: number }).priority, 7);
  });

  test('the library refuses a fractional priority too', async () => {
    const repo = await openRepository({ dataDir: data, logLevel: 'warn' });
    try {
      await assert.rejects(
        addUpstream(repo, { name: 'v', url: 'https://example.invalid/simple/', priority: 1.5 }, { name: 'cli:test', role: 'admin' }),
        (e: unknown) => e instanceof PyvetError && e.code === 'UPSTREAM_INVALID',
      );
    } finally {
      await repo.close();
    }
  });

  test('chooseUpstreams, for library callers: a URL scheme in any case, and no password in "no upstream named"', async () => {
    const repo = await openRepository({ dataDir: data, logLevel: 'warn' });
    try {
      const [adHoc] = await chooseUpstreams(repo, 'HTTPS://example.invalid/simple/');
      assert.equal(adHoc?.url, 'https://example.invalid/simple/');
      await assert.rejects(chooseUpstreams(repo, 'htps://bob:s3cr/et@example.invalid/'), (e: unknown) => {
        assert.ok(e instanceof PyvetError && e.code === 'UPSTREAM_NOT_FOUND', String(e));
        assert.doesNotMatch(e.message, /s3cr|bob/);
        return true;
      });
    } finally {
      await repo.close();
    }
  });

  test('a malformed URL is refused without echoing what looks like a password', () => {
    const r = runCli(data, ['upstream', 'add', 'w', 'http://svc:S3cr3tT0ken@[bad/simple/']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /UPSTREAM_INVALID/);
    assert.doesNotMatch(r.stderr + r.stdout, /S3cr3tT0ken/);
  });

  // Passwords with the characters that end a URL's authority (or add another '@'): none of it is echoed.
  const passwords = ['hun/ter2', 'hun#ter2', 'hun?ter2', 'hun@ter2', 'h/u#n?t@er2', 'hun\\ter2'];
  const urls = [
    ...passwords.flatMap((pw) => [`http://bob:${pw}@127.0.0.1:38472/simple/`, `http://bob:${pw}@[bad/simple/`]),
    // Valid URLs, but not the scheme spelling or the schemes an upstream takes.
    'HTTPS://bob:hunter2@127.0.0.1:38472/simple/',
    'ftp://bob:hunter2@127.0.0.1:38472/simple/',
  ];

  test('upstream add never echoes the userinfo of a URL, whatever characters its password has', () => {
    for (const url of urls) {
      const r = runCli(data, ['upstream', 'add', 'x', url]);
      assert.equal(r.status, 2, `${url}: ${r.stderr}`);
      assert.match(r.stderr, /UPSTREAM_INVALID/);
      assert.doesNotMatch(r.stderr + r.stdout, /hun|ter2|er2|bob/, url);
    }
  });

  test('a query string or fragment is refused, its value not echoed, nothing stored', () => {
    for (const url of [
      'http://127.0.0.1:1/simple/?token=S3CRET',
      'http://127.0.0.1:1/simple?token=S3CRET',
      'http://127.0.0.1:1/simple/#S3CRET',
      'http://127.0.0.1:1/simple/?',
      'http://[bad/simple/?token=S3CRET',
    ]) {
      const r = runCli(data, ['upstream', 'add', 'q', url]);
      assert.equal(r.status, 2, `${url}: ${r.stderr}`);
      assert.match(r.stderr, /UPSTREAM_INVALID/);
      assert.doesNotMatch(r.stderr + r.stdout, /S3CRET/, url);
      if (URL.canParse(url)) assert.match(r.stderr, /a (query string|fragment).*--password-env/, url);
      const from = runCli(data, ['outdated', '--from', url]);
      assert.equal(from.status, 2, `--from ${url}: ${from.stderr}`);
      assert.doesNotMatch(from.stderr + from.stdout, /S3CRET/, url);
    }
    const list = runCli(data, ['--json', 'upstream', 'list']);
    assert.ok(!list.stdout.includes('S3CRET') && !list.stdout.includes('"q"'), list.stdout);
    const audit = runCli(data, ['audit', 'export']);
    assert.ok(!audit.stdout.includes('S3CRET'), audit.stdout);
  });

  test('neither do --from, --release and --release-key', () => {
    // Every character once (a long password with all of them) and the reported one, in each form.
    for (const url of urls.filter((u) => /h\/u#n|hun\/ter2|hunter2/.test(u))) {
      for (const args of [
        ['mirror', 'foo', '--from', url],
        ['outdated', '--from', url],
        ['mirror', '--release', url],
        ['mirror', '--release', 'http://127.0.0.1:1/releases/r/', '--release-key', url],
      ]) {
        const r = runCli(data, args, { PYVET_MIRROR__RETRIES: '0' });
        const out = r.stderr + r.stdout;
        assert.doesNotMatch(out, /hun|ter2|er2|bob/, `${args.join(' ')}: ${out}`);
        // --release may carry credentials in a URL that parses: then it is only unreachable (8).
        const reachable = URL.canParse(url) && args.some((a) => a.startsWith('--release'));
        assert.ok(r.status === 2 || (reachable && r.status === 8), `${args.join(' ')}: ${r.status} ${out}`);
      }
    }
  });
});
