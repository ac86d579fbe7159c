// Vetting wheels beside Python doing the same with its standard library (zipfile + hashlib, as
// pip's installer checks RECORD; bench/python/artifacts_bench.py), on the same files in the same
// run: a generated 100 MB wheel (peak RSS shows whether it streams), a typical ~10 MB real wheel,
// and a spread of real wheels from /opt/pypi (when present). pyvet does more per file (CRC-32s,
// limits, paths, metadata parse), so a ratio near 1 is parity. Also BLAKE2b-256 throughput: our
// WebAssembly against @noble/hashes. `--quick` shrinks every workload.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { blake2b } from '@noble/hashes/blake2.js';
import { Blake2b256 } from '../src/artifacts/blake2b.js';
import { artifactLimits, inspectArtifact } from '../src/artifacts/index.js';
import { defaultConfig } from '../src/config.js';
import { buildWheel, writeArchive } from '../test/helpers/archives.js';
import { tempDir } from '../test/helpers/paths.js';
import { cpuSince, peerScript, QUICK, runPythonPeer } from './support.js';

const PYPI_FILES = '/opt/pypi/files';
const limits = artifactLimits(defaultConfig().limits);
const MB = 1024 * 1024;
const tmp = tempDir('pyvet-bench-artifacts-');
const work = tmp.path;

interface Figures {
  seconds: number;
  /** CPU seconds (all threads): steadier than wall time on a busy machine. */
  cpu: number;
  bytes: number;
  maxRssMb: number;
}

async function ours(paths: string[]): Promise<Figures> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  let bytes = 0;
  for (const p of paths) bytes += (await inspectArtifact(p, { limits })).digests.size;
  const cpuSeconds = cpuSince(cpu);
  return {
    seconds: (performance.now() - start) / 1000,
    cpu: cpuSeconds,
    bytes,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

function python(paths: string[]): Figures | undefined {
  const out = runPythonPeer<{ seconds: number; cpu: number; bytes: number; maxrss_kb: number }>([peerScript('artifacts_bench.py'), ...paths], {
    failed: 'python peer failed',
  });
  return out && { seconds: out.seconds, cpu: out.cpu, bytes: out.bytes, maxRssMb: out.maxrss_kb / 1024 };
}

function report(label: string, mine: Figures, theirs: Figures | undefined): void {
  const rate = (f: Figures) => `${(f.bytes / MB / f.seconds).toFixed(1)} MB/s`;
  const ratio = theirs ? `${(theirs.seconds / mine.seconds).toFixed(2)}x` : '';
  const cpu = `${mine.cpu.toFixed(2)}s${theirs ? ` / ${theirs.cpu.toFixed(2)}s = ${(theirs.cpu / mine.cpu).toFixed(2)}x` : ''}`;
  console.log(
    `${label.padEnd(40)}${rate(mine).padStart(12)}${(theirs ? rate(theirs) : '').padStart(12)}${ratio.padStart(8)}` +
      `   cpu ${cpu}   peak RSS ${mine.maxRssMb.toFixed(0)}${theirs ? ` / ${theirs.maxRssMb.toFixed(0)}` : ''} MB`,
  );
}

console.log(`pyvet on Node ${process.versions.node} beside Python's zipfile + hashlib; ratio = python time / pyvet time`);
console.log(`${'workload'.padEnd(40)}${'pyvet'.padStart(12)}${'python'.padStart(12)}${'ratio'.padStart(8)}   cpu pyvet / python`);

// 1. A 100 MB wheel of incompressible members: first, so that peak RSS is this workload's.
{
  // Written by Python so that this process never holds the wheel: its peak RSS is the reader's.
  const members = QUICK ? 20 : 100;
  const path = join(work, 'big-1.0-py3-none-any.whl');
  const script = [
    'import base64, hashlib, os, sys, zipfile',
    'rows = []',
    'with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:',
    '    def add(name, data):',
    '        z.writestr(name, data)',
    '        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()',
    '        rows.append(f"{name},sha256={digest},{len(data)}")',
    '    for i in range(int(sys.argv[2])):',
    '        add(f"big/blob{i}.bin", os.urandom(1 << 20))',
    '    add("big-1.0.dist-info/METADATA", b"Metadata-Version: 2.1\\nName: big\\nVersion: 1.0\\n")',
    '    add("big-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")',
    '    z.writestr("big-1.0.dist-info/RECORD", "\\n".join(rows + ["big-1.0.dist-info/RECORD,,"]) + "\\n")',
  ].join('\n');
  const made = spawnSync('python3', ['-c', script, path, String(members)], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`could not write the 100 MB wheel: ${made.stderr}`);
  const before = process.resourceUsage().maxRSS / 1024;
  const mine = await ours([path]);
  console.log(`  (pyvet's peak RSS grew ${(mine.maxRssMb - before).toFixed(0)} MB while inspecting it)`);
  report(`generated wheel, ${(statSync(path).size / MB).toFixed(0)} MB`, mine, python([path]));
}

// 2. A typical ~10 MB real wheel, or a generated one of half-compressible members.
{
  let path: string | undefined;
  if (existsSync(PYPI_FILES)) {
    const near10 = readdirSync(PYPI_FILES)
      .filter((f) => f.endsWith('.whl'))
      .map((f) => ({ f, size: statSync(join(PYPI_FILES, f)).size }))
      .filter((x) => x.size > 7 * MB && x.size < 13 * MB)
      .sort((a, b) => a.f.localeCompare(b.f))[0];
    if (near10) path = join(PYPI_FILES, near10.f);
  }
  if (path === undefined) {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 200; i++) files[`mid/m${i}.py`] = Buffer.concat([randomBytes(50_000), Buffer.alloc(50_000, 32)]);
    const w = buildWheel({ name: 'mid', version: '1.0', files });
    path = writeArchive(work, w.filename, w.bytes);
  }
  const times = QUICK ? 1 : 5;
  const paths = Array.from({ length: times }, () => path!);
  report(`${path.split('/').pop()!.slice(0, 30)}… ×${times}`, await ours(paths), python(paths));
}

// 3. A spread of real wheels.
if (existsSync(PYPI_FILES)) {
  const wheels = readdirSync(PYPI_FILES)
    .filter((f) => f.endsWith('.whl'))
    .sort();
  const step = QUICK ? 40 : 8;
  const sample = wheels.filter((_, i) => i % step === 0).map((f) => join(PYPI_FILES, f));
  const total = sample.reduce((n, p) => n + statSync(p).size, 0);
  report(`${sample.length} real wheels (${(total / MB).toFixed(0)} MB)`, await ours(sample), python(sample));
} else {
  console.log(`${PYPI_FILES} absent: real-wheel workload skipped`);
}

// 4. BLAKE2b-256 alone.
{
  const data = randomBytes((QUICK ? 16 : 64) * MB);
  const time = (fn: () => void) => {
    const start = performance.now();
    fn();
    return (performance.now() - start) / 1000;
  };
  const wasm = time(() => {
    const h = new Blake2b256();
    for (let at = 0; at < data.length; at += MB) h.update(data.subarray(at, at + MB));
    h.hex();
  });
  const noble = time(() => {
    const h = blake2b.create({ dkLen: 32 });
    for (let at = 0; at < data.length; at += MB) h.update(data.subarray(at, at + MB));
    h.digest();
  });
  const mbs = (s: number) => `${(data.length / MB / s).toFixed(0)} MB/s`;
  console.log(`blake2b-256: WebAssembly ${mbs(wasm)}, @noble/hashes ${mbs(noble)}: ${(noble / wasm).toFixed(1)}x`);
}

tmp.cleanup();
