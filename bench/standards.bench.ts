// PEP 440 throughput beside pypa/packaging, on the same deterministic inputs in the same run:
// parse 1M version strings, compare 3M pairs (each version with the next three), 1M
// SpecifierSet.contains checks (the version as text, then as a parsed Version), and sort 200k
// versions. `--quick` divides the counts by ten.
// Needs python3 with packaging; without it, only our figures are printed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpecifierSet } from '../src/standards/specifiers.js';
import { Version } from '../src/standards/version.js';
import { tempDir } from '../test/helpers/paths.js';
import { cpuSince, peerScript, QUICK, runPythonPeer, seeded } from './support.js';

const N = QUICK ? 100_000 : 1_000_000;
const SORT_N = QUICK ? 20_000 : 200_000;
const { random: rand, int, pick } = seeded(440);

// Versions shaped like PyPI's: mostly X.Y(.Z), some pre/post/dev releases, a few locals, epochs,
// unnormalized spellings and very large components.
function versionText(): string {
  const r = rand();
  const rel = [int(5), int(30), int(20)].slice(0, 2 + int(2));
  if (r < 0.02) rel.push(20240000 + int(1231));
  let s = rel.join('.');
  const k = rand();
  if (k < 0.1) s += pick(['a', 'b', 'rc']) + int(5);
  else if (k < 0.13) s += pick(['.post', '-']) + int(3);
  else if (k < 0.16) s += `.dev${int(10)}`;
  else if (k < 0.17) s += pick(['-alpha.1', 'pre2', '.RC1', '_beta']);
  if (rand() < 0.02) s += `+${pick(['cpu', 'cu121', 'ubuntu.1', 'local.7'])}`;
  if (rand() < 0.005) s = `1!${s}`;
  if (rand() < 0.01) s = `v${s}`;
  return s;
}

function specifierText(): string {
  const v = () => `${int(5)}.${int(30)}`;
  const forms = [
    () => `>=${v()}`,
    () => `>=${v()},<${int(5) + 1}`,
    () => `~=${v()}.${int(10)}`,
    () => `==${v()}.*`,
    () => `==${v()}.${int(20)}`,
    () => `!=${v()}.${int(3)},>=${v()}`,
    () => `<${v()}`,
    () => `>${v()}rc1,<=${int(5) + 1}.0`,
    () => `>=${v()},!=${v()}.*,<${int(5) + 2}`,
  ];
  return pick(forms)();
}

interface Inputs {
  versions: string[];
  specifiers: string[];
  checkSet: number[];
  checkVersion: number[];
  sortCount: number;
}
const generated: Inputs = {
  versions: Array.from({ length: N }, versionText),
  specifiers: Array.from({ length: 2000 }, specifierText),
  checkSet: [],
  checkVersion: [],
  sortCount: SORT_N,
};
generated.checkSet = Array.from({ length: N }, () => int(generated.specifiers.length));
generated.checkVersion = Array.from({ length: N }, () => int(N));
// Both sides read the same file, so both parse the same (flat) strings.
const dir = tempDir('pyvet-bench-');
const inputFile = join(dir.path, 'inputs.json');
writeFileSync(inputFile, JSON.stringify(generated));
const { versions, specifiers, checkSet, checkVersion }: Inputs = JSON.parse(readFileSync(inputFile, 'utf8'));

type Timings = Record<string, number>;

// Best of `REPEAT[workload]` runs (the same counts as the Python side). Timed both as wall clock
// and as process CPU time (user+system, so Node's GC threads count): on a busy machine the CPU
// figures are the steadier ones.
const REPEAT: Record<string, number> = { parse: 2, compare: 3, containsText: 1, containsVersion: 1, sort: 2, sortByKey: 2 };
const cpuTime: Timings = {};
function time(workload: string, fn: () => number): [number, number] {
  let best = Number.POSITIVE_INFINITY;
  let bestCpu = Number.POSITIVE_INFINITY;
  let result = 0;
  for (let r = 0; r < REPEAT[workload]!; r++) {
    const t = performance.now();
    const c = process.cpuUsage();
    result = fn();
    bestCpu = Math.min(bestCpu, cpuSince(c));
    best = Math.min(best, performance.now() - t);
  }
  cpuTime[workload] = bestCpu;
  return [best / 1000, result];
}

function runOurs(): { t: Timings; check: Record<string, unknown> } {
  // warm-up, as the Python side does
  const warmSets = specifiers.map((s) => SpecifierSet.parse(s));
  for (let i = 0; i < 10_000; i++) warmSets[checkSet[i]!]!.contains(Version.parse(versions[i]!));
  const t: Timings = {};
  const check: Record<string, unknown> = {};
  const parsed: Version[] = new Array(N);
  [t.parse] = time('parse', () => {
    for (let i = 0; i < N; i++) parsed[i] = Version.parse(versions[i]!);
    return 0;
  });
  [t.compare, check.compareLess] = time('compare', () => {
    let less = 0;
    for (let k = 1; k <= 3; k++) {
      for (let i = k; i < N; i++) if (Version.compare(parsed[i - k]!, parsed[i]!) < 0) less++;
    }
    return less;
  });
  const sets = specifiers.map((s) => SpecifierSet.parse(s));
  [t.containsText, check.containsTextHits] = time('containsText', () => {
    let hits = 0;
    for (let i = 0; i < N; i++) if (sets[checkSet[i]!]!.contains(versions[checkVersion[i]!]!)) hits++;
    return hits;
  });
  [t.containsVersion, check.containsVersionHits] = time('containsVersion', () => {
    let hits = 0;
    for (let i = 0; i < N; i++) if (sets[checkSet[i]!]!.contains(parsed[checkVersion[i]!]!)) hits++;
    return hits;
  });
  const toSort = parsed.slice(0, SORT_N);
  let ordered: Version[] = [];
  [t.sort] = time('sort', () => {
    ordered = toSort.slice().sort(Version.compare);
    return 0;
  });
  check.sortFirstLast = [String(ordered[0]), String(ordered.at(-1))];
  [t.sortByKey] = time('sortByKey', () => {
    const keyed = toSort.map((v) => [v.sortKey, v] as const);
    keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    ordered = keyed.map((x) => x[1]);
    return 0;
  });
  return { t, check };
}


const WORK: [string, string, number][] = [
  ['parse', `parse ${N} versions`, N],
  ['compare', `compare ${3 * N - 6} pairs`, 3 * N - 6],
  ['containsText', `${N} contains (version text)`, N],
  ['containsVersion', `${N} contains (Version)`, N],
  ['sort', `sort ${SORT_N} versions`, SORT_N],
];

let ours: ReturnType<typeof runOurs>;
let py: Record<string, unknown> | undefined;
try {
  ours = runOurs();
  py = runPythonPeer([peerScript('standards_bench.py'), inputFile], { failed: 'packaging peer unavailable' });
} finally {
  dir.cleanup();
}
if (py) console.log(`peer: packaging ${py.packaging} on Python ${py.python}; pyvet on Node ${process.versions.node}`);
const fmt = (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`.padStart(13);
console.log(`${'ops per CPU second'.padEnd(31)}${'pyvet'.padStart(13)}${'packaging'.padStart(13)}  ratio | wall: pyvet  packaging  ratio`);
for (const [key, label, ops] of WORK) {
  const cpu = [ops / cpuTime[key]!, py ? ops / (py[`${key}Cpu`] as number) : Number.NaN];
  const wall = [ops / ours.t[key]!, py ? ops / (py[key] as number) : Number.NaN];
  const ratio = (x: number[]) => (py ? `${(x[0]! / x[1]!).toFixed(1)}x`.padStart(6) : '');
  console.log(`${label.padEnd(31)}${fmt(cpu[0]!)}${fmt(cpu[1]!)}${ratio(cpu)} |${fmt(wall[0]!)}${fmt(wall[1]!)}${ratio(wall)}`);
}
console.log(`${`sort ${SORT_N} by sortKey`.padEnd(31)}${fmt(SORT_N / cpuTime.sortByKey!)}`);
if (py) {
  // Same answers on both sides, or the figures compare different work.
  for (const k of ['compareLess', 'containsTextHits', 'containsVersionHits', 'sortFirstLast']) {
    if (JSON.stringify(py[k]) !== JSON.stringify(ours.check[k])) {
      console.error(`MISMATCH ${k}: pyvet ${JSON.stringify(ours.check[k])} packaging ${JSON.stringify(py[k])}`);
      process.exitCode = 1;
    }
  }
}
