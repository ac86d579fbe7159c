// Mirroring against real HTTP upstreams on loopback: crafted PEP 503 trees whose files are real
// (valid) wheels, so every guarantee can be provoked: hash mismatches, owned names, priorities,
// hash-pinned requirements files, and a SIGKILL half-way through.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initRepository, openRepository } from '../../src/repository/index.js';
import type { Repository } from '../../src/repository/types.js';
import { getTargets } from '../../src/resolve/targets.js';
import { mirror } from '../../src/upstream/mirror.js';
import { addUpstream } from '../../src/upstream/upstreams.js';
import { setPolicy } from '../../src/vetting/policy.js';
import { buildWheel } from '../helpers/archives.js';
import { runCliAsync, spawnCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { type StaticServer, startStaticServer } from '../helpers/static-server.js';

const ADMIN = { name: 'cli:test', role: 'admin' as const };

interface TreeWheel {
  name: string;
  version: string;
  requires?: string[];
  /** Lie about the sha256 in the index. */
  wrongHash?: boolean;
  /** Extra payload to make the file big. */
  padding?: number;
}

/** Writes a PEP 503 tree (simple/<project>/index.html + files/) of real wheels. */
function writeTree(root: string, wheels: TreeWheel[]): Map<string, string> {
  mkdirSync(join(root, 'files'), { recursive: true });
  const byProject = new Map<string, string[]>();
  const hashes = new Map<string, string>();
  for (const w of wheels) {
    const padding: Record<string, Buffer> = w.padding ? { 'pad.bin': randomBytes(w.padding) } : {};
    const { filename, bytes } = buildWheel({
      name: w.name,
      version: w.version,
      metadataLines: (w.requires ?? []).map((r) => `Requires-Dist: ${r}`),
      files: padding,
    });
    writeFileSync(join(root, 'files', filename), bytes);
    const sha = createHash('sha256').update(bytes).digest('hex');
    hashes.set(filename, sha);
    const listed = w.wrongHash ? 'f'.repeat(64) : sha;
    const project = w.name.toLowerCase().replace(/[-_.]+/g, '-');
    const links = byProject.get(project) ?? [];
    links.push(`<a href="../../files/${filename}#sha256=${listed}">${filename}</a>`);
    byProject.set(project, links);
  }
  for (const [project, links] of byProject) {
    mkdirSync(join(root, 'simple', project), { recursive: true });
    writeFileSync(join(root, 'simple', project, 'index.html'), `<!DOCTYPE html><html><body>\n${links.join('\n')}\n</body></html>\n`);
  }
  return hashes;
}

function blobCount(dataDir: string): number {
  let n = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (e.name !== 'tmp') walk(join(d, e.name));
      } else n++;
    }
  };
  if (existsSync(join(dataDir, 'blobs'))) walk(join(dataDir, 'blobs'));
  return n;
}

describe('mirror from loopback upstreams', () => {
  const tmp = tempDir();
  let a: StaticServer;
  let b: StaticServer;
  let repo: Repository;
  const target = () => getTargets(repo.config, ['cp311-manylinux_x86_64']);

  before(async () => {
    writeTree(join(tmp.path, 'a'), [
      { name: 'demo-app', version: '1.0', requires: ['demo-lib>=1.0', 'acme-secret; python_version >= "3"', 'winonly; sys_platform == "win32"'] },
      { name: 'demo-app', version: '2.0', requires: ['demo-lib>=1.0'] },
      { name: 'demo-lib', version: '1.0' },
      { name: 'acme-secret', version: '9.9' },
      { name: 'broken', version: '1.0', wrongHash: true },
    ]);
    writeTree(join(tmp.path, 'b'), [
      { name: 'demo-lib', version: '1.0' },
      { name: 'demo-lib', version: '5.0' },
      { name: 'only-b', version: '1.0' },
    ]);
    // A project with an sdist only (its bytes never matter: the policy test refuses to fetch it).
    mkdirSync(join(tmp.path, 'a', 'simple', 'sdonly'), { recursive: true });
    writeFileSync(join(tmp.path, 'a', 'files', 'sdonly-1.0.tar.gz'), 'not fetched');
    writeFileSync(join(tmp.path, 'a', 'simple', 'sdonly', 'index.html'), `<a href="../../files/sdonly-1.0.tar.gz#sha256=${'c'.repeat(64)}">sdonly-1.0.tar.gz</a>\n`);
    a = await startStaticServer(join(tmp.path, 'a'));
    b = await startStaticServer(join(tmp.path, 'b'));
    const data = join(tmp.path, 'data');
    await initRepository(data, { logLevel: 'warn' });
    repo = await openRepository({ dataDir: data, logLevel: 'warn' });
    const policy = join(tmp.path, 'policy.yaml');
    writeFileSync(policy, 'owned_names:\n  - "acme-*"\n');
    await setPolicy(repo, policy, ADMIN);
    await addUpstream(repo, { name: 'a', url: `${a.url}/simple/`, priority: 10 }, ADMIN);
    await addUpstream(repo, { name: 'b', url: `${b.url}/simple/`, priority: 20 }, ADMIN);
  });
  after(async () => {
    await repo.close();
    await a.close();
    await b.close();
    tmp.cleanup();
  });

  test('follows dependencies into quarantine, refusing owned names without asking any upstream', async () => {
    const r = await mirror(repo, { actor: ADMIN, requirements: ['demo-app==1.0'], targets: target(), withDeps: true });
    assert.deepEqual(r.fetched.map((f) => f.filename).sort(), ['demo_app-1.0-py3-none-any.whl', 'demo_lib-1.0-py3-none-any.whl']);
    assert.deepEqual(r.refused.map((x) => [x.project, x.code]), [['acme-secret', 'OWNED_NAME']]);
    // The marker excluded winonly on Linux: nobody asked for it.
    assert.ok(!a.log.some((p) => p.includes('winonly')));
    assert.ok(!a.log.some((p) => p.includes('acme')) && !b.log.some((p) => p.includes('acme')), 'owned name looked up upstream');
    const lib = await repo.catalog.files.getByFilename('demo_lib-1.0-py3-none-any.whl');
    assert.equal(lib?.state, 'quarantined');
    assert.equal(lib?.origin, 'upstream:a', 'demo-lib must come from the preferred upstream only');
    const audit = await repo.catalog.audit.list();
    assert.ok(audit.some((e) => e.action === 'file.ingest' && e.subject === 'demo_lib-1.0-py3-none-any.whl'));
  });

  test('a version with only an sdist, which the policy keeps out, is reported as that refusal', async () => {
    const policy = (extra: string) => {
      const path = join(tmp.path, 'policy.yaml');
      writeFileSync(path, `owned_names:\n  - "acme-*"\n${extra}`);
      return setPolicy(repo, path, ADMIN);
    };
    await policy('allow_sdists: false\n');
    try {
      const r = await mirror(repo, { actor: ADMIN, requirements: ['sdonly'], targets: target() });
      assert.equal(r.fetched.length, 0);
      assert.deepEqual(r.unsatisfied.map((u) => u.code), ['SDIST_NOT_ALLOWED']);
      assert.match(r.unsatisfied[0]!.reason, /has an sdist of 1\.0, which the policy does not allow \(allow_sdists: false\)/);
      assert.ok(!a.log.some((p) => p.startsWith('/files/sdonly')));
    } finally {
      await policy('');
    }
  });

  test('an owned name asked for directly is refused too', async () => {
    const r = await mirror(repo, { actor: ADMIN, requirements: ['acme-secret'], targets: target() });
    assert.equal(r.fetched.length, 0);
    assert.equal(r.refused[0]?.code, 'OWNED_NAME');
    assert.equal(await repo.catalog.files.getByFilename('acme_secret-9.9-py3-none-any.whl'), undefined);
    // The refusal is evidence too: the run's audit entry names it.
    const entry = (await repo.catalog.audit.list()).filter((e) => e.action === 'upstream.mirror').at(-1);
    assert.ok(entry, 'an upstream.mirror audit entry');
    assert.equal(entry.subject, 'acme-secret');
    assert.deepEqual(
      (entry.details.refused as { project: string; code: string }[]).map((x) => [x.project, x.code]),
      [['acme-secret', 'OWNED_NAME']],
    );
  });

  test('one upstream per project: the preferred one wins even when another has newer versions', async () => {
    const r = await mirror(repo, { actor: ADMIN, requirements: ['demo-lib'], targets: target() });
    assert.deepEqual([...r.fetched, ...r.present].map((f) => [f.filename, f.upstream]), [['demo_lib-1.0-py3-none-any.whl', 'a']]);
    // A project only the second upstream has comes from there.
    const only = await mirror(repo, { actor: ADMIN, requirements: ['only-b'], targets: target() });
    assert.equal(only.fetched[0]?.upstream, 'b');
  });

  test('a file whose bytes do not match the index hash is refused and nothing is stored', async () => {
    const blobs = blobCount(repo.config.data_dir);
    const r = await mirror(repo, { actor: ADMIN, requirements: ['broken'], targets: target() });
    assert.equal(r.fetched.length, 0);
    assert.deepEqual(r.failed.map((f) => f.code), ['UPSTREAM_HASH_MISMATCH']);
    assert.equal(await repo.catalog.files.getByFilename('broken-1.0-py3-none-any.whl'), undefined);
    const entry = (await repo.catalog.audit.list()).filter((e) => e.action === 'upstream.mirror').at(-1);
    assert.deepEqual(entry?.details.failed, [{ filename: 'broken-1.0-py3-none-any.whl', code: 'UPSTREAM_HASH_MISMATCH' }]);
    assert.equal(blobCount(repo.config.data_dir), blobs);
    const work = join(repo.config.data_dir, 'tmp', 'mirror');
    const leftovers = existsSync(work) ? readdirSync(work, { recursive: true }).filter((f) => String(f).includes('broken')) : [];
    assert.deepEqual(leftovers, []);
  });

  test('a hash-pinned requirements file fetches exactly the pinned bytes', async () => {
    const good = createHash('sha256')
      .update(buildWheel({ name: 'demo-app', version: '2.0', metadataLines: ['Requires-Dist: demo-lib>=1.0'] }).bytes)
      .digest('hex');
    const text = `--require-hashes\ndemo-app==2.0 --hash=sha256:${good}\n`;
    const r = await mirror(repo, { actor: ADMIN, requirementsFile: { text, source: 'pins.txt' }, targets: target() });
    assert.deepEqual(r.fetched.map((f) => f.sha256), [good]);
    const wrong = `--require-hashes\ndemo-app==1.0 --hash=sha256:${'0'.repeat(64)}\n`;
    const w = await mirror(repo, { actor: ADMIN, requirementsFile: { text: wrong, source: 'bad.txt' }, targets: target() });
    assert.equal(w.fetched.length, 0);
    assert.match(w.unsatisfied[0]?.reason ?? '', /pinned hashes/);
  });

  test('upstream project patterns restrict what an upstream may supply', async () => {
    await addUpstream(repo, { name: 'a', url: `${a.url}/simple/`, priority: 10, projects: ['demo-app'] }, ADMIN);
    try {
      const r = await mirror(repo, { actor: ADMIN, requirements: ['demo-lib>=2'], targets: target() });
      assert.deepEqual(r.fetched.map((f) => [f.filename, f.upstream]), [['demo_lib-5.0-py3-none-any.whl', 'b']]);
    } finally {
      await addUpstream(repo, { name: 'a', url: `${a.url}/simple/`, priority: 10 }, ADMIN);
    }
  });
});

describe('an interrupted mirror resumes without downloading again', () => {
  const tmp = tempDir();
  let up: StaticServer;
  const data = join(tmp.path, 'data');
  const names = ['big-one', 'big-two', 'big-three', 'big-four'];

  before(async () => {
    writeTree(
      join(tmp.path, 'up'),
      names.map((name) => ({ name, version: '1.0', padding: 3 * 1024 * 1024 })),
    );
    up = await startStaticServer(join(tmp.path, 'up'));
    await initRepository(data, { logLevel: 'warn' });
  });
  after(async () => {
    await up.close();
    tmp.cleanup();
  });

  test('SIGKILL after the first file is stored, then a re-run fetches only the rest', async () => {
    // Files arrive slowly, so the kill lands while later files are still in flight.
    up.throttle(/\/files\//, 700);
    const env = { PYVET_MIRROR__CONCURRENCY: '1', PYVET_LOG_LEVEL: 'info' };
    const child = spawnCli(data, ['mirror', ...names, '--from', `${up.url}/simple/`], env);
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stderr!.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('file ingested')) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`mirror exited before any file was stored:\n${seen}`)));
    });
    await new Promise((r) => child.once('exit', r));
    const firstRun = up.log.filter((p) => p.startsWith('/files/'));
    const repo = await openRepository({ dataDir: data, logLevel: 'warn' });
    const stored = (await repo.catalog.files.list()).map((f) => f.filename);
    await repo.close();
    assert.ok(stored.length >= 1 && stored.length < names.length, `stored after kill: ${stored.join(', ')}`);

    const before = up.log.length;
    const r = await runCliAsync(data, ['--json', 'mirror', ...names, '--from', `${up.url}/simple/`]);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { fetched: { filename: string }[]; present: { filename: string }[] };
    assert.deepEqual(report.present.map((f) => f.filename).sort(), [...stored].sort());
    assert.equal(report.fetched.length + report.present.length, names.length);
    const secondRun = up.log.slice(before).filter((p) => p.startsWith('/files/'));
    for (const f of stored) assert.ok(!secondRun.some((p) => p.endsWith(f)), `${f} was downloaded again`);
    assert.ok(firstRun.length >= 1);
  });

  test('a second mirror on the same repository is refused while the first runs; a dead one\'s lock is taken over', async () => {
    const dir = join(tmp.path, 'two-runs');
    await initRepository(dir, { logLevel: 'warn' });
    up.throttle(/\/files\//, 300);
    const first = spawnCli(dir, ['--json', 'mirror', ...names, '--from', `${up.url}/simple/`], { PYVET_MIRROR__CONCURRENCY: '1' });
    let out = '';
    first.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const lock = join(dir, 'tmp', 'mirror', '.lock');
    while (!existsSync(lock)) await new Promise((r) => setTimeout(r, 20));
    const second = await runCliAsync(dir, ['mirror', ...names, '--from', `${up.url}/simple/`]);
    assert.equal(second.status, 5, second.stderr);
    assert.match(second.stderr, new RegExp(`MIRROR_BUSY.*a mirror is already running on this repository \\(pid ${first.pid}`));
    const code = await new Promise((r) => first.once('exit', r));
    assert.equal(code, 0);
    // The first run was not disturbed: everything fetched, nothing blamed on the upstream.
    const report = JSON.parse(out) as { fetched: unknown[]; failed: unknown[] };
    assert.deepEqual([report.fetched.length, report.failed], [names.length, []]);
    assert.ok(!existsSync(lock), 'the lock outlived its run');

    // A lock left by a process that is gone (kill -9) does not block the next run.
    const dead = spawnCli(dir, ['--version']);
    await new Promise((r) => dead.once('exit', r));
    writeFileSync(lock, `${dead.pid} 2026-01-01T00:00:00.000Z\n`);
    const third = await runCliAsync(dir, ['mirror', ...names, '--from', `${up.url}/simple/`]);
    assert.equal(third.status, 0, third.stderr);
    assert.ok(!existsSync(lock));
  });

  test('a SIGKILL while a downloaded file is being ingested costs no second download of it', async () => {
    up.throttle(/\/files\//, 0);
    let caught = 0;
    // The kill lands at moments after the first file has been sent whole: while it is staged,
    // inspected, stored or catalogued, and the next ones are on their way.
    for (const delay of [40, 150]) {
      const dir = join(tmp.path, `window-${delay}`);
      await initRepository(dir, { logLevel: 'warn' });
      const firstBody = up.bodies.length;
      const child = spawnCli(dir, ['mirror', ...names, '--from', `${up.url}/simple/`], { PYVET_MIRROR__CONCURRENCY: '1' });
      let killedAt = 0;
      up.onBodySent = (path) => {
        if (!path.endsWith('.whl')) return;
        up.onBodySent = undefined;
        setTimeout(() => {
          killedAt = performance.now();
          child.kill('SIGKILL');
        }, delay);
      };
      await new Promise((r) => child.once('exit', r));
      up.onBodySent = undefined;
      // Sent whole a while before the kill: by then on our side of the socket, not in flight.
      const sentWhole = new Set(
        up.bodies
          .slice(firstBody)
          .filter((b) => b.finishedAt !== undefined && b.finishedAt < killedAt - 25)
          .map((b) => b.path.split('/').pop()!),
      );
      const repo = await openRepository({ dataDir: dir, logLevel: 'warn' });
      const stored = new Set((await repo.catalog.files.list()).map((f) => f.filename));
      await repo.close();
      // Sent whole but not catalogued: the kill fell inside that file's ingest.
      caught += [...sentWhole].filter((f) => !stored.has(f)).length;

      const again = up.bodies.length;
      const r = await runCliAsync(dir, ['--json', 'mirror', ...names, '--from', `${up.url}/simple/`]);
      assert.equal(r.status, 0, r.stderr);
      const report = JSON.parse(r.stdout) as { fetched: unknown[]; present: unknown[] };
      assert.equal(report.fetched.length + report.present.length, names.length);
      for (const b of up.bodies.slice(again)) {
        const f = b.path.split('/').pop()!;
        assert.ok(!(sentWhole.has(f) && b.start === 0), `kill after ${delay} ms: ${f} was sent whole, then downloaded again from its first byte`);
      }
    }
    // Otherwise the test proved nothing: every kill missed the window it is about.
    assert.ok(caught > 0, 'no kill fell between a complete download and its catalogue row');
  });
});
