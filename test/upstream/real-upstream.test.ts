// Issue 6's proof against real data: /opt/pypi (about 840 real PyPI projects) served on loopback
// as the upstream. The numerical stack is mirrored with its dependencies for CPython 3.11 on
// manylinux x86_64, approved, checked for closure, released, and installed by real pip in a fresh
// venv with `pip install --no-deps -r <release URL>`. A second pyvet then mirrors that signed
// release whole from the first one, and never serves what it did not bring in.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PyvetError } from '../../src/errors.js';
import { createRelease } from '../../src/releases/service.js';
import { approveFiles, initRepository, openRepository } from '../../src/repository/index.js';
import type { Repository } from '../../src/repository/types.js';
import { checkClosure } from '../../src/resolve/closure.js';
import { getTargets } from '../../src/resolve/targets.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { mirror } from '../../src/upstream/mirror.js';
import { addUpstream } from '../../src/upstream/upstreams.js';
import { tempDir } from '../helpers/paths.js';
import { clientAvailable, LOCAL_PYPI, localPypiAvailable, makeVenv } from '../helpers/python.js';
import { type StaticServer, startStaticServer } from '../helpers/static-server.js';

const ADMIN = { name: 'cli:test', role: 'admin' as const };
const TARGET = 'cp311-manylinux_x86_64';
const STACK = ['numpy', 'scipy', 'pandas', 'scikit-learn', 'matplotlib'];

const skip = !localPypiAvailable() ? 'needs /opt/pypi (a local PEP 503 tree of real PyPI projects)' : false;

describe('mirror the numerical stack from a real upstream, release it, install it with pip', { skip }, () => {
  const tmp = tempDir();
  let upstream: StaticServer;
  let a: Repository;
  let serverA: RunningServer;
  let releaseUrl = '';

  before(async () => {
    upstream = await startStaticServer(LOCAL_PYPI);
    await initRepository(join(tmp.path, 'a'), { logLevel: 'warn' });
    a = await openRepository({ dataDir: join(tmp.path, 'a'), logLevel: 'warn' });
    await addUpstream(a, { name: 'pypi-local', url: `${upstream.url}/simple/` }, ADMIN);
    serverA = await startServer(a, { host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await serverA?.close();
    await a?.close();
    await upstream?.close();
    tmp.cleanup();
  });

  test('mirror with dependencies, approve, closure, release, pip install --no-deps -r, import', async () => {
    const targets = getTargets(a.config, [TARGET]);
    const report = await mirror(a, { actor: ADMIN, requirements: STACK, targets, withDeps: true });
    assert.deepEqual(report.failed, []);
    assert.deepEqual(report.unsatisfied, []);
    const projects = new Set(report.fetched.map((f) => f.project));
    for (const p of [...STACK, 'python-dateutil', 'six', 'joblib', 'threadpoolctl', 'pillow']) assert.ok(projects.has(p), `${p} mirrored`);
    // Nothing is served until it is approved.
    assert.equal((await fetch(`${serverA.url}/simple/numpy/`)).status, 404);

    await approveFiles(a, 'all waiting', ADMIN, 'numerical stack reviewed for the test');
    const closure = await checkClosure(a, targets);
    assert.ok(closure.closed, JSON.stringify(closure.targets[0]?.missing.slice(0, 3)));

    const release = await createRelease(
      a,
      { name: '2026.11.29', targets: [TARGET], requirements: STACK, indexUrl: `${serverA.url}/simple/` },
      ADMIN,
    );
    releaseUrl = `${serverA.url}/releases/${release.name}/`;
    const reqUrl = `${releaseUrl}${TARGET}.txt`;
    const text = await (await fetch(reqUrl)).text();
    assert.match(text, /--require-hashes/);
    assert.match(text, /^numpy==[^ ]+ --hash=sha256:[0-9a-f]{64}/m);

    const venvCheck = clientAvailable('venv');
    if (venvCheck !== true) return;
    const venv = makeVenv();
    const pip = await venv.pipAsync(['install', '--no-deps', '--no-cache-dir', '-r', reqUrl]);
    assert.equal(pip.status, 0, pip.stderr);
    const out = venv.run([
      '-c',
      'import numpy, scipy, pandas, sklearn, matplotlib; print(numpy.__version__, pandas.__version__)',
    ]);
    const numpy = report.fetched.find((f) => f.project === 'numpy')!;
    assert.ok(out.startsWith(`${numpy.version} `), out);
  });

  test('a second pyvet mirrors the signed release whole, and never serves what it did not bring in', async (t) => {
    if (!releaseUrl) return t.skip('the release was not created');
    await initRepository(join(tmp.path, 'b'), { logLevel: 'warn' });
    const b = await openRepository({ dataDir: join(tmp.path, 'b'), logLevel: 'warn' });
    const serverB = await startServer(b, { host: '127.0.0.1', port: 0 });
    try {
      const r = await mirror(b, {
        actor: ADMIN,
        release: { url: releaseUrl, key: `${serverA.url}/releases/signing-key.pub` },
        targets: getTargets(b.config, [TARGET]),
      });
      assert.deepEqual(r.failed, []);
      assert.equal(r.release?.name, '2026.11.29');
      assert.match(r.release?.keyFingerprint ?? '', /^sha256:[0-9a-f]{64}$/);
      const pinned = (await a.catalog.files.list({ states: ['approved'] })).map((f) => f.sha256);
      const got = (await b.catalog.files.list()).map((f) => f.sha256);
      assert.equal(got.length, r.release?.files);
      for (const sha of got) assert.ok(pinned.includes(sha));
      // Quarantined in B, and B never proxies: not even a project its upstream has.
      assert.equal((await fetch(`${serverB.url}/simple/numpy/`)).status, 404);
      assert.equal((await fetch(`${serverB.url}/simple/requests/`)).status, 404);

      // A release checked against another key is refused before anything is fetched.
      const otherKey = join(tmp.path, 'other.pub');
      writeFileSync(otherKey, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
      const before = (await b.catalog.files.list()).length;
      await assert.rejects(
        mirror(b, { actor: ADMIN, release: { url: releaseUrl, key: otherKey }, targets: getTargets(b.config, [TARGET]) }),
        (e: unknown) => e instanceof PyvetError && e.code === 'RELEASE_SIGNATURE_INVALID',
      );
      assert.equal((await b.catalog.files.list()).length, before);
    } finally {
      await serverB.close();
      await b.close();
    }
  });
});
