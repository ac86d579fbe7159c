// Mirror throughput beside its physical peer, in one run: about 1 GB of real wheels from
// /opt/pypi served on loopback, fetched (a) by `curl` + `sha256sum` with the same parallelism and
// (b) by `pyvet mirror -r` of the same hash-pinned files into a fresh repository, which also
// verifies every wheel member against RECORD, stores the blob durably and vets it, and (c) the
// floor: the checks alone, on both cores, from the page cache (./mirror-floor.ts). curl's time
// over the floor's is the best ratio any mirror doing those checks could reach here.
// The upstream is the tests' small static server, in a process of its own so that neither side
// shares an event loop with it. Size with PYVET_BENCH_MIRROR_MB (default 1000), rounds with
// PYVET_BENCH_MIRROR_ROUNDS (default 3; the ratio reported is their median). Skips when
// /opt/pypi or curl is missing.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../src/cli/node-flags.js';
import { initRepository, openRepository } from '../src/repository/index.js';
import { parseWheelFilename } from '../src/standards/filenames.js';
import { tempDir } from '../test/helpers/paths.js';
import { mirrorFloor } from './mirror-floor.js';

/** The static upstream in a child process; resolves with its URL. */
async function startUpstream(root: string): Promise<{ url: string; cpuSeconds: () => number; close: () => Promise<void> }> {
  const module = new URL('../test/helpers/static-server.js', import.meta.url).href;
  const code = `const { startStaticServer } = await import(${JSON.stringify(module)}); const s = await startStaticServer(${JSON.stringify(root)}); console.log(s.url);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (b: Buffer) => resolve(b.toString().trim()));
    child.once('exit', (c) => reject(new Error(`upstream exited ${c}`)));
  });
  return {
    url,
    // utime + stime from /proc/<pid>/stat, in clock ticks (100 per second on Linux).
    cpuSeconds: () => {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    close: async () => {
      child.kill();
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** The shell's `times` output: its children's user + system seconds (second line). */
function childCpu(path: string): number {
  return readFileSync(path, 'utf8')
    .split('\n')[1]!
    .split(/\s+/)
    .map((t) => /(\d+)m([\d.]+)s/.exec(t))
    .reduce((sum, m) => sum + (m ? Number(m[1]) * 60 + Number(m[2]) : 0), 0);
}

const PYPI = '/opt/pypi';
const budget = Number(process.env.PYVET_BENCH_MIRROR_MB ?? 1000) * 1e6;
// Rounds alternate the two sides, so that a machine's drift during the run hits both.
const ROUNDS = Number(process.env.PYVET_BENCH_MIRROR_ROUNDS ?? 3);

function hasCurl(): boolean {
  return spawnSync('sh', ['-c', 'command -v curl && command -v sha256sum'], { stdio: 'ignore' }).status === 0;
}

/** sha256 of each file as its index page lists it. */
function indexHashes(): Map<string, string> {
  const out = new Map<string, string>();
  for (const project of readdirSync(join(PYPI, 'simple'))) {
    const page = join(PYPI, 'simple', project, 'index.html');
    if (!existsSync(page)) continue;
    for (const m of readFileSync(page, 'utf8').matchAll(/files\/([^"#]+)#sha256=([0-9a-f]{64})/g)) out.set(decodeURIComponent(m[1]!), m[2]!);
  }
  return out;
}

async function main(): Promise<void> {
  if (!existsSync(join(PYPI, 'simple')) || !hasCurl()) {
    console.log('mirror bench SKIPPED: needs /opt/pypi and curl + sha256sum');
    return;
  }
  const hashes = indexHashes();
  // A deterministic ~1 GB mix of real wheels of every size up to 150 MB, one per project.
  const chosen: { filename: string; size: number; sha256: string; req: string }[] = [];
  const projects = new Set<string>();
  let total = 0;
  for (const filename of readdirSync(join(PYPI, 'files')).sort()) {
    const sha256 = hashes.get(filename);
    if (!sha256 || !filename.endsWith('.whl')) continue;
    const size = statSync(join(PYPI, 'files', filename)).size;
    if (size > 150e6) continue;
    let w: ReturnType<typeof parseWheelFilename>;
    try {
      w = parseWheelFilename(filename);
    } catch {
      continue;
    }
    if (projects.has(w.name)) continue;
    projects.add(w.name);
    chosen.push({ filename, size, sha256, req: `${w.name}==${w.version} --hash=sha256:${sha256}` });
    total += size;
    if (total >= budget) break;
  }
  const up = await startUpstream(PYPI);
  const concurrency = 4;
  const tmp = tempDir('pyvet-bench-mirror-');
  const work = tmp.path;
  const mb = total / 1e6;
  const perGb = (cpu: number) => ((cpu / mb) * 1000).toFixed(1);
  try {
    console.log(`${chosen.length} wheels, ${mb.toFixed(0)} MB, concurrency ${concurrency}, upstream ${up.url}, ${ROUNDS} rounds`);
    writeFileSync(join(work, 'pinned.txt'), `--require-hashes\n${chosen.map((c) => c.req).join('\n')}\n`);
    const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
    const flags = [...NODE_FLAGS];
    console.log(`pyvet: node ${[...flags, 'main.js'].join(' ')} mirror -r pinned.txt, into a fresh repository each round`);
    const ratios: number[] = [];
    const bounds: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // (a) curl + sha256sum, files written to disk like pyvet's.
      const list = chosen.map((c) => `${up.url}/files/${c.filename}`).join('\n');
      const script = `mkdir -p ${work}/curl && cd ${work}/curl && xargs -P ${concurrency} -I{} sh -c 'f=$(basename "{}"); curl -sf -o "$f" "{}" && sha256sum "$f"' > ${work}/sums.txt; times > ${work}/times.txt`;
      const curl = await timed(up, () => run('sh', ['-c', script], `${list}\n`), join(work, 'times.txt'));
      const sums = readFileSync(join(work, 'sums.txt'), 'utf8');
      const okSums = chosen.filter((c) => sums.includes(`${c.sha256}  ${c.filename}`)).length;
      rmSync(join(work, 'curl'), { recursive: true, force: true });

      // (b) `pyvet mirror -r` of the same pinned files, run as the installed command runs: the
      // compiled CLI with the node flags of its shebang line (NODE_FLAGS, which a test keeps equal
      // to that line), in a process of its own.
      const data = join(work, `data-${round}`);
      await initRepository(data, { logLevel: 'warn' });
      const repo = await openRepository({ dataDir: data, logLevel: 'warn' });
      // The bundled advisory snapshot is imported at the first vetting: do it before timing.
      const { ensureBundledAdvisories } = await import('../src/advisories/import.js');
      await ensureBundledAdvisories(repo, { name: 'bench', role: 'admin' });
      await repo.close();
      const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
      const cmd = [process.execPath, ...flags, cli, '--json', 'mirror', '-r', join(work, 'pinned.txt'), '--from', `${up.url}/simple/`, '--target', 'cp311-manylinux_x86_64'];
      // Exit 1 means some file was refused (reported below); anything else is a failure.
      const pyvetScript = `${cmd.map(quote).join(' ')} > ${work}/report.json; code=$?; times > ${work}/times2.txt; [ $code -le 1 ]`;
      const pyvet = await timed(up, () => run('sh', ['-c', pyvetScript], '', { PYVET_DATA: data }), join(work, 'times2.txt'));
      const report = JSON.parse(readFileSync(join(work, 'report.json'), 'utf8')) as {
        fetched: unknown[];
        failed: { filename: string; code: string; message: string }[];
      };
      rmSync(data, { recursive: true, force: true });

      // (c) the floor, on the same files (in the page cache by now, as they were for the upstream).
      const floor = await mirrorFloor(chosen.map((c) => join(PYPI, 'files', c.filename)));
      bounds.push(curl.secs / floor.secs);

      const curlRate = mb / curl.secs;
      const pyvetRate = mb / pyvet.secs;
      ratios.push(pyvetRate / curlRate);
      console.log(`round ${round}`);
      console.log(`  curl + sha256sum : ${curl.secs.toFixed(1)} s, ${curlRate.toFixed(1)} MB/s (${okSums}/${chosen.length} hashes matched)`);
      console.log(`  pyvet mirror     : ${pyvet.secs.toFixed(1)} s, ${pyvetRate.toFixed(1)} MB/s (fetched ${report.fetched.length}, failed ${report.failed.length})`);
      if (round === 1) for (const f of report.failed.slice(0, 5)) console.log(`    failed ${f.filename}: ${f.code} ${f.message}`);
      console.log(
        `  CPU seconds per GB: curl + sha256sum ${perGb(curl.cpu)}, pyvet ${perGb(pyvet.cpu)} (all threads); the upstream server ${perGb(curl.upstreamCpu)} / ${perGb(pyvet.upstreamCpu)}`,
      );
      console.log(
        `  floor (checks only): ${floor.secs.toFixed(1)} s, ${perGb(floor.cpu)} CPU seconds per GB, ${(floor.inflatedBytes / 1e6).toFixed(0)} MB inflated`,
      );
      console.log(`  ratio pyvet/curl : ${(pyvetRate / curlRate).toFixed(2)}x; floor/curl, the best any checking mirror could reach: ${(curl.secs / floor.secs).toFixed(2)}x`);
    }
    console.log(`ratio pyvet/curl, median of ${ROUNDS} rounds: ${medianOf(ratios).toFixed(2)}x (goal >= 0.7x)`);
    console.log(`ratio floor/curl, median of ${ROUNDS} rounds: ${medianOf(bounds).toFixed(2)}x (the checks alone, nothing else)`);
  } finally {
    await up.close();
    tmp.cleanup();
  }
}

function medianOf(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
}

/** Runs a command to its end; rejects on a non-zero exit. */
function run(cmd: string, args: string[], stdin: string, env: Record<string, string> = {}): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'inherit', 'inherit'], env: { ...process.env, ...env } });
    child.stdin.end(stdin);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ').slice(0, 80)} exited ${code}`))));
  });
}

/** Wall time, the side's CPU (from the shell's `times`, written to `timesFile`) and the upstream's CPU meanwhile. */
async function timed(
  up: { cpuSeconds: () => number },
  body: () => Promise<void>,
  timesFile: string,
): Promise<{ secs: number; cpu: number; upstreamCpu: number }> {
  const up0 = up.cpuSeconds();
  const t0 = performance.now();
  await body();
  return { secs: (performance.now() - t0) / 1000, cpu: childCpu(timesFile), upstreamCpu: up.cpuSeconds() - up0 };
}

await main();
