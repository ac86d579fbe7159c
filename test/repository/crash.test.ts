// kill -9 during ingest: a real `pyvet add` process ingesting a stream of real wheels is killed
// with SIGKILL at random points (a random delay, the moment a blob is being written, the moment a
// transaction writes the WAL), several rounds. After each: every blob outside blobs/tmp is
// complete (its bytes hash to its name), every catalog row's blobs exist and match, the SQLite
// file passes integrity_check, and the audit chain verifies. A last uninterrupted run finishes
// the batch, so a crash never leaves a state that blocks a retry.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { type FSWatcher, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, watch } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { verifyAudit } from '../../src/audit/verify.js';
import { openRepository } from '../../src/repository/open.js';
import { tempDir } from '../helpers/paths.js';
import { buildProject, clientAvailable, LOCAL_PYPI, localPypiAvailable } from '../helpers/python.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { makeRepo, type TestRepo } from './support.js';

const ROUNDS = 6;

/** A small seeded PRNG (mulberry32) so a failing run can be replayed with PYVET_CRASH_SEED. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** When a round kills: a delay after a logged ingest, a blob temp file appearing, a catalog WAL write. */
type Trigger = 'delay' | 'blob' | 'wal';
const TRIGGERS: Trigger[] = ['delay', 'blob', 'wal'];

/**
 * Starts `pyvet add dir` and SIGKILLs it once it has ingested `afterFiles` files: `delayMs`
 * later, or the moment a blob temp file appears (bytes being written, before the rename), or the
 * moment the catalog's WAL is written (a transaction being committed).
 */
function addAndKill(
  dataDir: string,
  dir: string,
  afterFiles: number,
  delayMs: number,
  trigger: Trigger,
): Promise<{ killed: boolean; ingested: number }> {
  const child = spawnCli(dataDir, ['add', dir], { PYVET_LOG_LEVEL: 'info' });
  let ingested = 0;
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  const kill = () => child.kill('SIGKILL');
  child.stdout!.resume();
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    ingested += chunk.split('"msg":"file ingested"').length - 1;
    if (ingested < afterFiles || timer || watcher) return;
    if (trigger === 'blob') watcher = watch(join(dataDir, 'blobs', 'tmp'), (event) => event === 'rename' && kill());
    else if (trigger === 'wal') watcher = watch(join(dataDir, 'catalog.sqlite-wal'), kill);
    else timer = setTimeout(kill, delayMs);
  });
  return new Promise((resolve) => {
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      watcher?.close();
      resolve({ killed: signal === 'SIGKILL', ingested });
    });
  });
}

async function assertConsistent(dataDir: string): Promise<number> {
  const blobRoot = join(dataDir, 'blobs');
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  for (const p of walk(blobRoot)) {
    const rel = relative(blobRoot, p).split(sep);
    if (rel[0] === 'tmp') continue; // temp files are allowed only here
    assert.equal(rel.length, 3, `unexpected file ${p}`);
    const name = rel[2]!;
    assert.deepEqual([rel[0], rel[1]], [name.slice(0, 2), name.slice(2, 4)], `misplaced ${p}`);
    assert.equal(sha256(p), name, `blob ${p} is incomplete or corrupt`);
  }
  const db = new Database(join(dataDir, 'catalog.sqlite'));
  try {
    assert.equal((db.pragma('integrity_check') as { integrity_check: string }[])[0]?.integrity_check, 'ok');
  } finally {
    db.close();
  }
  const repo = await openRepository({ dataDir, logLevel: 'silent' });
  try {
    const files = await repo.catalog.files.list();
    for (const f of files) {
      const p = repo.blobs.localPath(f.sha256)!;
      assert.equal(statSync(p).size, f.size, `${f.filename}: blob size`);
      assert.equal(sha256(p), f.sha256, `${f.filename}: blob bytes`);
      assert.ok(await repo.blobs.has(f.metadataSha256!), `${f.filename}: metadata blob`);
    }
    // The decision commits with the row: a kill never leaves a stored file undecided.
    assert.deepEqual(await repo.catalog.vetting.undecidedFileIds(), [], 'files stored without their vetting decision');
    const v = await verifyAudit(repo);
    assert.equal(v.ok, true, JSON.stringify(v.firstBad));
    return files.length;
  } finally {
    await repo.close();
  }
}

const haveSource = localPypiAvailable() || clientAvailable('build') === true;

describe('kill -9 during ingest', { skip: haveSource ? false : 'needs /opt/pypi or python -m build' }, () => {
  const work = tempDir('pyvet-crash-');
  const stream = join(work.path, 'stream');
  const few = join(work.path, 'few');
  let t: TestRepo;
  let total = 0;

  before(async () => {
    mkdirSync(stream);
    if (localPypiAvailable()) {
      // 24 real wheels of moderate size from the local PyPI tree.
      const files = join(LOCAL_PYPI, 'files');
      const wheels = readdirSync(files)
        .filter((f) => f.endsWith('.whl'))
        .map((f) => ({ f, size: statSync(join(files, f)).size }))
        .filter((w) => w.size > 20_000 && w.size < 400_000)
        .sort((a, b) => (a.f < b.f ? -1 : 1))
        .slice(0, 24);
      for (const w of wheels) symlinkSync(join(files, w.f), join(stream, w.f));
      total = wheels.length;
    } else {
      process.stderr.write('kill -9 test: /opt/pypi is absent, using wheels built with python -m build\n');
      for (const [i, name] of ['crasha', 'crashb', 'crashc', 'crashd'].entries()) buildProject({ name, version: `1.${i}` }, stream);
      total = readdirSync(stream).length;
    }
    mkdirSync(few);
    const fewNames = readdirSync(stream).sort().slice(0, 8);
    for (const f of fewNames) symlinkSync(join(stream, f), join(few, f));
    t = await makeRepo();
    await t.repo.close();
  });
  after(async () => {
    await t.cleanup();
    work.cleanup();
  });

  it(`leaves only complete blobs and a consistent, verifiable catalog after ${ROUNDS} SIGKILLs`, async (ctx) => {
    const seed = Number(process.env.PYVET_CRASH_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    ctx.diagnostic(`seed ${seed}`);
    let kills = 0;
    let previous = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const afterFiles = 1 + Math.floor(random() * 3);
      const delayMs = Math.floor(random() * 150);
      const trigger = TRIGGERS[round % TRIGGERS.length]!;
      const r = await addAndKill(t.dataDir, stream, afterFiles, delayMs, trigger);
      if (r.killed) kills++;
      const leftovers = readdirSync(join(t.dataDir, 'blobs', 'tmp')).length;
      const when = trigger === 'delay' ? `+${delayMs} ms` : `at a ${trigger} write`;
      ctx.diagnostic(`round ${round}: killed=${r.killed} after ${r.ingested} files (${when}), ${leftovers} temp file(s) left`);
      const stored = await assertConsistent(t.dataDir);
      assert.ok(stored >= previous, `seed ${seed}: files never disappear`);
      previous = stored;
    }
    assert.ok(kills >= ROUNDS / 2, `seed ${seed}: most rounds were killed mid-batch (${kills}/${ROUNDS})`);
    // A normal run completes whatever the kills interrupted: no half state blocks a retry.
    const done = runCli(t.dataDir, ['--json', 'add', stream]);
    assert.equal(done.status, 0, done.stderr);
    const out = JSON.parse(done.stdout) as { failed: unknown[] };
    assert.deepEqual(out.failed, []);
    assert.equal(await assertConsistent(t.dataDir), total);
    // Temp files of the killed writers were cleaned when the store was next opened.
    assert.deepEqual(readdirSync(join(t.dataDir, 'blobs', 'tmp')), []);
  });
  it('two processes adding the same files at once: each file stored once, one audit entry each, chain intact', async () => {
    const both = await makeRepo();
    try {
      await both.repo.close();
      const run = () =>
        new Promise<{ code: number | null; stdout: string }>((resolve) => {
          const child = spawnCli(both.dataDir, ['--json', 'add', few]);
          let stdout = '';
          child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
          child.stderr!.resume();
          child.on('exit', (code) => resolve({ code, stdout }));
        });
      const [a, b] = await Promise.all([run(), run()]);
      assert.deepEqual([a.code, b.code], [0, 0]);
      const added = [a, b].map((r) => (JSON.parse(r.stdout) as { added: unknown[] }).added.length);
      const n = readdirSync(few).length;
      assert.equal(added[0]! + added[1]!, n, `added ${added.join(' + ')}`);
      assert.equal(await assertConsistent(both.dataDir), n);
      await both.reopen();
      const ingests = (await both.repo.catalog.audit.list()).filter((e) => e.action === 'file.ingest');
      assert.equal(ingests.length, n);
      assert.equal(new Set(ingests.map((e) => e.subject)).size, n);
    } finally {
      await both.cleanup();
    }
  });
});
