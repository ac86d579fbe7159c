// The mirror against hostile or failing upstreams on loopback: credentials stay with the index's
// origin, downloads are bounded, links cannot reach local files, one failing page does not sink
// the run, and a requirements file means what pip says it means.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { PyvetError } from '../../src/errors.js';
import { signManifest } from '../../src/releases/signing.js';
import { initRepository, openRepository } from '../../src/repository/index.js';
import type { Repository } from '../../src/repository/types.js';
import { getTargets } from '../../src/resolve/targets.js';
import { download } from '../../src/upstream/http.js';
import { mirror } from '../../src/upstream/mirror.js';
import { addUpstream } from '../../src/upstream/upstreams.js';
import { runCli, runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { type Loopback, serveDir, startLoopback, wheel, writeIndex } from './loopback.js';

const ADMIN = { name: 'cli:test', role: 'admin' as const };
const TARGET = 'cp311-manylinux_x86_64';

async function newRepo(dir: string): Promise<Repository> {
  await initRepository(dir, { logLevel: 'warn' });
  return openRepository({ dataDir: dir, logLevel: 'warn' });
}

describe('upstream credentials go only to the index origin', () => {
  const tmp = tempDir();
  const creds = { username: 'alice', password: 's3cret-token' };
  let index: Loopback;
  let cdn: Loopback;
  let repo: Repository;

  before(async () => {
    const local = wheel('on-index', '1.0');
    const remote = wheel('on-cdn', '1.0');
    // The CDN serves its files to anyone, and records what it is sent.
    writeIndex(join(tmp.path, 'cdn'), [remote]);
    cdn = await startLoopback(serveDir(join(tmp.path, 'cdn')));
    writeIndex(join(tmp.path, 'index'), [local]);
    writeIndex(join(tmp.path, 'index'), [remote], `${cdn.url}/files/`);
    index = await startLoopback(serveDir(join(tmp.path, 'index')), { basic: creds });
    repo = await newRepo(join(tmp.path, 'data'));
    process.env.PYVET_TEST_UPSTREAM_TOKEN = creds.password;
    await addUpstream(repo, { name: 'private', url: `${index.url}/simple/`, username: creds.username, passwordEnv: 'PYVET_TEST_UPSTREAM_TOKEN' }, ADMIN);
  });
  after(async () => {
    delete process.env.PYVET_TEST_UPSTREAM_TOKEN;
    await repo.close();
    await index.close();
    await cdn.close();
    tmp.cleanup();
  });

  test('a file linked on another host is fetched without the Authorization header', async () => {
    const r = await mirror(repo, { actor: ADMIN, requirements: ['on-index', 'on-cdn'], targets: getTargets(repo.config, [TARGET]) });
    assert.deepEqual(r.failed, []);
    assert.deepEqual(r.fetched.map((f) => f.filename).sort(), ['on_cdn-1.0-py3-none-any.whl', 'on_index-1.0-py3-none-any.whl']);
    assert.ok(cdn.requests.some((q) => q.path.endsWith('on_cdn-1.0-py3-none-any.whl')));
    for (const q of cdn.requests) assert.equal(q.headers.authorization, undefined, `${q.path} was sent the upstream's credentials`);
    // The index's own files still get them (it answers 401 otherwise).
    assert.ok(index.requests.some((q) => q.path.endsWith('on_index-1.0-py3-none-any.whl') && q.headers.authorization));
  });
});

/** A PEP 691 page listing files with the given (possibly lying) sizes. */
function jsonPage(name: string, files: { filename: string; sha256: string; size?: number }[]): string {
  return JSON.stringify({
    meta: { 'api-version': '1.1' },
    name,
    files: files.map((f) => ({
      filename: f.filename,
      url: `../../files/${f.filename}`,
      hashes: { sha256: f.sha256 },
      ...(f.size === undefined ? {} : { size: f.size }),
    })),
  });
}

describe('downloads are bounded', () => {
  const tmp = tempDir();
  let up: Loopback;
  let repo: Repository;
  const real = wheel('honest', '1.0');
  let endlessSent = 0;
  let endlessClosed = false;

  before(async () => {
    up = await startLoopback((_req, res, path) => {
      const send = (body: string | Buffer, type: string) => res.writeHead(200, { 'content-type': type }).end(body);
      const json = 'application/vnd.pypi.simple.v1+json';
      if (path === '/simple/endless/') {
        return send(jsonPage('endless', [{ filename: 'endless-1.0-py3-none-any.whl', sha256: 'a'.repeat(64) }]), json);
      }
      if (path === '/simple/understated/') {
        return send(jsonPage('understated', [{ filename: real.filename.replace('honest', 'understated'), sha256: real.sha256, size: 100 }]), json);
      }
      if (path === '/simple/overstated/') {
        const size = real.bytes.length + 10;
        return send(jsonPage('overstated', [{ filename: real.filename.replace('honest', 'overstated'), sha256: real.sha256, size }]), json);
      }
      if (path === '/simple/huge/') {
        return send(jsonPage('huge', [{ filename: 'huge-1.0-py3-none-any.whl', sha256: 'b'.repeat(64), size: 10 * 1024 ** 3 }]), json);
      }
      if (path === '/files/endless-1.0-py3-none-any.whl') {
        // No Content-Length, and no end: only the client can stop it.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 7);
        res.on('close', () => {
          endlessClosed = true;
        });
        const pump = () => {
          while (!res.destroyed && endlessSent < 512 * 1024 * 1024) {
            endlessSent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
        };
        return pump();
      }
      if (path.startsWith('/files/')) {
        // Every other file is the honest wheel's bytes, streamed without a Content-Length.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return void res.end(real.bytes);
      }
      res.writeHead(404).end();
    });
    repo = await newRepo(join(tmp.path, 'data'));
    repo.config.limits.max_file_bytes = 4 * 1024 * 1024;
  });
  after(async () => {
    await repo.close();
    await up.close();
    tmp.cleanup();
  });

  const leftovers = () => {
    const work = join(repo.config.data_dir, 'tmp', 'mirror');
    return existsSync(work) ? readdirSync(work, { recursive: true }).filter((f) => /\.whl/.test(String(f))) : [];
  };

  test('an endless body is cut off at limits.max_file_bytes, and nothing is kept', async () => {
    const r = await mirror(repo, { actor: ADMIN, requirements: ['endless'], from: `${up.url}/simple/`, targets: getTargets(repo.config, [TARGET]) });
    assert.deepEqual(r.failed.map((f) => f.code), ['UPSTREAM_FILE_TOO_LARGE']);
    assert.match(r.failed[0]!.message, /max_file_bytes/);
    assert.equal(r.fetched.length, 0);
    assert.deepEqual(leftovers(), []);
    assert.equal((await repo.catalog.files.list()).length, 0);
    await new Promise((res) => setTimeout(res, 50));
    assert.ok(endlessClosed, 'the connection was left open');
    // Cut off near the limit, not after the 512 MB the server would have sent.
    assert.ok(endlessSent < 64 * 1024 * 1024, `${endlessSent} bytes were sent`);
  });

  test('a body longer or shorter than the PEP 700 size the index gives is refused', async () => {
    const r = await mirror(repo, {
      actor: ADMIN,
      requirements: ['understated', 'overstated'],
      from: `${up.url}/simple/`,
      targets: getTargets(repo.config, [TARGET]),
    });
    assert.deepEqual(r.failed.map((f) => f.code), ['UPSTREAM_SIZE_MISMATCH', 'UPSTREAM_SIZE_MISMATCH']);
    assert.equal(r.fetched.length, 0);
    assert.deepEqual(leftovers(), []);
    assert.equal((await repo.catalog.files.list()).length, 0);
  });

  test('a file the index says is over the limit is not downloaded at all', async () => {
    const r = await mirror(repo, { actor: ADMIN, requirements: ['huge'], from: `${up.url}/simple/`, targets: getTargets(repo.config, [TARGET]) });
    assert.deepEqual(r.failed.map((f) => f.code), ['UPSTREAM_FILE_TOO_LARGE']);
    assert.ok(!up.requests.some((q) => q.path.startsWith('/files/huge')));
  });
});

describe('responses the mirror gives up on are closed, never drained', () => {
  const tmp = tempDir();
  let up: Loopback;
  let repo: Repository;
  const retried = wheel('retried', '1.0');
  const stalled = wheel('stalled', '1.0');
  // Every body this upstream starts, and whether its connection was closed.
  const bodies: { path: string; status: number; closed: boolean }[] = [];
  let served503 = false;
  let sent503 = 0;

  before(async () => {
    up = await startLoopback((_req, res, path) => {
      const json = 'application/vnd.pypi.simple.v1+json';
      const track = (status: number) => {
        const body = { path, status, closed: false };
        bodies.push(body);
        res.on('close', () => {
          body.closed = true;
        });
      };
      for (const w of [retried, stalled]) {
        if (path === `/simple/${w.name}/`) return void res.writeHead(200, { 'content-type': json }).end(jsonPage(w.name, [w]));
      }
      if (path === `/files/${retried.filename}` && !served503) {
        // A 503 whose body never ends: retrying must not mean reading it to its end first.
        served503 = true;
        track(503);
        res.writeHead(503, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          while (!res.destroyed && sent503 < 256 * 1024 * 1024) {
            sent503 += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
        };
        return pump();
      }
      if (path === `/files/${retried.filename}`) return void res.writeHead(200, { 'content-length': retried.bytes.length }).end(retried.bytes);
      if (path === `/files/${stalled.filename}`) {
        // Two bytes, then silence; a Range request is ignored and gets the same.
        track(200);
        res.writeHead(200, { 'content-length': stalled.bytes.length });
        return void res.write(stalled.bytes.subarray(0, 2));
      }
      res.writeHead(404).end();
    });
    repo = await newRepo(join(tmp.path, 'data'));
    repo.config.mirror.timeout_ms = 400;
    repo.config.mirror.retries = 1;
  });
  after(async () => {
    await repo.close();
    await up.close();
    tmp.cleanup();
  });

  test('an endless 503 is retried at once, and a stalled body that ignores Range fails as a timeout', async () => {
    const r = await mirror(repo, { actor: ADMIN, requirements: ['retried', 'stalled'], from: `${up.url}/simple/`, targets: getTargets(repo.config, [TARGET]) });
    assert.deepEqual(r.fetched.map((f) => f.filename), [retried.filename]);
    assert.deepEqual(r.failed.map((f) => f.code), ['UPSTREAM_TRANSFER_FAILED']);
    assert.match(r.failed[0]!.message, /nothing arrived for 0\.4 s after 2 bytes/);
    await new Promise((res) => setTimeout(res, 100));
    // Left open, each would keep the process alive (and the 503 spinning) after the summary.
    assert.ok(bodies.length >= 3, `bodies: ${JSON.stringify(bodies)}`);
    for (const b of bodies) assert.ok(b.closed, `${b.status} ${b.path} was left open`);
    assert.ok(sent503 < 32 * 1024 * 1024, `${sent503} bytes of the 503 were read`);
  });
});

describe('an http index cannot make the mirror read local files', () => {
  const tmp = tempDir();
  let up: Loopback;
  let repo: Repository;
  const secret = wheel('local-secret', '1.0');

  before(async () => {
    // A real wheel on this machine, and a remote page that links it by file: URL with its true hash.
    writeIndex(join(tmp.path, 'disk'), [secret]);
    const link = pathToFileURL(join(tmp.path, 'disk', 'files', secret.filename)).href;
    writeIndex(join(tmp.path, 'web'), [secret], link.slice(0, -secret.filename.length));
    up = await startLoopback(serveDir(join(tmp.path, 'web')));
    repo = await newRepo(join(tmp.path, 'data'));
  });
  after(async () => {
    await repo.close();
    await up.close();
    tmp.cleanup();
  });

  test('a file: link on an http page is a per-file failure, in a dry run too', async () => {
    for (const dryRun of [true, false]) {
      const r = await mirror(repo, { actor: ADMIN, requirements: ['local-secret'], from: `${up.url}/simple/`, targets: getTargets(repo.config, [TARGET]), dryRun });
      assert.deepEqual(r.failed.map((f) => f.code), ['UPSTREAM_LINK_REFUSED']);
      assert.equal(r.fetched.length, 0);
      assert.doesNotMatch(JSON.stringify(r), new RegExp(secret.sha256.slice(0, 16)), 'nothing about the local file may come back but what the page said');
    }
    assert.equal((await repo.catalog.files.list()).length, 0);
  });

  test('download refuses a file: URL linked from an http page', async () => {
    const url = pathToFileURL(join(tmp.path, 'disk', 'files', secret.filename)).href;
    await assert.rejects(
      download(url, join(tmp.path, 'out.whl'), { linkedFrom: `${up.url}/simple/local-secret/` }),
      (e: unknown) => e instanceof PyvetError && e.code === 'UPSTREAM_LINK_REFUSED',
    );
    assert.ok(!existsSync(join(tmp.path, 'out.whl')));
  });

  test('a file:// index may still link files on disk', async () => {
    const r = await mirror(repo, {
      actor: ADMIN,
      requirements: ['local-secret'],
      from: pathToFileURL(join(tmp.path, 'disk', 'simple')).href,
      targets: getTargets(repo.config, [TARGET]),
    });
    assert.deepEqual(r.failed, []);
    assert.deepEqual(r.fetched.map((f) => f.sha256), [secret.sha256]);
  });
});

describe('mirroring a signed release from a pyvet that needs credentials', () => {
  const tmp = tempDir();
  const creds = { username: 'mirror-bot', password: 'tok-release-0123456789' };
  let peer: Loopback;
  let repo: Repository;
  const data = join(tmp.path, 'data');
  const files = [wheel('rel-one', '1.0'), wheel('rel-two', '2.0')];

  before(async () => {
    const root = join(tmp.path, 'peer');
    writeIndex(root, files);
    peer = await startLoopback(serveDir(root), { basic: creds });
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const manifest = JSON.stringify({
      schema: 'pyvet.release/1',
      name: 'r1',
      created: '2026-01-01T00:00:00Z',
      base: null,
      index_url: `${peer.url}/simple/`,
      targets: {
        [TARGET]: {
          files: files.map((w) => ({ project: w.name, version: w.filename.split('-')[1], filename: w.filename, sha256: w.sha256 })),
        },
      },
    });
    mkdirSync(join(root, 'releases', 'r1'), { recursive: true });
    writeFileSync(join(root, 'releases', 'r1', 'manifest.json'), manifest);
    writeFileSync(join(root, 'releases', 'r1', 'manifest.json.sig'), signManifest(privateKey, manifest));
    writeFileSync(join(root, 'releases', 'signing-key.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    repo = await newRepo(data);
    process.env.PYVET_TEST_PEER_TOKEN = creds.password;
    await addUpstream(repo, { name: 'peer', url: `${peer.url}/simple/`, username: creds.username, passwordEnv: 'PYVET_TEST_PEER_TOKEN' }, ADMIN);
  });
  after(async () => {
    delete process.env.PYVET_TEST_PEER_TOKEN;
    await repo.close();
    await peer.close();
    tmp.cleanup();
  });

  test('--from naming the upstream lends its credentials to the release fetches', async () => {
    const r = await mirror(repo, { actor: ADMIN, release: { url: `${peer.url}/releases/r1/` }, from: 'peer', targets: getTargets(repo.config, [TARGET]) });
    assert.deepEqual(r.failed, []);
    assert.equal(r.release?.files, 2);
    assert.equal(r.release?.keySource, `${peer.url}/releases/signing-key.pub`);
    assert.deepEqual(r.fetched.map((f) => f.sha256).sort(), files.map((w) => w.sha256).sort());
    // Provenance in the audit log: which signed release, from where, verified with which key.
    const entry = (await repo.catalog.audit.list()).find((e) => e.action === 'release.mirror');
    assert.ok(entry, 'a release.mirror audit entry');
    assert.equal(entry.subject, 'r1');
    assert.equal(entry.details.keyFingerprint, r.release?.keyFingerprint);
    assert.equal(entry.details.url, `${peer.url}/releases/r1/`);
    assert.deepEqual(entry.details.fetchedFrom, [`${peer.url}/simple/`]);
    assert.deepEqual((entry.details.fetched as string[]).sort(), r.fetched.map((f) => f.filename).sort());
  });

  test('without --from, an upstream on the release origin lends its credentials', async () => {
    const r = await mirror(repo, { actor: ADMIN, release: { url: `${peer.url}/releases/r1/manifest.json` }, targets: getTargets(repo.config, [TARGET]) });
    assert.deepEqual([r.failed, r.unsatisfied], [[], []]);
    assert.equal(r.present.length, 2);
    assert.ok(peer.requests.some((q) => q.path === '/releases/r1/manifest.json' && q.headers.authorization));
  });

  test('credentials written in the release URL never appear in the text or JSON report', async () => {
    const withToken = `http://${creds.username}:${creds.password}@${peer.url.slice('http://'.length)}/releases/r1/`;
    await repo.close();
    try {
      for (const json of [false, true]) {
        const out = await runCliAsync(data, [...(json ? ['--json'] : []), 'mirror', '--release', withToken], { PYVET_TEST_PEER_TOKEN: creds.password });
        assert.equal(out.status, 0, out.stderr);
        assert.ok(!`${out.stdout}${out.stderr}`.includes(creds.password), `the token was printed:\n${out.stdout}${out.stderr}`);
        const audit = runCli(data, ['audit', 'export']);
        assert.ok(!audit.stdout.includes(creds.password), 'the token reached the audit log');
        if (json) {
          const release = (JSON.parse(out.stdout) as { release: { keySource: string; keyTrusted: boolean } }).release;
          assert.equal(release.keySource, `${peer.url}/releases/signing-key.pub`);
          assert.equal(release.keyTrusted, false);
        } else {
          // The key came from the release's own server: said, with how to pin the publisher.
          assert.match(out.stderr, /the key came from the release's own server: this proves the release is intact, not who published it/);
        }
      }
    } finally {
      repo = await openRepository({ dataDir: data, logLevel: 'warn' });
    }
  });
});

describe('one index page that fails does not sink the run', () => {
  const tmp = tempDir();
  let up: Loopback;
  const data = join(tmp.path, 'data');

  before(async () => {
    const root = join(tmp.path, 'up');
    writeIndex(root, [wheel('fine', '1.0')]);
    const files = serveDir(root);
    up = await startLoopback((req, res, path) => {
      if (path.startsWith('/simple/flaky/')) return void res.writeHead(500).end();
      files(req, res, path);
    });
    await initRepository(data, { logLevel: 'warn' });
  });
  after(async () => {
    await up.close();
    tmp.cleanup();
  });

  test('the failing project is unsatisfied with its code, the rest is stored, and the summary prints', async () => {
    const env = { PYVET_MIRROR__RETRIES: '1' };
    const args = ['mirror', 'flaky', 'fine', '--from', `${up.url}/simple/`];
    const json = await runCliAsync(data, ['--json', ...args], env);
    assert.equal(json.status, 1, json.stderr);
    const r = JSON.parse(json.stdout) as { fetched: { filename: string }[]; unsatisfied: { requirement: string; code?: string; reason: string }[] };
    assert.deepEqual(r.fetched.map((f) => f.filename), ['fine-1.0-py3-none-any.whl']);
    assert.deepEqual(r.unsatisfied.map((u) => [u.requirement, u.code]), [['flaky', 'UPSTREAM_HTTP_ERROR']]);
    assert.match(r.unsatisfied[0]!.reason, /HTTP 500/);
    const text = await runCliAsync(data, args, env);
    assert.equal(text.status, 1, text.stderr);
    assert.match(`${text.stdout}${text.stderr}`, /unsatisfied flaky .*HTTP 500 \[UPSTREAM_HTTP_ERROR\]/);
    assert.match(`${text.stdout}${text.stderr}`, /already present 1, refused 0, unsatisfied 1, failed 0/);
  });
});

describe('a -r requirements file means what pip says it means', () => {
  const tmp = tempDir();
  let up: Loopback;
  let repo: Repository;
  const W = {
    alpha1: wheel('alpha', '1.0'),
    alpha15: wheel('alpha', '1.5'),
    alphaRc: wheel('alpha', '2.0rc1'),
    beta: wheel('beta', '1.0'),
    gamma: wheel('gamma', '1.0'),
    delta: wheel('delta', '1.0'),
    multi: wheel('multi', '1.0', ['dep-linux; sys_platform == "linux"', 'dep-win; sys_platform == "win32"']),
    depLinux: wheel('dep-linux', '1.0'),
    depWin: wheel('dep-win', '1.0'),
    pinsUser: wheel('pins-user', '1.0', ['pinned-dep>=1']),
    pinnedDep1: wheel('pinned-dep', '1.0'),
    pinnedDep2: wheel('pinned-dep', '2.0'),
  };
  const LINUX = 'cp311-manylinux_x86_64';
  const WINDOWS = 'cp311-win_amd64';
  const file = (text: string, extra: { path?: string } = {}) => ({ text, source: 'reqs.txt', ...extra });
  const names = (r: { fetched: { filename: string }[]; present: { filename: string }[] }) =>
    [...r.fetched, ...r.present].map((f) => f.filename).sort();
  const downloaded = (project: string) => up.requests.some((q) => q.path.startsWith(`/files/${project}-`));

  before(async () => {
    writeIndex(join(tmp.path, 'up'), Object.values(W));
    up = await startLoopback(serveDir(join(tmp.path, 'up')));
    repo = await newRepo(join(tmp.path, 'data'));
  });
  after(async () => {
    await repo.close();
    await up.close();
    tmp.cleanup();
  });
  const run = (requirementsFile: { text: string; source: string; path?: string } | undefined, extra: { requirements?: string[]; targets?: string[]; withDeps?: boolean } = {}) =>
    mirror(repo, {
      actor: ADMIN,
      ...(requirementsFile ? { requirementsFile } : {}),
      requirements: extra.requirements ?? [],
      from: `${up.url}/simple/`,
      targets: getTargets(repo.config, extra.targets ?? [LINUX]),
      withDeps: extra.withDeps ?? false,
    });

  test('a line pinned only by sha384/sha512 is refused, not fetched unpinned', async () => {
    const r = await run(file(`alpha==1.0 --hash=sha512:${'ab'.repeat(64)}\n`));
    assert.deepEqual(names(r), []);
    assert.equal(r.unsatisfied.length, 1);
    assert.match(r.unsatisfied[0]!.reason, /sha512.*sha256/);
    assert.ok(!downloaded('alpha'));
  });

  test('hash pins must also satisfy the version specifier', async () => {
    const r = await run(file(`alpha==1.0 --hash=sha256:${W.alphaRc.sha256}\n`));
    assert.deepEqual(names(r), []);
    assert.match(r.unsatisfied[0]?.reason ?? '', /2\.0rc1, which does not satisfy '==1.0'/);
    assert.ok(!downloaded('alpha'));
    // A specifier that names the pre-release admits it, as pip does.
    const ok = await run(file(`alpha==2.0rc1 --hash=sha256:${W.alphaRc.sha256}\n`));
    assert.deepEqual(names(ok), [W.alphaRc.filename]);
  });

  test('top-level markers are evaluated per target, for arguments and -r lines alike', async () => {
    const r = await run(file('delta; sys_platform == "win32"\n'), { requirements: ['gamma; sys_platform == "win32"'] });
    assert.deepEqual([names(r), r.unsatisfied], [[], []]);
    assert.ok(!up.requests.some((q) => q.path.includes('delta') || q.path.includes('gamma')));
    const win = await run(file('delta; sys_platform == "win32"\n'), { targets: [LINUX, WINDOWS] });
    assert.deepEqual(names(win), [W.delta.filename]);
  });

  test('with several targets, dependencies of pinned files are followed for every target', async () => {
    const r = await run(file(`multi==1.0 --hash=sha256:${W.multi.sha256}\n`), { targets: [LINUX, WINDOWS], withDeps: true });
    assert.deepEqual(names(r), [W.depLinux.filename, W.depWin.filename, W.multi.filename].sort());
    assert.deepEqual(r.unsatisfied, []);
  });

  test("with --with-deps, a dependency on a project the file pins gets those pinned bytes or nothing", async () => {
    const user = `pins-user==1.0 --hash=sha256:${W.pinsUser.sha256}\n`;
    // Pinned to bytes no upstream has: neither the pinned version nor a newer one comes in as a dependency.
    const wrong = await run(file(`${user}pinned-dep==1.0 --hash=sha256:${'0'.repeat(64)}\n`), { withDeps: true });
    assert.deepEqual(names(wrong), [W.pinsUser.filename]);
    assert.deepEqual(wrong.unsatisfied.map((u) => [u.requirement, u.neededBy]), [
      ['pinned-dep==1.0', []],
      ['pinned-dep>=1', ['pins-user']],
    ]);
    assert.ok(!downloaded('pinned_dep'));
    // Pinned to 1.0: the dependency is the pinned 1.0, not the newest 2.0.
    const right = await run(file(`${user}pinned-dep==1.0 --hash=sha256:${W.pinnedDep1.sha256}\n`), { withDeps: true });
    assert.deepEqual(names(right), [W.pinnedDep1.filename, W.pinsUser.filename]);
    assert.deepEqual(right.unsatisfied, []);
    assert.ok(!up.requests.some((q) => q.path === `/files/${W.pinnedDep2.filename}`));
  });

  test('in hash-checking mode a line without --hash is refused, not fetched', async () => {
    for (const head of ['', '--require-hashes\n']) {
      const r = await run(file(`${head}gamma==1.0 --hash=sha256:${W.gamma.sha256}\nbeta==1.0\n`));
      assert.deepEqual(names(r), [W.gamma.filename]);
      assert.deepEqual(r.unsatisfied.map((u) => u.requirement), ['beta==1.0']);
      assert.match(r.unsatisfied[0]!.reason, /hash-checking mode/);
    }
    assert.ok(!downloaded('beta'));
  });

  test('nested -r and -c files are followed relative to the including file', async () => {
    mkdirSync(join(tmp.path, 'reqs', 'sub'), { recursive: true });
    writeFileSync(join(tmp.path, 'reqs', 'sub', 'more.txt'), 'beta==1.0\n-c ../cons.txt\n');
    writeFileSync(join(tmp.path, 'reqs', 'cons.txt'), 'alpha<1.5\n');
    const main = join(tmp.path, 'reqs', 'main.txt');
    writeFileSync(main, '-r sub/more.txt\nalpha\n');
    const r = await run({ text: '-r sub/more.txt\nalpha\n', source: main, path: main });
    assert.deepEqual(names(r), [W.alpha1.filename, W.beta.filename].sort());
    // An include that cannot be followed is an error naming its line, never silently dropped.
    await assert.rejects(run(file('alpha\n-r other.txt\n')), (e: unknown) => e instanceof PyvetError && /reqs\.txt:2/.test(e.message));
    await assert.rejects(run({ text: '-c missing.txt\n', source: main, path: main }), (e: unknown) => e instanceof PyvetError && e.code === 'REQUIREMENTS_INCLUDE_UNREADABLE');
  });
});
