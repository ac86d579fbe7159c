// Closure over 10 000 files and 5 targets, beside the same check written plainly in Python with
// pypa/packaging (bench/python/closure_bench.py) on the same rows in the same run. The rows are
// synthetic (2 000 projects × 5 versions) but their Requires-Dist lines are real ones, taken from
// real metadata and pointed at other synthetic projects, with their markers, extras and pins.
// Also: the same closure through a real SQLite catalog (reading 10 000 rows included).
// Goal: under 1 s for the in-memory check. `--quick` uses 2 000 files.
import { loadavg } from 'node:os';
import type { FileRecord } from '../src/catalog/types.js';
import { checkClosure, closureOfFiles } from '../src/resolve/closure.js';
import { getTargets, targetTagRanks } from '../src/resolve/targets.js';
import { makeRepo } from '../test/repository/support.js';
import { newRow } from '../test/resolve/support.js';
import { cpuSince, median, peerScript, QUICK, runPythonPeer, seeded } from './support.js';

const PROJECTS = QUICK ? 400 : 2000;
const VERSIONS = 5;

// Real Requires-Dist lines (requests, jupyter_server, pandas, black, aiohttp, sphinx, urllib3,
// ipython, httpx, pydantic …) with the project name replaced by a placeholder.
const TEMPLATES = [
  '{}<4,>=2',
  '{}>=1.21.1',
  '{}<3,>=1.21.1',
  '{}>=2017.4.17',
  '{}!=1.25.0,!=1.25.1,<3,>=1.21.1',
  '{}>=4.0; python_version < "3.11"',
  '{}>=1.0.0; python_version < "3.11"',
  '{}; sys_platform == "win32"',
  '{}>=0.4.6; sys_platform == "win32"',
  '{}>=300; sys_platform == "win32" and platform_python_implementation != "PyPy"',
  '{}; platform_system == "Windows"',
  '{}>=1.1.1; extra == "socks"',
  '{}[socks]>=1.7.1; extra == "socks"',
  '{}>=6.0; extra == "test"',
  '{}>=2.5; extra == "docs"',
  '{}==1.*',
  '{}~=2.3',
  '{}>=1.22.4; python_version < "3.11"',
  '{}>=1.23.2; python_version == "3.11"',
  '{}>=1.26.0; python_version >= "3.12"',
  '{}>=2.8.2',
  '{}>=2020.1',
  '{}>=3.7.4.3; python_version < "3.8"',
  '{}>=0.3; os_name != "nt"',
  '{}; implementation_name == "cpython"',
  '{}>=5.3; platform_machine == "x86_64" or platform_machine == "aarch64"',
  '{}<2.0.0,>=1.1.0',
  '{}>=4.6.0',
  '{}!=2.4.0,>=2.0',
  '{}>=1.3.0; platform_python_implementation == "CPython" and python_version < "3.13"',
];

const TAG_SETS = [
  ['py3-none-any'],
  ['py2-none-any', 'py3-none-any'],
  ['cp311-cp311-manylinux_2_17_x86_64', 'cp311-cp311-manylinux2014_x86_64'],
  ['cp312-cp312-manylinux_2_17_x86_64', 'cp312-cp312-manylinux2014_x86_64'],
  ['cp38-abi3-manylinux_2_17_x86_64', 'cp38-abi3-manylinux2014_x86_64'],
  ['cp311-cp311-win_amd64'],
  ['cp311-cp311-macosx_11_0_arm64'],
  ['cp312-none-any'],
];

// Both peers see the same rows on every run.
const { random: rand, int } = seeded(503);

function rows() {
  const out = [];
  for (let p = 0; p < PROJECTS; p++) {
    for (let v = 0; v < VERSIONS; v++) {
      const deps: string[] = [];
      // Depend only on lower-numbered projects: a DAG like real ecosystems, ~4 lines per file.
      const n = p === 0 ? 0 : int(8);
      for (let d = 0; d < n; d++) deps.push(TEMPLATES[int(TEMPLATES.length)]!.replace('{}', `proj-${int(p)}`));
      const tags = TAG_SETS[int(TAG_SETS.length)]!;
      out.push(newRow({ name: `proj-${p}`, version: `${1 + (v % 3)}.${v}.${int(20)}`, deps, tags, requiresPython: rand() < 0.3 ? '>=3.8' : null, suffix: `-${v}` }));
    }
  }
  return out;
}

const targets = getTargets({ targets: [] }, ['cp311-manylinux_x86_64', 'cp312-manylinux_x86_64', 'cp311-win_amd64', 'cp311-macos_arm64', 'cp312-zos']);
const newFiles = rows();
const files: FileRecord[] = newFiles.map((f, i) => ({ ...f, id: i + 1, stateChangedAt: f.uploadedAt, stateReason: null, yanked: false, yankedReason: null }));
console.log(`closure: ${files.length} files, ${targets.length} targets`);

// Warm-up is fair to both: Python has no JIT, ours gets one run first. CPU seconds are reported
// beside wall seconds: steadier on a shared machine.
closureOfFiles(files, targets);
const runs: { wall: number; cpu: number }[] = [];
let problems: number[] = [];
for (let i = 0; i < 5; i++) {
  const start = performance.now();
  const cpu = process.cpuUsage();
  // A fresh copy of the rows, as each call reads them from the catalog: nothing carried over.
  const report = closureOfFiles([...files], targets);
  const cpuSeconds = cpuSince(cpu);
  runs.push({ wall: (performance.now() - start) / 1000, cpu: cpuSeconds });
  problems = report.targets.map((t) => t.missing.reduce((n, p) => n + p.neededBy.length, 0) + t.unsatisfiable.reduce((n, p) => n + p.neededBy.length, 0));
}
const ours = { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)) };

const theirs = runPythonPeer<{ seconds: number; cpu: number; problems: number[] }>([peerScript('closure_bench.py')], {
  failed: 'python peer failed',
  input: JSON.stringify({
    rows: files.map((f) => ({ project: f.project, version: f.version, tags: f.tags, requiresPython: f.requiresPython, requiresDist: f.requiresDist })),
    targets: targets.map((t) => ({ environment: t.environment, tags: [...targetTagRanks(t).keys()] })),
  }),
});

const row = (label: string, mine: number, peer: number | undefined) =>
  console.log(`${label.padEnd(34)} pyvet ${mine.toFixed(3)} s   packaging ${peer === undefined ? 'n/a' : `${peer.toFixed(3)} s`}   ratio ${peer === undefined ? 'n/a' : `${(peer / mine).toFixed(1)}x`}`);
row('in memory, median of 5, CPU:', ours.cpu, theirs?.cpu);
row('in memory, median of 5, wall:', ours.wall, theirs?.seconds);
console.log(`goal < 1 s: ${ours.cpu < 1 ? 'met' : 'MISSED'} (CPU), ${ours.wall < 1 ? 'met' : 'MISSED'} (wall; load average ${loadavg()[0]!.toFixed(1)})`);
console.log(`problems found per target: pyvet ${problems.join(',')}   packaging ${theirs?.problems.join(',') ?? 'n/a'}`);

// The same through a real catalog: rows inserted once, then read and checked.
const t = await makeRepo();
await t.repo.catalog.transaction(async (tx) => {
  for (const f of newFiles) await tx.files.insert({ ...f, state: 'approved' });
});
const start = performance.now();
await checkClosure(t.repo, targets);
console.log(`through SQLite (read ${files.length} rows + check): ${((performance.now() - start) / 1000).toFixed(3)} s`);
await t.cleanup();
