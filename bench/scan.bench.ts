// Scanning 100,000 files against the full bundled advisory set (PyPA, 2,661 records), side by
// side with bench/python/scan_peer.py doing the same OSV matching with pypa/packaging on the
// same inputs in the same run:
//   1. matching core: build the index (parse every bound and listed version) and match every
//      file — pyvet's AdvisoryIndex against the Python peer;
//   2. the real service: `scanFiles` over 100,000 file rows in a real SQLite catalog (reading
//      the rows, loading the advisories, every policy gate), timed end to end.
// Files are synthetic rows over the real project names of the advisory data with a realistic
// version mix: versions the advisories name, their neighbours, pre-, post- and dev releases.
// CPU time (process.cpuUsage / time.process_time), best of ROUNDS, so load from other processes
// skews neither side. Goal: matching under 2 s and at least 10× the Python peer.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { bundledAdvisoriesPath, ensureBundledAdvisories } from '../src/advisories/import.js';
import { AdvisoryIndex } from '../src/advisories/match.js';
import { advisoryFromOsv } from '../src/advisories/osv.js';
import type { Advisory } from '../src/advisories/types.js';
import { initRepository, openRepository } from '../src/repository/open.js';
import { SYSTEM_ACTOR } from '../src/repository/roles.js';
import { Version } from '../src/standards/version.js';
import { scanFiles } from '../src/vetting/index.js';
import { ROOT, tempDir } from '../test/helpers/paths.js';

const N = 100_000;
const ROUNDS = 3;

let seed = 0x05c4;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;

function cpuSeconds(fn: () => void): number {
  const t0 = process.cpuUsage();
  fn();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1e6;
}

const text = gunzipSync(readFileSync(bundledAdvisoriesPath())).toString('utf8');
const advisories = text
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => advisoryFromOsv(JSON.parse(l)))
  .filter((a): a is Advisory => typeof a !== 'string');

// Per project, the versions its advisories talk about: the realistic neighbourhood of a scan.
const versionsOf = new Map<string, string[]>();
for (const a of advisories) {
  for (const p of a.affected) {
    const list = versionsOf.get(p.package) ?? [];
    list.push(...p.versions.slice(0, 50));
    for (const r of p.ranges) for (const e of r) for (const v of Object.values(e)) if (v && v !== '0') list.push(v);
    versionsOf.set(p.package, list);
  }
}
const projects = [...versionsOf.keys()].sort();
function versionFor(project: string): string {
  const known = versionsOf.get(project)!;
  const base = known.length > 0 && random() < 0.7 ? pick(known) : `${Math.floor(random() * 5)}.${Math.floor(random() * 20)}.${Math.floor(random() * 10)}`;
  const v = Version.tryParse(base);
  if (!v) return base;
  const s = v.toString().replace(/(a|b|rc|\.post|\.dev)\d+.*$/, '');
  const r = random();
  if (r < 0.05) return `${s}rc1`;
  if (r < 0.07) return `${s}.post1`;
  if (r < 0.08) return `${s}.dev0`;
  if (r < 0.5) return v.toString();
  return s;
}
const files: [string, string][] = [];
for (let i = 0; i < N; i++) {
  const p = pick(projects);
  files.push([p, versionFor(p)]);
}

const tmp = tempDir('pyvet-bench-scan-');
const filesTsv = join(tmp.path, 'files.tsv');
writeFileSync(filesTsv, `${files.map(([p, v]) => `${p}\t${v}`).join('\n')}\n`);

// 1. Matching core, alternating with the Python peer.
let findings = 0;
let best = { build: Number.POSITIVE_INFINITY, match: Number.POSITIVE_INFINITY };
for (let round = 0; round < ROUNDS; round++) {
  let index: AdvisoryIndex | undefined;
  const build = cpuSeconds(() => {
    index = new AdvisoryIndex(advisories);
  });
  const match = cpuSeconds(() => {
    findings = 0;
    for (const [p, v] of files) findings += index!.match(p, v).length;
  });
  best = { build: Math.min(best.build, build), match: Math.min(best.match, match) };
}
const peer = spawnSync('python3', [join(ROOT, 'bench', 'python', 'scan_peer.py'), bundledAdvisoriesPath(), filesTsv, String(ROUNDS)], {
  encoding: 'utf8',
  timeout: 600_000,
});
const py = peer.status === 0 ? (JSON.parse(peer.stdout) as { build: number; match: number; findings: number }) : null;

console.log(`OSV scan: ${N.toLocaleString('en')} files over ${projects.length} real projects, ${advisories.length} advisories; CPU seconds, best of ${ROUNDS}`);
console.log(`${'step'.padEnd(34)}${'pyvet s'.padStart(10)}${'packaging s'.padStart(14)}${'ratio'.padStart(9)}`);
const row = (name: string, ours: number, theirs: number | undefined) =>
  console.log(`${name.padEnd(34)}${ours.toFixed(3).padStart(10)}${(theirs?.toFixed(3) ?? '-').padStart(14)}${(theirs ? `${(theirs / ours).toFixed(1)}×` : '-').padStart(9)}`);
row('build index', best.build, py?.build);
row('match 100k files', best.match, py?.match);
row('build + match', best.build + best.match, py ? py.build + py.match : undefined);
console.log(`findings: pyvet ${findings}${py ? `, packaging ${py.findings}${py.findings === findings ? ' (equal)' : ' (DIFFERENT!)'}` : ''}`);
if (!py) console.log(`packaging peer unavailable: ${peer.stderr.trim().split('\n').pop()}`);

// 2. The real service over catalog rows.
const dataDir = join(tmp.path, 'repo');
await initRepository(dataDir, { logDestination: { write: () => {} } });
const db = new Database(join(dataDir, 'catalog.sqlite'));
const now = new Date().toISOString();
db.transaction(() => {
  const project = db.prepare('insert or ignore into projects (name, display_name, created_at, last_serial) values (?, ?, ?, 0)');
  const release = db.prepare('insert or ignore into releases (project, version, created_at) values (?, ?, ?)');
  const file = db.prepare(
    `insert into files (project, version, filename, kind, size, sha256, blake2b256, md5, requires_python, metadata_sha256,
      requires_dist, provides_extra, summary, license, tags, uploaded_at, upstream_uploaded_at, origin, state,
      state_changed_at, state_changed_by, state_reason, yanked, yanked_reason, integrity)
     values (?, ?, ?, 'wheel', 1000, ?, ?, ?, null, null, '[]', '[]', null, 'MIT', '["py3-none-any"]', ?, null, 'local',
      'approved', ?, 'bench', null, 0, null, '{"checks":[{"check":"record-hashes","ok":true}]}')`,
  );
  files.forEach(([p, v], i) => {
    project.run(p, p, now);
    release.run(p, v, now);
    file.run(p, v, `${p.replace(/-/g, '_')}-${v}-${i}-py3-none-any.whl`, i.toString(16).padStart(64, '0'), 'b'.repeat(64), 'c'.repeat(32), now, now);
  });
})();
db.close();
const repo = await openRepository({ dataDir, logDestination: { write: () => {} } });
await ensureBundledAdvisories(repo, SYSTEM_ACTOR);
let scanBest = Number.POSITIVE_INFINITY;
let blocking = 0;
for (let round = 0; round < 2; round++) {
  const t0 = process.cpuUsage();
  const rows = await scanFiles(repo);
  const t = process.cpuUsage(t0);
  scanBest = Math.min(scanBest, (t.user + t.system) / 1e6);
  blocking = rows.filter((r) => r.findings.some((f) => f.blocking)).length;
}
await repo.close();
console.log(
  `scanFiles over ${N.toLocaleString('en')} catalog rows (SQLite read, advisories, every gate): ${scanBest.toFixed(3)} s CPU, ${blocking} files blocked${
    py ? `; ${((py.build + py.match) / scanBest).toFixed(1)}× the packaging peer's matching alone` : ''
  }`,
);
tmp.cleanup();
