// What `release verify` proves and what release creation refuses, against a real server on
// 127.0.0.1 and real files: a key found beside the release proves integrity only (said, and
// pinnable by --key or --fingerprint), a manifest found under another release's name fails, a
// pinned file the index no longer serves fails --fetch-files; a lost private key is never
// replaced silently; index URLs and release names that would mislead are refused.
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PyvetError } from '../../src/errors.js';
import { createRelease, patchRelease } from '../../src/releases/service.js';
import { keyFingerprint, signingKey, signManifest } from '../../src/releases/signing.js';
import { verifyRelease } from '../../src/releases/verify.js';
import { rejectFiles } from '../../src/repository/states.js';
import { buildWheel, type WheelSpec, writeArchive } from '../helpers/archives.js';
import { runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { repoWith } from '../resolve/support.js';
import { ADMIN, addFiles, startTestServer, type TestServer } from '../server/support.js';

const LINUX = 'cp311-manylinux_x86_64';
const DOCS = ['manifest.json', 'manifest.json.sig', `${LINUX}.txt`, `${LINUX}.cdx.json`];

function w(name: string, version: string, lines: string[] = []): WheelSpec {
  return { name, version, metadata: ['Metadata-Version: 2.1', `Name: ${name}`, `Version: ${version}`, ...lines, '', ''].join('\n') };
}

/** A plain static server: what anyone who can write a web root serves (no pyvet in it). */
async function staticServer(root: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const p = join(root, decodeURIComponent(new URL(req.url!, 'http://x').pathname));
    if (!p.startsWith(root) || !existsSync(p)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200).end(readFileSync(p));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('release verify: whose key, which name, which files', () => {
  let s: TestServer;
  const tmp = tempDir('pyvet-trust-');
  let filenames: Record<string, string>;
  let pub: string;

  before(async () => {
    s = await startTestServer();
    const dir = join(tmp.path, 'wheels');
    mkdirSync(dir, { recursive: true });
    const built = [w('tr-a', '1.0', ['Requires-Dist: tr-b']), w('tr-b', '1.0')].map((spec) => {
      const { filename, bytes } = buildWheel(spec);
      return writeArchive(dir, filename, bytes);
    });
    await addFiles(s.repo, built, true);
    const r = await createRelease(
      s.repo,
      { name: 'r1', targets: [LINUX], requirements: ['tr-a'], indexUrl: `${s.url}/simple/`, created: '2026-11-29T10:00:00Z' },
      ADMIN,
    );
    filenames = Object.fromEntries(r.pins.map((p) => [p.project, p.filename]));
    pub = readFileSync(join(s.dataDir, 'keys', 'release-signing.pub'), 'utf8');
  });
  after(async () => {
    await s.stop();
    tmp.cleanup();
  });

  /** The release's documents copied into `dir` (named as given). */
  async function copyRelease(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    for (const path of DOCS) writeFileSync(join(dir, path), Buffer.from(await (await fetch(`${s.url}/releases/r1/${path}`)).arrayBuffer()));
  }

  it('says where the key came from, its fingerprint, and that a key beside the release is not pinned', async () => {
    const fp = keyFingerprint(pub);
    const der = createPublicKey(pub).export({ type: 'spki', format: 'der' });
    assert.equal(fp, `sha256:${createHash('sha256').update(der).digest('hex')}`);
    const unpinned = await verifyRelease(`${s.url}/releases/r1/`);
    assert.deepEqual([unpinned.ok, unpinned.keyTrusted, unpinned.keyFingerprint, unpinned.keySource], [true, false, fp, `${s.url}/releases/signing-key.pub`]);
    const pinned = await verifyRelease(`${s.url}/releases/r1/`, { fingerprint: fp.slice('sha256:'.length).toUpperCase() });
    assert.deepEqual([pinned.ok, pinned.keyTrusted], [true, true]);
    const given = await verifyRelease(`${s.url}/releases/r1/`, { publicKey: pub });
    assert.deepEqual([given.ok, given.keyTrusted, given.keySource], [true, true, 'given']);
    const strict = await verifyRelease(`${s.url}/releases/r1/`, { requireKey: true });
    assert.equal(strict.ok, false);
    assert.match(strict.problems.join('\n'), /not pinned/);
    await assert.rejects(verifyRelease(`${s.url}/releases/r1/`, { fingerprint: 'abc' }), (e: PyvetError) => e.code === 'VERIFY_FINGERPRINT_INVALID');
  });

  it('a swapped key and signature verify only as integrity, and fail against the pinned fingerprint', async () => {
    // Whoever can write the release's directory re-signs an edited manifest with a key of their own.
    const root = join(tmp.path, 'swapped');
    const dir = join(root, 'r1');
    await copyRelease(dir);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const manifest = readFileSync(join(dir, 'manifest.json'), 'utf8');
    writeFileSync(join(dir, 'manifest.json.sig'), signManifest(privateKey, manifest));
    writeFileSync(join(root, 'signing-key.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const unpinned = await verifyRelease(dir);
    assert.deepEqual([unpinned.ok, unpinned.keyTrusted, unpinned.keySource], [true, false, join(root, 'signing-key.pub')]);
    assert.notEqual(unpinned.keyFingerprint, keyFingerprint(pub));
    const pinned = await verifyRelease(dir, { fingerprint: keyFingerprint(pub) });
    assert.equal(pinned.ok, false);
    assert.equal(pinned.keyTrusted, false);
    assert.match(pinned.problems.join('\n'), /not the pinned sha256:[0-9a-f]{64}: this release was not signed by the publisher you pinned/);
    assert.equal((await verifyRelease(dir, { publicKey: pub })).signature, 'invalid');
  });

  it('fails a manifest found under another release name, on a server or in a directory', async () => {
    const web = join(tmp.path, 'web');
    await copyRelease(join(web, 'releases', '2026.12.01'));
    await copyRelease(join(web, 'releases', 'latest'));
    writeFileSync(join(web, 'releases', 'signing-key.pub'), pub);
    const http = await staticServer(web);
    try {
      const moved = await verifyRelease(`${http.url}/releases/2026.12.01/`, { publicKey: pub });
      assert.equal(moved.ok, false);
      assert.equal(moved.signature, 'valid');
      assert.deepEqual(moved.location, { name: '2026.12.01', ok: false });
      assert.match(moved.problems.join('\n'), /the manifest is release "r1", found as "2026\.12\.01"/);
      const viaManifest = await verifyRelease(`${http.url}/releases/2026.12.01/manifest.json`, { publicKey: pub });
      assert.equal(viaManifest.ok, false);
      // The alias of the newest release names none.
      const alias = await verifyRelease(`${http.url}/releases/latest/`, { publicKey: pub });
      assert.deepEqual([alias.ok, alias.location], [true, { name: null, ok: true }]);
    } finally {
      await http.close();
    }
    const local = await verifyRelease(join(web, 'releases', '2026.12.01', 'manifest.json'), { publicKey: pub });
    assert.equal(local.ok, false);
    assert.equal((await verifyRelease(join(web, 'releases', '2026.12.01'), { publicKey: pub, name: 'r1' })).ok, true);
    const cli = await runCliAsync(s.dataDir, ['release', 'verify', join(web, 'releases', '2026.12.01'), '--key', join(web, 'releases', 'signing-key.pub')]);
    assert.equal(cli.status, 1, cli.stdout + cli.stderr);
    assert.match(cli.stdout, /NOT VERIFIED/);
    assert.match(cli.stdout, /found as "2026\.12\.01"/);
  });

  it('the CLI prints the fingerprint and warns when the key was not pinned; --require-key fails', async () => {
    const fp = keyFingerprint(pub);
    const plain = await runCliAsync(s.dataDir, ['release', 'verify', `${s.url}/releases/r1/`]);
    assert.equal(plain.status, 0, plain.stdout + plain.stderr);
    assert.match(plain.stdout, /verified \(integrity only: the key was not pinned\)/);
    assert.ok(plain.stdout.includes(`key ${fp} from ${s.url}/releases/signing-key.pub`), plain.stdout);
    assert.match(plain.stderr, /warning .*not who published it.*--fingerprint sha256:[0-9a-f]{64}.*--key FILE/s);
    const json = await runCliAsync(s.dataDir, ['--json', 'release', 'verify', `${s.url}/releases/r1/`]);
    assert.equal(json.status, 0, json.stderr);
    assert.deepEqual(
      (({ ok, keyTrusted, keyFingerprint: k }) => ({ ok, keyTrusted, k }))(JSON.parse(json.stdout)),
      { ok: true, keyTrusted: false, k: fp },
    );
    const pinned = await runCliAsync(s.dataDir, ['release', 'verify', `${s.url}/releases/r1/`, '--fingerprint', fp]);
    assert.equal(pinned.status, 0, pinned.stdout + pinned.stderr);
    assert.doesNotMatch(pinned.stdout, /integrity only/);
    assert.doesNotMatch(pinned.stderr, /warning/);
    const strict = await runCliAsync(s.dataDir, ['release', 'verify', `${s.url}/releases/r1/`, '--require-key']);
    assert.equal(strict.status, 1, strict.stdout + strict.stderr);
    assert.match(strict.stdout, /NOT VERIFIED/);
    // The publisher reads the fingerprint where it reads its releases.
    const shown = await runCliAsync(s.dataDir, ['release', 'show', 'r1']);
    assert.equal(shown.status, 0, shown.stderr);
    assert.ok(shown.stdout.includes(`signing key: ${fp}`), shown.stdout);
    const shownJson = await runCliAsync(s.dataDir, ['--json', 'release', 'show', 'r1']);
    assert.deepEqual(JSON.parse(shownJson.stdout).signingKey, { fingerprint: fp, signsThisRelease: true });
    const listed = await runCliAsync(s.dataDir, ['release', 'list']);
    assert.ok(listed.stdout.includes(`signing key: ${fp}`), listed.stdout);
  });

  it('--fetch-files fails a pinned file the index no longer serves', async () => {
    await rejectFiles(s.repo, filenames['tr-b']!, ADMIN, 'withdrawn for the test');
    const v = await verifyRelease(`${s.url}/releases/r1/`, { fetchFiles: true, publicKey: pub });
    assert.equal(v.ok, false);
    assert.deepEqual(v.files.notServed, [filenames['tr-b']]);
    assert.deepEqual([v.files.ok, v.files.checked, v.files.unavailable], [1, 1, 0]);
    // Without --fetch-files nothing is fetched: not checked is not a failure.
    assert.equal((await verifyRelease(`${s.url}/releases/r1/`, { publicKey: pub })).ok, true);
    const cli = await runCliAsync(s.dataDir, ['release', 'verify', `${s.url}/releases/r1/`, '--fetch-files', '--fingerprint', keyFingerprint(pub)]);
    assert.equal(cli.status, 1, cli.stdout + cli.stderr);
    assert.match(cli.stdout, /NOT VERIFIED/);
    assert.match(cli.stdout, /files: 1\/1 match, 1 not served/);
    assert.ok(cli.stdout.includes(`${filenames['tr-b']}: not served by the index: pip install -r of this release fails`), cli.stdout);
    assert.doesNotMatch(cli.stdout, /pass --files DIR or --fetch-files/);
  });
});

describe('release creation refuses what would mislead', () => {
  let t: Awaited<ReturnType<typeof repoWith>>;
  const base = { targets: [LINUX], requirements: ['alpha'], created: '2026-11-29T10:00:00Z' };
  before(async () => {
    t = await repoWith([{ name: 'alpha', version: '1.0' }]);
  });
  after(() => t.cleanup());

  it('index URLs: no injected lines, no credentials, no fragment, http(s) only', async () => {
    const refused = async (indexUrl: string, why: RegExp) =>
      assert.rejects(createRelease(t.repo, { ...base, name: `u${Math.random().toString(36).slice(2, 8)}`, indexUrl }, ADMIN), (e: PyvetError) => {
        assert.equal(e.code, 'RELEASE_INDEX_URL_INVALID');
        assert.equal(e.kind, 'invalid');
        assert.match(e.message, why);
        assert.doesNotMatch(`${e.message} ${JSON.stringify(e.details)}`, /secret|\n/);
        return true;
      });
    await refused('https://pypi.example.com/simple/\n--extra-index-url https://evil.example/simple/', /whitespace or a control character/);
    await refused('https://pypi.example.com/simple/\t', /whitespace or a control character/);
    await refused('https://pypi.example.com/sim ple/', /whitespace/);
    await refused('https://pypi.example.com/simple/\u2028', /whitespace/);
    await refused('http://user:secret@pypi.example.com/simple/', /'http:\/\/\*\*\*@pypi\.example\.com\/simple\/' must not carry a user name or password/);
    await refused('http://user:sec/ret@pypi.example.com/simple/', /user name|not a URL/);
    await refused('https://token@pypi.example.com/simple/', /user name/);
    await refused('https://pypi.example.com/simple/#frag', /fragment/);
    await refused('http://h.example/simple/?a=b', /must not have a query/);
    await refused('ftp://pypi.example.com/simple/', /http or https/);
    await refused('not a url', /whitespace/);
    await refused('nope', /not a URL/);
    // server.base_url flows through the same check.
    t.repo.config.server.base_url = 'https://bot:secret@pypi.example.com';
    try {
      await refused(undefined as unknown as string, /user name/);
    } finally {
      t.repo.config.server.base_url = null;
    }
    const ok = await createRelease(t.repo, { ...base, name: 'good-url', indexUrl: 'https://pypi.example.com/simple' }, ADMIN);
    assert.equal(ok.indexUrl, 'https://pypi.example.com/simple/');
  });

  it("release names: never 'latest', never a case variant of another release", async () => {
    for (const name of ['latest', 'LATEST', 'Latest', 'signing-key.pub']) {
      await assert.rejects(createRelease(t.repo, { ...base, name, indexUrl: 'https://p.example/simple/' }, ADMIN), (e: PyvetError) => {
        assert.equal(e.code, 'RELEASE_NAME_INVALID');
        assert.match(e.message, /reserved/);
        return true;
      });
    }
    await createRelease(t.repo, { ...base, name: 'Tool-1', indexUrl: 'https://p.example/simple/' }, ADMIN);
    await assert.rejects(createRelease(t.repo, { ...base, name: 'tool-1', indexUrl: 'https://p.example/simple/' }, ADMIN), (e: PyvetError) => {
      assert.equal(e.code, 'RELEASE_EXISTS');
      assert.equal(e.kind, 'conflict');
      assert.match(e.message, /release Tool-1 already exists, a name that differs from tool-1 only in case/);
      return true;
    });
    await assert.rejects(patchRelease(t.repo, 'Tool-1', { upgrades: ['alpha==1.0'], name: 'TOOL-1' }, ADMIN), (e: PyvetError) => e.code === 'RELEASE_EXISTS');
    // A patch's default name skips one taken in another case.
    await createRelease(t.repo, { ...base, name: 'TOOL-1.post1', indexUrl: 'https://p.example/simple/' }, ADMIN);
    assert.equal((await patchRelease(t.repo, 'Tool-1', { upgrades: ['alpha==1.0'] }, ADMIN)).name, 'Tool-1.post2');
  });

  it('a lost private key is never replaced while its public key is there', async () => {
    const keys = join(t.dataDir, 'keys');
    signingKey(t.repo);
    const pubBefore = readFileSync(join(keys, 'release-signing.pub'), 'utf8');
    rmSync(join(keys, 'release-signing.key'));
    await assert.rejects(createRelease(t.repo, { ...base, name: 'after-loss', indexUrl: 'https://p.example/simple/' }, ADMIN), (e: PyvetError) => {
      assert.equal(e.code, 'SIGNING_KEY_MISSING');
      assert.equal(e.kind, 'unavailable');
      assert.ok(e.message.includes(keyFingerprint(pubBefore)), e.message);
      assert.match(e.message, /restore .*release-signing\.key.*pass --new-signing-key/s);
      return true;
    });
    assert.equal(existsSync(join(keys, 'release-signing.key')), false);
    assert.equal(readFileSync(join(keys, 'release-signing.pub'), 'utf8'), pubBefore);
    // Starting a new key is a decision: a new pair is made, the old public key kept beside it.
    await createRelease(t.repo, { ...base, name: 'new-key', indexUrl: 'https://p.example/simple/', newSigningKey: true }, ADMIN);
    assert.notEqual(readFileSync(join(keys, 'release-signing.pub'), 'utf8'), pubBefore);
    const kept = `release-signing.pub.${keyFingerprint(pubBefore).slice('sha256:'.length, 'sha256:'.length + 16)}.old`;
    assert.equal(readFileSync(join(keys, kept), 'utf8'), pubBefore);
  });

  it('both key files lost while releases were signed here: refused, unless --new-signing-key', async () => {
    const keys = join(t.dataDir, 'keys');
    await createRelease(t.repo, { ...base, name: 'signed-once', indexUrl: 'https://p.example/simple/' }, ADMIN);
    const pubBefore = readFileSync(join(keys, 'release-signing.pub'), 'utf8');
    const lost = join(t.dataDir, 'keys-lost');
    renameSync(keys, lost);
    await assert.rejects(createRelease(t.repo, { ...base, name: 'after-total-loss', indexUrl: 'https://p.example/simple/' }, ADMIN), (e: PyvetError) => {
      assert.equal(e.code, 'SIGNING_KEY_MISSING');
      assert.match(e.message, /neither .*release-signing\.key nor .*release-signing\.pub exists.* releases were signed here/s);
      assert.match(e.message, /restore .*keys from a backup.*--new-signing-key/s);
      return true;
    });
    await assert.rejects(patchRelease(t.repo, 'signed-once', { upgrades: ['alpha==1.0'] }, ADMIN), (e: PyvetError) => e.code === 'SIGNING_KEY_MISSING');
    assert.equal(existsSync(keys), false, 'nothing was made');
    const r = await patchRelease(t.repo, 'signed-once', { upgrades: ['alpha==1.0'], newSigningKey: true }, ADMIN);
    assert.equal(r.base, 'signed-once');
    assert.notEqual(readFileSync(join(keys, 'release-signing.pub'), 'utf8'), pubBefore);
    rmSync(keys, { recursive: true });
    renameSync(lost, keys);
  });
});
