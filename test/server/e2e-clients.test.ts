// End to end with the real clients: twine uploads to /legacy/ (publisher yes, reader no), an
// approver approves through the service, then pip in a fresh venv resolves through the JSON API
// and PEP 658 metadata (the access log proves it fetched .metadata and no wheel while resolving),
// installs, downloads with --require-hashes, skips a yanked version unless pinned, cannot see a
// quarantined file, and is refused with a wrong token when anonymous reading is off.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Role } from '../../src/catalog/types.js';
import { approveFiles, yankFiles } from '../../src/repository/states.js';
import { createToken } from '../../src/repository/tokens.js';
import { tempDir } from '../helpers/paths.js';
import { cleanPipEnv, clientAvailable, makeVenv, type Venv } from '../helpers/python.js';
import { makeRepo, type TestRepo } from '../repository/support.js';
import { ADMIN, builtProject, type ServeProcess, spawnServe } from './support.js';

const missing = [clientAvailable('venv'), clientAvailable('twine'), clientAvailable('build')].find((x) => x !== true);

interface Report {
  install: { metadata: { name: string; version: string }; download_info: { url: string } }[];
}

function twine(url: string, token: string, files: string[], extra: string[] = []) {
  return spawnSync(
    'twine',
    ['upload', '--non-interactive', '--disable-progress-bar', '--repository-url', `${url}/legacy/`, '-u', '__token__', '-p', token, ...extra, ...files],
    { encoding: 'utf8', env: cleanPipEnv({ TWINE_NON_INTERACTIVE: '1' }) },
  );
}

describe('real clients: twine and pip', { skip: missing ?? false }, () => {
  // The server runs as `pyvet serve` in a child process: pip and twine run synchronously here.
  let t: TestRepo;
  let s: ServeProcess & { repo: TestRepo['repo']; tokens: Record<Role, string> };
  let venv: Venv;
  const tmp = tempDir('pyvet-e2e-');
  const lib1 = () => builtProject({ name: 'pyvet_demo_lib', version: '1.0' });
  const lib2 = () => builtProject({ name: 'pyvet_demo_lib', version: '2.0' });
  const lib3 = () => builtProject({ name: 'pyvet_demo_lib', version: '3.0' });
  const app = () => builtProject({ name: 'pyvet_demo_app', version: '1.0', dependencies: ['pyvet-demo-lib>=1.0'] });
  const index = () => `${s.url}/simple/`;
  const dryRun = (args: string[], indexUrl = index()) =>
    venv.pipResult(['install', '--no-cache-dir', '--dry-run', '--ignore-installed', '--quiet', '--report', '-', '--index-url', indexUrl, ...args]);
  const chosen = (stdout: string) =>
    Object.fromEntries((JSON.parse(stdout) as Report).install.map((i) => [i.metadata.name, i.metadata.version]));

  before(async () => {
    t = await makeRepo();
    const tokens = {} as Record<Role, string>;
    for (const role of ['reader', 'publisher'] as Role[]) {
      tokens[role] = (await createToken(t.repo, { name: `${role}-token`, role }, ADMIN)).token;
    }
    s = Object.assign(await spawnServe(t.dataDir), { repo: t.repo, tokens });
    venv = makeVenv(join(tmp.path, 'venv'));
  });
  after(async () => {
    await s?.stop();
    await t?.cleanup();
    tmp.cleanup();
  });

  it('twine uploads with a publisher token; a reader token is refused; --skip-existing is idempotent', async () => {
    const files = [lib1().wheel, lib1().sdist, lib2().wheel, app().wheel, app().sdist];
    const refused = twine(s.url, s.tokens.reader, [lib1().wheel]);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stdout + refused.stderr, /403/);
    assert.equal((await s.repo.catalog.files.list()).length, 0);

    const r = twine(s.url, s.tokens.publisher, files);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const stored = await s.repo.catalog.files.list();
    assert.equal(stored.length, files.length);
    assert.ok(stored.every((f) => f.state === 'quarantined' && f.origin === 'upload:publisher-token'));
    const again = twine(s.url, s.tokens.publisher, [lib1().wheel], ['--skip-existing']);
    assert.equal(again.status, 0, again.stdout + again.stderr);
    assert.ok((await s.accessLog()).some((l) => l.method === 'POST' && l.url === '/legacy/' && l.status === 200));
  });

  it('pip sees nothing before approval, then resolves through .metadata without fetching a wheel', async () => {
    const before = dryRun(['pyvet-demo-app']);
    assert.notEqual(before.status, 0, 'quarantined files are invisible');
    await approveFiles(s.repo, 'pyvet-demo-lib', ADMIN, 'reviewed');
    await approveFiles(s.repo, 'pyvet-demo-app', ADMIN, 'reviewed');

    const from = (await s.accessLog()).length;
    const r = dryRun(['pyvet-demo-app']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(chosen(r.stdout), { 'pyvet-demo-app': '1.0', 'pyvet-demo-lib': '2.0' });
    const urls = (await s.accessLog())
      .slice(from)
      .map((l) => l.url);
    const libMeta = urls.filter((u) => u.endsWith('pyvet_demo_lib-2.0-py3-none-any.whl.metadata'));
    assert.equal(libMeta.length, 1, `pip fetched the dependency's .metadata:\n${urls.join('\n')}`);
    assert.ok(urls.some((u) => u.endsWith('pyvet_demo_app-1.0-py3-none-any.whl.metadata')));
    // pip 23 still downloads the chosen wheels after resolving (even with --dry-run), so the proof
    // is the order: every .metadata was fetched, and the resolution finished, before any archive.
    const archives = urls.map((u, i) => [u, i] as const).filter(([u]) => u.endsWith('.whl') || u.endsWith('.tar.gz'));
    const lastMeta = urls.findLastIndex((u) => u.endsWith('.metadata'));
    assert.ok(archives.every(([, i]) => i > lastMeta), `no archive before the last .metadata:\n${urls.join('\n')}`);
    assert.deepEqual(
      archives.map(([u]) => u.split('/').pop()).sort(),
      ['pyvet_demo_app-1.0-py3-none-any.whl', 'pyvet_demo_lib-2.0-py3-none-any.whl'],
      'only the chosen wheels, never an sdist or another version',
    );
    assert.ok(urls.includes('/simple/pyvet-demo-lib/') && urls.includes('/simple/pyvet-demo-app/'));
  });

  it('pip installs the application with its dependency and it imports', () => {
    venv.pip(['install', '--no-cache-dir', '--index-url', index(), 'pyvet-demo-app']);
    assert.equal(venv.run(['-c', 'import pyvet_demo_app, pyvet_demo_lib; print(pyvet_demo_lib.VERSION)']).trim(), '2.0');
  });

  it('pip download --require-hashes --only-binary :all: accepts the served hashes and refuses a wrong one', async () => {
    const files = await s.repo.catalog.files.list({ states: ['approved'] });
    const wheelOf = (p: string, v: string) => files.find((f) => f.project === p && f.version === v && f.kind === 'wheel')!;
    const req = join(tmp.path, 'req.txt');
    writeFileSync(
      req,
      `pyvet-demo-app==1.0 --hash=sha256:${wheelOf('pyvet-demo-app', '1.0').sha256}\npyvet-demo-lib==1.0 --hash=sha256:${wheelOf('pyvet-demo-lib', '1.0').sha256}\n`,
    );
    const dest = join(tmp.path, 'dl');
    const ok = venv.pipResult(['download', '--no-cache-dir', '--require-hashes', '--only-binary', ':all:', '--index-url', index(), '-d', dest, '-r', req]);
    assert.equal(ok.status, 0, ok.stderr);
    writeFileSync(req, `pyvet-demo-lib==1.0 --hash=sha256:${'0'.repeat(64)}\n`);
    const bad = venv.pipResult(['download', '--no-cache-dir', '--require-hashes', '--only-binary', ':all:', '--index-url', index(), '-d', join(tmp.path, 'dl2'), '-r', req]);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /HASHES|hash/i);
  });

  it('skips a yanked version unless it is pinned with ==', async () => {
    await yankFiles(s.repo, 'pyvet-demo-lib==2.0', ADMIN, 'broken build');
    const r = dryRun(['pyvet-demo-lib']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(chosen(r.stdout), { 'pyvet-demo-lib': '1.0' });
    const pinned = dryRun(['pyvet-demo-lib==2.0']);
    assert.equal(pinned.status, 0, pinned.stderr);
    assert.deepEqual(chosen(pinned.stdout), { 'pyvet-demo-lib': '2.0' });
    assert.match(pinned.stderr, /yanked/i);
  });

  it('a quarantined upload stays invisible to pip', async () => {
    const up = twine(s.url, s.tokens.publisher, [lib3().wheel]);
    assert.equal(up.status, 0, up.stdout + up.stderr);
    const r = dryRun(['pyvet-demo-lib==3.0']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /No matching distribution/);
  });

  it('with anonymous reading off, pip needs a valid token', async () => {
    let closed: ServeProcess | undefined;
    try {
      closed = await spawnServe(t.dataDir, { PYVET_ANONYMOUS_READ: 'false' });
      const withToken = (t: string) => `${closed!.url.replace('http://', `http://__token__:${t}@`)}/simple/`;
      const wrong = dryRun(['pyvet-demo-lib'], withToken(`pyvet_0123456789abcdef_${'B'.repeat(43)}`));
      assert.notEqual(wrong.status, 0);
      assert.match(wrong.stderr, /401/);
      const ok = dryRun(['pyvet-demo-app'], withToken(s.tokens.reader));
      assert.equal(ok.status, 0, ok.stderr);
      assert.deepEqual(chosen(ok.stdout), { 'pyvet-demo-app': '1.0', 'pyvet-demo-lib': '1.0' });
    } finally {
      await closed?.stop();
    }
  });
});
