// PEP 508 markers and requirements, side by side with Python's packaging on the same inputs:
//   1. parse and evaluate 100,000 marker strings (a realistic mix) against 8 target environments,
//   2. 100,000 evaluations of parsed markers: 12,500 of them, each against the 8 targets
//      (closure checking's hot path: our PreparedEnvironment against packaging's Marker.evaluate),
//   3. parse 100,000 requirement strings (versions drawn from ~25,000 so that clause interning
//      does not see only repeats).
// Inputs are written to a temporary file that a python3 script times with packaging. The two
// sides' runs alternate (pyvet, packaging, pyvet, packaging, pyvet) and each keeps its best, in
// CPU time (process.cpuUsage, which also counts V8's GC and compiler threads, and
// time.process_time), so that load from other processes skews neither. Prints ops/s and ratios.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Marker, type MarkerEnvironment, markerEnvironment, prepareEnvironment } from '../src/standards/markers.js';
import { Requirement } from '../src/standards/requirements.js';
import { tempDir } from '../test/helpers/paths.js';
import { cpuSince, runPythonPeer, seeded } from './support.js';

const N = 100_000;
const ROUNDS = 3;

// Deterministic inputs, so both sides and every run see the same strings.
const { random, pick } = seeded(0x508);

const minor = () => `3.${Math.floor(random() * 14)}`;
const atoms: (() => string)[] = [
  () => `python_version ${pick(['>=', '<', '<=', '>', '==', '!='])} "${minor()}"`,
  () => `python_full_version ${pick(['>=', '<'])} "${minor()}.${Math.floor(random() * 12)}"`,
  () => `sys_platform ${pick(['==', '!='])} "${pick(['win32', 'linux', 'darwin', 'cygwin'])}"`,
  () => `platform_system == "${pick(['Windows', 'Linux', 'Darwin'])}"`,
  () => `platform_machine in "${pick(['x86_64 aarch64', 'arm64 aarch64', 'AMD64 x86_64'])}"`,
  () => `"${pick(['arm', '64', 'x86'])}" in platform_machine`,
  () => `extra == "${pick(['test', 'dev', 'docs', 'Socks', 'all_extras'])}"`,
  () => `implementation_name == "${pick(['cpython', 'pypy'])}"`,
  () => `os_name ${pick(['==', '!='])} "${pick(['nt', 'posix'])}"`,
];
function markerText(): string {
  const atom = () => (pick(atoms) as () => string)();
  switch (Math.floor(random() * 4)) {
    case 0:
      return atom();
    case 1:
      return `${atom()} and ${atom()}`;
    case 2:
      return `${atom()} or ${atom()}`;
    default:
      return `(${atom()} or ${atom()}) and ${atom()}`;
  }
}
const names = ['requests', 'numpy', 'Django', 'typing_extensions', 'zope.interface', 'PyYAML', 'scikit-learn', 'attrs', 'importlib-metadata', 'torch'];
function requirementText(): string {
  let s = pick(names);
  if (random() < 0.2) s += `[${pick(['security', 'socks', 'tests,docs'])}]`;
  const v = () => `${Math.floor(random() * 40)}.${Math.floor(random() * 30)}.${Math.floor(random() * 20)}`;
  const r = random();
  if (r < 0.1) s += ` @ https://files.example.com/${s.replace(/\W/g, '')}-1.0.tar.gz`;
  else if (r < 0.4) s += `>=${v()},<${v()}`;
  else if (r < 0.6) s += `~=${v()}`;
  else if (r < 0.75) s += `==${v()}.*`;
  else if (r < 0.85) s += ` (>=${v()})`;
  if (random() < 0.4) s += `${r < 0.1 ? ' ' : ''}; ${markerText()}`;
  return s;
}

const targets: MarkerEnvironment[] = [];
for (const python of ['3.9.19', '3.12.4']) {
  for (const [platform, machine] of [
    ['linux', 'x86_64'],
    ['linux', 'aarch64'],
    ['win32', 'AMD64'],
    ['darwin', 'arm64'],
  ] as const) {
    targets.push({ ...markerEnvironment({ python_full_version: python, sys_platform: platform, platform_machine: machine }), extra: 'test' });
  }
}
const markerTexts = Array.from({ length: N }, markerText);
const requirementTexts = Array.from({ length: N }, requirementText);

const cpuSeconds = (run: () => void): number => {
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = process.cpuUsage();
  run();
  return cpuSince(t0);
};

let sink = 0;
const prepared = targets.map((t) => prepareEnvironment(t));
// Parsed only around the operation that uses them: a large retained heap slows V8's collector for
// everything else, which would charge this row's memory to the other rows.
let parsedMarkers: Marker[] = [];
const operations: Record<string, { run: () => void; setup?: () => void; teardown?: () => void }> = {
  'parse + evaluate markers': {
    run: () => {
      for (let i = 0; i < N; i++) if (Marker.parse(markerTexts[i] as string).evaluate(targets[i % 8] as MarkerEnvironment)) sink++;
    },
  },
  'evaluate parsed markers': {
    setup: () => {
      parsedMarkers = markerTexts.slice(0, N / 8).map((m) => Marker.parse(m));
    },
    run: () => {
      for (const m of parsedMarkers) for (const env of prepared) if (m.evaluate(env)) sink++;
    },
    teardown: () => {
      parsedMarkers = [];
    },
  },
  'parse requirements': {
    run: () => {
      for (let i = 0; i < N; i++) sink += Requirement.parse(requirementTexts[i] as string).name.length;
    },
  },
};

// One round of each operation in packaging, timed in CPU seconds.
const PEER = `
import json, sys, time, gc
from packaging.markers import Marker
from packaging.requirements import Requirement
data = json.load(open(sys.argv[1]))
markers, requirements, targets = data["markers"], data["requirements"], data["targets"]
parsed = [Marker(m) for m in markers[: len(markers) // 8]]
def parse_evaluate():
    for i, m in enumerate(markers):
        Marker(m).evaluate(targets[i % 8])
def evaluate_parsed():
    for m in parsed:
        for env in targets:
            m.evaluate(env)
def parse_requirements():
    for r in requirements:
        Requirement(r)
def cpu(fn):
    gc.collect()
    t0 = time.process_time()
    fn()
    return time.process_time() - t0
print(json.dumps({
    "parse + evaluate markers": cpu(parse_evaluate),
    "evaluate parsed markers": cpu(evaluate_parsed),
    "parse requirements": cpu(parse_requirements),
}))
`;

const dir = tempDir('pyvet-bench-markers-');
try {
  const input = join(dir.path, 'inputs.json');
  writeFileSync(input, JSON.stringify({ markers: markerTexts, requirements: requirementTexts, targets }));
  const ours: Record<string, number> = {};
  let peer: Record<string, number> | null = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [op, { setup, run, teardown }] of Object.entries(operations)) {
      setup?.();
      ours[op] = Math.min(ours[op] ?? Number.POSITIVE_INFINITY, cpuSeconds(run));
      teardown?.();
    }
    if (round === ROUNDS - 1 || peer === null) continue;
    const r = runPythonPeer<Record<string, number>>(['-c', PEER, input], {
      failed: 'packaging peer unavailable (python3 with packaging)',
      timeout: 300_000,
    });
    if (!r) {
      peer = null;
      continue;
    }
    for (const [op, seconds] of Object.entries(r)) {
      peer[op] = Math.min(peer[op] ?? Number.POSITIVE_INFINITY, seconds);
    }
  }
  console.log(`PEP 508, ${N.toLocaleString('en')} inputs per row, best of ${ROUNDS} (pyvet) and ${ROUNDS - 1} (packaging) runs, CPU time${sink > 0 ? '' : ' (empty sink!)'}`);
  console.log(`${'operation'.padEnd(28)}${'pyvet ops/s'.padStart(14)}${'packaging ops/s'.padStart(18)}${'ratio'.padStart(9)}`);
  for (const [op, seconds] of Object.entries(ours)) {
    const theirs = peer?.[op];
    const row = `${op.padEnd(28)}${Math.round(N / seconds).toLocaleString('en').padStart(14)}`;
    console.log(
      theirs === undefined
        ? row
        : `${row}${Math.round(N / theirs).toLocaleString('en').padStart(18)}${`${(theirs / seconds).toFixed(1)}×`.padStart(9)}`,
    );
  }
} finally {
  dir.cleanup();
}
