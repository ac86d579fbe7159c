// Wheel filenames, best-wheel choice and core metadata beside pypa/packaging, on the same
// deterministic inputs in the same run: parse 200k wheel filenames, choose the best wheel for a
// CPython 3.12 manylinux x86_64 target among 2,000 projects × 100 wheels (our Map<string, rank>
// fast path against packaging's selector over parsed tags), and check every METADATA found in
// this machine's site-packages (x20). `--quick` divides the counts by ten.
// Needs python3 with packaging; without it, only our figures are printed.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidWheelFilename, parseWheelFilename } from '../src/standards/filenames.js';
import { parseCoreMetadata } from '../src/standards/metadata.js';
import { compressedTagRank, linuxPlatforms, tagRanks, targetTags } from '../src/standards/tags.js';
import { tempDir } from '../test/helpers/paths.js';
import { peerScript, QUICK, runPythonPeer, seeded } from './support.js';

const N = QUICK ? 20_000 : 200_000;
const GROUPS = QUICK ? 200 : 2_000;
const METADATA_COPIES = QUICK ? 2 : 20;

const { random: rand, int, pick } = seeded(427);

const NAMES = ['numpy', 'PyYAML', 'scikit_learn', 'torch', 'zope.interface', 'typing_extensions', 'pandas', 'grpcio'];
const TAGS = [
  'py3-none-any',
  'py2.py3-none-any',
  'cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64',
  'cp312-cp312-musllinux_1_1_x86_64',
  'cp311-cp311-manylinux_2_28_aarch64',
  'cp312-none-any',
  'cp38-abi3-manylinux_2_5_x86_64.manylinux1_x86_64',
  'cp312-cp312-win_amd64',
  'cp312-cp312-macosx_11_0_arm64',
  'pp310-pypy310_pp73-manylinux_2_17_x86_64.manylinux2014_x86_64',
  'cp313-cp313t-manylinux_2_34_x86_64',
  'cp312-cp312-zos_31_s390x',
];
function wheelName(): string {
  const build = rand() < 0.05 ? `-${int(9)}` : '';
  return `${pick(NAMES)}-${int(5)}.${int(30)}.${int(10)}${build}-${pick(TAGS)}.whl`;
}

const filenames = Array.from({ length: N }, wheelName);
const groups = Array.from({ length: GROUPS }, () => Array.from({ length: 100 }, wheelName));
const platforms = linuxPlatforms({ sysconfigPlatform: 'linux-x86_64', glibc: [2, 31] });
const supported = targetTags({ implementation: 'cp', pythonVersion: [3, 12], platforms }).map(String);

function siteMetadata(): string[] {
  const r = spawnSync('python3', ['-c', 'import site, json; print(json.dumps(site.getsitepackages()))'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) return [];
  const texts: string[] = [];
  for (const dir of JSON.parse(r.stdout) as string[]) {
    if (!existsSync(dir)) continue;
    for (const d of readdirSync(dir).filter((e) => e.endsWith('.dist-info'))) {
      const file = join(dir, d, 'METADATA');
      if (existsSync(file)) texts.push(readFileSync(file, 'utf8'));
    }
  }
  return texts;
}
const corpus = siteMetadata();
const metadata = Array.from({ length: METADATA_COPIES }, () => corpus).flat();

type Timings = Record<string, number>;
const REPEAT: Record<string, number> = { parseWheel: 2, select: 2, metadata: 1 };
function time<T>(workload: string, fn: () => T): [number, T] {
  let best = Number.POSITIVE_INFINITY;
  let result: T | undefined;
  for (let r = 0; r < REPEAT[workload]!; r++) {
    const t = performance.now();
    result = fn();
    best = Math.min(best, performance.now() - t);
  }
  return [best / 1000, result as T];
}

function tagPart(filename: string): string {
  return filename.slice(0, -4).split('-').slice(-3).join('-');
}

function runOurs(): { t: Timings; check: Record<string, unknown> } {
  const t: Timings = {};
  const check: Record<string, unknown> = {};
  for (let i = 0; i < 5_000; i++) parseWheelFilename(filenames[i]!); // warm-up, as for the other benches
  [t.parseWheel, check.parseCheck] = time('parseWheel', () => {
    let valid = 0;
    let tags = 0;
    for (const f of filenames) {
      try {
        tags += parseWheelFilename(f).tags.length;
        valid++;
      } catch (err) {
        if (!(err instanceof InvalidWheelFilename)) throw err;
      }
    }
    return [valid, tags];
  });
  [t.select, check.selectCheck] = time('select', () => {
    const ranks = tagRanks(supported);
    let chosen = 0;
    for (const group of groups) {
      let best = -1;
      let bestRank = Number.POSITIVE_INFINITY;
      group.forEach((f, i) => {
        const r = compressedTagRank(ranks, tagPart(f));
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      });
      if (best >= 0) chosen += best + 1;
    }
    return chosen;
  });
  [t.metadata, check.metadataCheck] = time(
    'metadata',
    () => metadata.filter((text) => parseCoreMetadata(text).problems.length > 0).length,
  );
  return { t, check };
}

function runPython(): Record<string, unknown> | undefined {
  const dir = tempDir('pyvet-bench-');
  try {
    const file = join(dir.path, 'inputs.json');
    writeFileSync(file, JSON.stringify({ filenames, groups, supported, metadata }));
    return runPythonPeer([peerScript('wheels_bench.py'), file], { failed: 'packaging peer unavailable' });
  } finally {
    dir.cleanup();
  }
}

const WORK: [string, string, number][] = [
  ['parseWheel', `parse ${N} wheel filenames`, N],
  ['select', `best of 100 wheels, ${GROUPS} times`, GROUPS * 100],
  ['metadata', `check ${metadata.length} METADATA`, metadata.length],
];

const ours = runOurs();
const py = runPython();
if (py) console.log(`peer: packaging ${py.packaging} on Python ${py.python}; pyvet on Node ${process.versions.node}`);
console.log(`target: cp312 manylinux x86_64 glibc 2.31, ${supported.length} supported tags`);
const fmt = (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`.padStart(14);
console.log(`${'workload'.padEnd(36)}${'pyvet'.padStart(14)}${'packaging'.padStart(14)}   ratio`);
for (const [key, label, ops] of WORK) {
  const mine = ops / ours.t[key]!;
  const theirs = py ? ops / (py[key] as number) : Number.NaN;
  console.log(`${label.padEnd(36)}${fmt(mine)}${py ? fmt(theirs) : ''.padStart(14)}   ${py ? `${(mine / theirs).toFixed(1)}x` : ''}`);
}
if (py) {
  // Same answers on both sides, or the figures compare different work.
  for (const k of ['parseCheck', 'selectCheck', 'metadataCheck']) {
    if (JSON.stringify(py[k]) !== JSON.stringify(ours.check[k])) {
      console.error(`MISMATCH ${k}: pyvet ${JSON.stringify(ours.check[k])} packaging ${JSON.stringify(py[k])}`);
      process.exitCode = 1;
    }
  }
}
