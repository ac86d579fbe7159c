// Serving benchmark: `pyvet serve` side by side with nginx serving a static PEP 503 / PEP 691
// export of the same catalog (the physical-limit anchor), both loaded by wrk on loopback.
//
//   phase 1: 300 projects x 5 versions; /simple/, a project page (HTML and JSON), a .metadata
//            file and a 50 KB file; requests/s for each server and pyvet/nginx ratios.
//   phase 2: 100 k files (10 000 projects x 10): the same URLs plus every project page
//            round-robin, and pyvet's RSS.
//
// Each server is warmed before it is measured: one second of load, or for the round-robin, load
// until every page was asked for twice (four times with --workers 2, whose workers keep a page
// cache each); the round-robin's first second, on cold caches, is printed below its row.
//
// Rows go straight into the catalog and blob store (the fast path; ingest is benchmarked
// elsewhere): phase 1 through FileStore.insert, phase 2 clones one such row 100 k times in a
// single SQL statement (column lists read from the schema, so it follows migrations). The static tree is rendered with the server's own render functions, so both
// servers send the same bytes. Both log nothing per request (pyvet access_log off, nginx
// access_log off). pyvet runs as the real `pyvet serve` in child processes: once as one process
// and once with --workers 2, since nginx runs a worker per core (2 here); RSS is read from /proc.
//   Env: PYVET_BENCH_SECONDS (default 6, phase 2 uses 5/8 of it), PYVET_BENCH_SMALL=1 (phase 1 only),
//   PYVET_BENCH_NODE_FLAGS (node flags of `pyvet serve`, default: those of `npm start`).
import { type ChildProcess, spawn } from 'node:child_process';
import { SERVER_NODE_FLAGS } from '../src/cli/node-flags.js';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { FileRecord, NewFile } from '../src/catalog/types.js';
import type { FsBlobStore } from '../src/blobs/fs.js';
import { initRepository, openRepository } from '../src/repository/open.js';
import type { Repository } from '../src/repository/types.js';
import { filePath, renderProjectHtml, renderProjectJson, renderRootHtml, renderRootJson } from '../src/server/render.js';

const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';
// The flags `npm start` runs the server with (src/cli/node-flags.ts); PYVET_BENCH_NODE_FLAGS
// replaces them, e.g. with '' to measure without.
const SERVE_NODE_FLAGS = process.env.PYVET_BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [...SERVER_NODE_FLAGS];
const SECONDS = Number(process.env.PYVET_BENCH_SECONDS ?? 6);
const here = dirname(fileURLToPath(import.meta.url));
const silent = new Writable({ write: (_c, _e, cb) => cb() });

// --- populating a catalog ----------------------------------------------------------------

interface Populated {
  projects: string[];
  /** A file of about 50 KB and a small one (for the .metadata URL). */
  big: FileRecord;
  small: FileRecord;
}

/** Fills `repo` with `projects` x `versions` approved wheels whose bytes come from a small pool of blobs. */
async function populate(repo: Repository, projects: number, versions: number): Promise<Populated> {
  const pool: { sha256: string; size: number }[] = [];
  const metas: string[] = [];
  for (let i = 0; i < 32; i++) {
    pool.push(await repo.blobs.putBytes(randomBytes(2048 + i * 64)));
    metas.push((await repo.blobs.putBytes(Buffer.from(`Metadata-Version: 2.1\nName: pool-${i}\nVersion: 1.0\nRequires-Dist: requests>=2\n\n`))).sha256);
  }
  const big = await repo.blobs.putBytes(randomBytes(50 * 1024));
  const names: string[] = [];
  const now = new Date().toISOString();
  const BATCH = 2500;
  let n = 0;
  const rows: NewFile[] = [];
  for (let p = 0; p < projects; p++) {
    const name = `bench-project-${String(p).padStart(5, '0')}`;
    names.push(name);
    for (let v = 0; v < versions; v++) {
      const blob = p === 0 && v === 0 ? big : pool[n % pool.length]!;
      const version = `1.${v}.0`;
      rows.push({
        project: name,
        displayName: name,
        version,
        filename: `${name.replace(/-/g, '_')}-${version}-py3-none-any.whl`,
        kind: 'wheel',
        size: blob.size,
        sha256: blob.sha256,
        blake2b256: '0'.repeat(64),
        md5: '0'.repeat(32),
        requiresPython: '>=3.9',
        metadataSha256: metas[n % metas.length]!,
        requiresDist: ['requests>=2'],
        providesExtra: [],
        summary: 'benchmark project',
        license: 'MIT',
        tags: ['py3-none-any'],
        uploadedAt: now,
        upstreamUploadedAt: null,
        origin: 'local',
        state: 'approved',
        stateChangedBy: 'bench',
        integrity: { checks: [] },
      });
      n++;
    }
  }
  for (let i = 0; i < rows.length; i += BATCH) {
    await repo.catalog.transaction(async (tx) => {
      for (const r of rows.slice(i, i + BATCH)) await tx.files.insert(r);
    });
  }
  const first = await repo.catalog.files.list({ project: names[0]! });
  return { projects: names, big: first[0]!, small: first[1]! };
}

/**
 * Grows the catalog to `projects` x `versions` files by cloning the row of `template` (and its
 * project and release rows) with new names, in one transaction: 100 k FileStore.insert calls
 * would take minutes, and this is a benchmark of serving, not of inserting.
 */
function cloneRows(catalogPath: string, template: FileRecord, from: number, projects: number, versions: number): void {
  const db = new Database(catalogPath);
  try {
    const columns = (table: string) => (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
    const name = "printf('bench-project-%05d', n.i / :versions)";
    const version = "printf('1.%d.0', n.i % :versions)";
    const subst: Record<string, string> = {
      name,
      display_name: name,
      project: name,
      version,
      filename: "printf('bench_project_%05d-1.%d.0-py3-none-any.whl', n.i / :versions, n.i % :versions)",
    };
    const clone = (table: string, where: string, step: string) => {
      const cols = columns(table).filter((c) => c !== 'id');
      const select = cols.map((c) => subst[c] ?? `t.${c}`).join(', ');
      db.prepare(
        `WITH RECURSIVE n(i) AS (SELECT :first UNION ALL SELECT i + ${step} FROM n WHERE i + ${step} < :last)
         INSERT INTO ${table} (${cols.join(', ')}) SELECT ${select} FROM n, ${table} t WHERE ${where}`,
      ).run({ first: from * versions, last: projects * versions, versions, project: template.project, version: template.version, id: template.id });
    };
    db.transaction(() => {
      clone('projects', 't.name = :project', ':versions');
      clone('releases', 't.project = :project AND t.version = :version', '1');
      clone('files', 't.id = :id', '1');
      db.prepare("UPDATE counters SET value = value + 1 WHERE name = 'files'").run();
    })();
  } finally {
    db.close();
  }
}

/** The static PEP 503/691 tree nginx serves: the same pages pyvet renders, and copies of the blobs. */
async function exportTree(repo: Repository, root: string, blobs: FsBlobStore, linkFiles: (f: FileRecord) => boolean): Promise<void> {
  const files = await repo.catalog.files.list({ states: ['approved'] });
  const byProject = new Map<string, FileRecord[]>();
  for (const f of files) byProject.set(f.project, [...(byProject.get(f.project) ?? []), f]);
  const projects = await repo.catalog.files.listProjects(['approved']);
  mkdirSync(join(root, 'simple'), { recursive: true });
  writeFileSync(join(root, 'simple', 'index.html'), renderRootHtml(projects));
  writeFileSync(join(root, 'simple', 'index.json'), renderRootJson(projects));
  for (const p of projects) {
    const dir = join(root, 'simple', p.name);
    const list = byProject.get(p.name)!;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.html'), renderProjectHtml(p.name, list, null));
    writeFileSync(join(dir, 'index.json'), renderProjectJson(p.name, list, null));
  }
  for (const f of files) {
    if (!linkFiles(f)) continue;
    const target = join(root, decodeURIComponent(filePath(f)));
    mkdirSync(dirname(target), { recursive: true });
    // Copies made readable, not hard links: blobs are the server user's alone (0600), and nginx's
    // workers run as another user.
    for (const [from, to] of [
      [f.sha256, target],
      [f.metadataSha256!, `${target}.metadata`],
    ] as const) {
      copyFileSync(blobs.path(from), to);
      chmodSync(to, 0o644);
    }
  }
}

// --- the two servers ---------------------------------------------------------------------

async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  return port;
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await (await fetch(url)).arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${url} never answered`);
}

async function startNginx(root: string, work: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const template = readFileSync(join(templateDir(), 'nginx.conf.template'), 'utf8');
  const conf = join(work, 'nginx.conf');
  writeFileSync(conf, template.replaceAll('@TMP@', work).replaceAll('@ROOT@', root).replaceAll('@PORT@', String(port)));
  const child = spawn('nginx', ['-c', conf, '-p', work], { stdio: 'inherit' });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/simple/`);
  return { url, child };
}

/** bench/nginx, from the sources or from dist/bench. */
function templateDir(): string {
  for (const d of [join(here, 'nginx'), join(here, '..', '..', 'bench', 'nginx')]) if (existsSync(d)) return d;
  throw new Error('bench/nginx/nginx.conf.template not found');
}

/** `pyvet serve` on `dataDir`: the compiled CLI under dist/, else the sources through tsx. */
async function startPyvet(dataDir: string, workers: number): Promise<{ url: string; child: ChildProcess }> {
  const compiled = here.includes(`${sep}dist${sep}`);
  const root = compiled ? join(here, '..', '..') : join(here, '..');
  const cli = compiled ? [join(root, 'dist', 'src', 'cli', 'main.js')] : ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts')];
  const args = [...cli, '--data', dataDir, '--json', 'serve', '--host', '127.0.0.1', '--port', '0', '--workers', String(workers)];
  const child = spawn(process.execPath, [...SERVE_NODE_FLAGS, ...args], {
    cwd: root,
    env: { ...process.env, PYVET_SERVER__ACCESS_LOG: 'false', PYVET_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /"url":\s*"([^"]+)"/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`pyvet serve exited ${code}`)));
  });
  await waitFor(`${url}/healthz`);
  return { url, child };
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  await once(child, 'exit');
}

/** Resident memory of a process and its children (the workers), in bytes. */
function rssOf(pid: number): { rss: number; peak: number } {
  const kb = (status: string, k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  let rss = 0;
  let peak = 0;
  for (const p of [String(pid), ...children]) {
    const status = readFileSync(`/proc/${p}/status`, 'utf8');
    rss += kb(status, 'VmRSS');
    peak += kb(status, 'VmHWM');
  }
  return { rss, peak };
}

// --- wrk ---------------------------------------------------------------------------------

interface Target {
  label: string;
  path: string;
  accept?: string;
  /** Round-robin over these paths (a wrk Lua script) instead of one URL. */
  paths?: string[];
}

/** requests/s and how many requests wrk made. */
async function wrk(base: string, t: Target, seconds: number, work: string): Promise<{ rps: number; requests: number }> {
  const args = ['-t2', '-c32', `-d${seconds}s`, '--timeout', '5s'];
  if (t.accept) args.push('-H', `Accept: ${t.accept}`);
  if (t.paths) {
    const script = join(work, `rr-${createHash('sha1').update(t.label).digest('hex').slice(0, 8)}.lua`);
    // Each thread starts at its own place in the list, a new one each run (os.time()), so that
    // successive runs do not all ask for the same first pages.
    writeFileSync(
      script,
      `local paths = {${t.paths.map((p) => JSON.stringify(p)).join(',')}}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("i", (os.time() * 7919 + threads * 4999) % #paths)
end
request = function()
  i = (i or 0) % #paths + 1
  return wrk.format("GET", paths[i])
end
`,
    );
    args.push('-s', script);
  }
  args.push(`${base}${t.path}`);
  const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d;
  });
  await once(child, 'exit');
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const bad = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  if (bad) throw new Error(`${base}${t.path}: ${bad} non-2xx answers under load`);
  return { rps, requests };
}

/**
 * Brings a server to its steady state for `t`: one second of load, or for a round-robin, load
 * until every page was asked for `passes` times over (pyvet renders a page on its first request
 * and keeps it; nginx reads it from the page cache). Answers the first second's rate (cold).
 */
async function warm(base: string, t: Target, passes: number, work: string): Promise<number> {
  const first = await wrk(base, t, 1, work);
  let asked = first.requests;
  for (let run = 0; t.paths && asked < passes * t.paths.length && run < 60; run++) asked += (await wrk(base, t, 1, work)).requests;
  return first.rps;
}

/** Both servers must send the same page (same bytes) before their speeds are compared. */
async function sameBytes(a: string, b: string, t: Target): Promise<void> {
  const get = async (base: string) => {
    const r = await fetch(`${base}${t.path}`, { headers: { 'accept-encoding': 'identity', ...(t.accept ? { accept: t.accept } : {}) } });
    if (r.status !== 200) throw new Error(`${base}${t.path}: ${r.status}`);
    return createHash('sha256').update(Buffer.from(await r.arrayBuffer())).digest('hex');
  };
  const [x, y] = await Promise.all([get(a), get(b)]);
  if (x !== y) throw new Error(`${t.label}: pyvet and nginx send different bytes`);
}

interface Row {
  label: string;
  /** req/s: pyvet as one process, pyvet --workers 2, nginx (worker_processes auto = 2). */
  pyvet: number;
  pyvet2: number;
  nginx: number;
  /** For a round-robin: the same during the first second of the warm-up, on a cold cache. */
  cold?: { pyvet: number; pyvet2: number; nginx: number };
}

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

async function measure(pyvet: string, pyvet2: string, nginx: string, targets: Target[], seconds: number, work: string): Promise<Row[]> {
  const rows: Row[] = [];
  console.log(`  ${'URL'.padEnd(40)} ${'pyvet'.padStart(8)} ${'pyvet x2'.padStart(9)} ${'nginx'.padStart(8)}  (req/s)  ratio  ratio x2`);
  for (const t of targets) {
    if (!t.paths) await sameBytes(pyvet, nginx, t);
    // Warm all three first, so none runs on a cold cache. The workers of --workers 2 keep a
    // page cache each: twice the passes.
    const cold = { pyvet: await warm(pyvet, t, 2, work), pyvet2: await warm(pyvet2, t, 4, work), nginx: await warm(nginx, t, 2, work) };
    const p = (await wrk(pyvet, t, seconds, work)).rps;
    const p2 = (await wrk(pyvet2, t, seconds, work)).rps;
    const n = (await wrk(nginx, t, seconds, work)).rps;
    rows.push({ label: t.label, pyvet: p, pyvet2: p2, nginx: n, ...(t.paths && { cold }) });
    const f = (x: number, w: number) => x.toFixed(0).padStart(w);
    console.log(`  ${t.label.padEnd(40)} ${f(p, 8)} ${f(p2, 9)} ${f(n, 8)}           ${ratio(p, n).padStart(5)}  ${ratio(p2, n).padStart(8)}`);
    if (t.paths) {
      const c = cold;
      console.log(`  ${'  first second, cold caches'.padEnd(40)} ${f(c.pyvet, 8)} ${f(c.pyvet2, 9)} ${f(c.nginx, 8)}           ${ratio(c.pyvet, c.nginx).padStart(5)}  ${ratio(c.pyvet2, c.nginx).padStart(8)}`);
    }
  }
  return rows;
}

// --- phases ------------------------------------------------------------------------------

interface PhaseResult {
  rows: Row[];
  /** RSS of the single pyvet process, and of the primary plus its two workers. */
  rss: { rss: number; peak: number };
  rss2: { rss: number; peak: number };
}

async function phase(label: string, projects: number, versions: number, seconds: number, roundRobin: boolean): Promise<PhaseResult> {
  const work = join(tmpdir(), `pyvet-bench-serve-${process.pid}-${projects}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const dataDir = join(work, 'data');
  const children: ChildProcess[] = [];
  try {
    console.log(`\n${label}: ${projects} projects x ${versions} versions = ${projects * versions} files`);
    let t0 = Date.now();
    await initRepository(dataDir, { logDestination: silent });
    let repo = await openRepository({ dataDir, logDestination: silent });
    const api = roundRobin ? 300 : projects;
    const pop = await populate(repo, api, versions);
    if (projects > api) {
      await repo.close();
      cloneRows(join(dataDir, 'catalog.sqlite'), pop.small, api, projects, versions);
      repo = await openRepository({ dataDir, logDestination: silent });
      pop.projects = (await repo.catalog.files.listProjects(['approved'])).map((p) => p.name);
    }
    console.log(`  populated the catalog in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    t0 = Date.now();
    const root = join(work, 'static');
    // Phase 2 links only the files it requests: 100 k links would measure the disk, not nginx.
    const measured = new Set([pop.big.filename, pop.small.filename]);
    await exportTree(repo, root, repo.blobs as FsBlobStore, (f) => !roundRobin || measured.has(f.filename));
    await repo.close();
    console.log(`  exported the static tree in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const pyvet = await startPyvet(dataDir, 1);
    children.push(pyvet.child);
    const pyvet2 = await startPyvet(dataDir, 2);
    children.push(pyvet2.child);
    const nginx = await startNginx(root, work);
    children.push(nginx.child);
    const project = pop.projects[Math.floor(pop.projects.length / 2)]!;
    const targets: Target[] = [
      { label: '/simple/ (HTML)', path: '/simple/' },
      { label: 'project page (HTML)', path: `/simple/${project}/` },
      { label: 'project page (JSON)', path: `/simple/${project}/`, accept: JSON_TYPE },
      { label: '.metadata file', path: `${filePath(pop.small)}.metadata` },
      { label: `${Math.round(pop.big.size / 1024)} KB wheel`, path: filePath(pop.big) },
    ];
    if (roundRobin) {
      targets.push({
        label: `all ${pop.projects.length} project pages, round-robin`,
        path: '/',
        paths: pop.projects.map((p) => `/simple/${p}/`),
      });
    }
    const rows = await measure(pyvet.url, pyvet2.url, nginx.url, targets, seconds, work);
    const rss = rssOf(pyvet.child.pid!);
    const rss2 = rssOf(pyvet2.child.pid!);
    const mb = (n: number) => `${(n / 1024 ** 2).toFixed(0)} MB`;
    console.log(`  pyvet RSS ${mb(rss.rss)} (peak ${mb(rss.peak)}); with --workers 2, all three processes: ${mb(rss2.rss)} (peak ${mb(rss2.peak)})`);
    return { rows, rss, rss2 };
  } finally {
    const [p1, p2, ng] = children;
    if (p1) await stop(p1);
    if (p2) await stop(p2);
    if (ng) await stop(ng, 'SIGQUIT');
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  for (const tool of ['nginx', 'wrk']) {
    const found = spawn('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    const [code] = (await once(found, 'exit')) as [number];
    if (code !== 0) {
      console.log(`serve bench SKIPPED: ${tool} is not installed (apt-get install nginx-light wrk)`);
      return;
    }
  }
  const started = Date.now();
  const withRatios = (r: PhaseResult) => ({
    rows: r.rows.map((x) => ({ ...x, ratio: x.pyvet / x.nginx, ratio2: x.pyvet2 / x.nginx })),
    rssBytes: r.rss,
    rssBytesWorkers2: r.rss2,
  });
  const small = await phase('phase 1', 300, 5, SECONDS, false);
  const large = process.env.PYVET_BENCH_SMALL ? undefined : await phase('phase 2', 10_000, 10, Math.max(2, Math.round((SECONDS * 5) / 8)), true);
  const summary = {
    bench: 'serve',
    peer: 'nginx (static PEP 503/691 export of the same catalog, worker_processes auto)',
    load: 'wrk -t2 -c32 on loopback',
    phase1: withRatios(small),
    phase2: large && withRatios(large),
    seconds: (Date.now() - started) / 1000,
  };
  console.log(`\n${JSON.stringify(summary)}`);
}

await main();
