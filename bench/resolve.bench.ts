// Resolving a 200-project set, beside pip's own resolver on the same set in the same run:
// `pip install --dry-run --report --ignore-installed` in a fresh venv against a real `pyvet serve`
// of the same repository (so pip reads the PEP 691 pages and PEP 658 metadata pyvet serves).
// The repository: 200 projects × 2 versions of real (generated) wheels whose Requires-Dist lines
// use real shapes (ranges, exclusions, markers, extras). Both must choose the same versions.
// Goal: pyvet at least 10× faster. `--quick` uses 60 projects.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { approveFiles } from '../src/repository/states.js';
import { ingestFile } from '../src/repository/ingest.js';
import { resolve } from '../src/resolve/resolver.js';
import { getTargets } from '../src/resolve/targets.js';
import { buildWheel, writeArchive } from '../test/helpers/archives.js';
import { tempDir } from '../test/helpers/paths.js';
import { clientAvailable, makeVenv } from '../test/helpers/python.js';
import { makeRepo } from '../test/repository/support.js';
import { ADMIN, spawnServe } from '../test/server/support.js';
import { median, QUICK, seeded } from './support.js';

const PROJECTS = QUICK ? 60 : 200;

if (clientAvailable('venv') !== true) {
  console.log('resolve: python3 -m venv is missing, benchmark skipped');
  process.exit(0);
}

// The same set on every run.
const { random: rand, int } = seeded(2026);
const SHAPES = ['{}>=1.0', '{}<3,>=1.0', '{}!=1.1', '{}', '{}>=1.0; python_version >= "3.8"', '{}; sys_platform == "win32"', '{}[extra]>=1.0', '{}~=1.0'];

const tmp = tempDir('pyvet-bench-resolve-');
const t = await makeRepo();
const dir = join(tmp.path, 'wheels');
mkdirSync(dir, { recursive: true });
const start = performance.now();
for (let p = 0; p < PROJECTS; p++) {
  for (const version of ['1.0', '2.0']) {
    const lines = ['Metadata-Version: 2.1', `Name: bench-p${p}`, `Version: ${version}`, 'Provides-Extra: extra'];
    const n = p === 0 ? 0 : int(5);
    for (let d = 0; d < n; d++) lines.push(`Requires-Dist: ${SHAPES[int(SHAPES.length)]!.replace('{}', `bench-p${int(p)}`)}`);
    if (rand() < 0.3) lines.push(`Requires-Dist: bench-p${int(p + 1)}>=1.0; extra == "extra"`);
    const { filename, bytes } = buildWheel({ name: `bench-p${p}`, version, metadata: `${lines.join('\n')}\n\n` });
    const { file } = await ingestFile(t.repo, writeArchive(dir, filename, bytes), { actor: ADMIN, origin: 'local' });
    await approveFiles(t.repo, file.filename, ADMIN, 'bench');
  }
}
console.log(`resolve: ${PROJECTS} projects × 2 versions ingested in ${((performance.now() - start) / 1000).toFixed(1)} s`);

const requirements = Array.from({ length: PROJECTS }, (_, p) => `bench-p${p}`);
const [target] = getTargets(t.repo.config, ['cp311-manylinux_x86_64']);
const server = await spawnServe(t.dataDir);
const venv = makeVenv(join(tmp.path, 'venv'));
try {
  await resolve(t.repo, requirements, target!); // warm-up
  const times: number[] = [];
  let pins: Record<string, string> = {};
  for (let i = 0; i < 5; i++) {
    const s = performance.now();
    const r = await resolve(t.repo, requirements, target!);
    times.push((performance.now() - s) / 1000);
    pins = Object.fromEntries(r.pins.map((x) => [x.project, x.version]));
  }
  const ours = median(times);

  const out = join(tmp.path, 'report.json');
  const s = performance.now();
  venv.pip(['install', '--dry-run', '--ignore-installed', '--no-cache-dir', '--only-binary', ':all:', '--quiet', '--report', out, '--index-url', `${server.url}/simple/`, ...requirements]);
  const pip = (performance.now() - s) / 1000;
  const report = JSON.parse(readFileSync(out, 'utf8')) as { install: { metadata: { name: string; version: string } }[] };
  const theirs = Object.fromEntries(report.install.map((i) => [i.metadata.name, i.metadata.version]));
  const same = JSON.stringify(Object.entries(theirs).sort()) === JSON.stringify(Object.entries(pins).sort());

  console.log(`resolve ${PROJECTS} projects (${Object.keys(pins).length} pinned), wall seconds:`);
  console.log(`  pyvet resolve (catalog read included), median of 5: ${ours.toFixed(3)} s`);
  console.log(`  pip install --dry-run --report against pyvet serve:  ${pip.toFixed(3)} s`);
  console.log(`  ratio ${(pip / ours).toFixed(1)}x (goal ≥ 10x: ${pip / ours >= 10 ? 'met' : 'MISSED'}); same choice as pip: ${same ? 'yes' : 'NO'}`);
} finally {
  await server.stop();
  await t.cleanup();
  tmp.cleanup();
}
