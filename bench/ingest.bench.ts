// Ingest beside a plain-Python peer doing the same storage work (bench/python/ingest_bench.py:
// RECORD verification, METADATA parse, three digests, content-addressed copies with fsync and
// rename, one SQLite transaction with a hash-chained audit row per file), on the same real
// wheels from /opt/pypi. Ours also vets every file (advisory matching, policy) and stores the
// full file record. Then two figures without a peer: the cost of catalog.serial() (read on
// every index request) and audit-chain verification speed. `--quick` ingests 30 wheels.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { verifyAudit } from '../src/audit/verify.js';
import { ingestPaths } from '../src/repository/ingest.js';
import { initRepository, openRepository } from '../src/repository/open.js';
import type { Actor } from '../src/repository/types.js';
import { tempDir } from '../test/helpers/paths.js';
import { peerScript, QUICK, runPythonPeer } from './support.js';

const N = QUICK ? 30 : 150;
const FILES = '/opt/pypi/files';
const actor: Actor = { name: 'bench', role: 'admin' };

function wheels(): string[] {
  const all = readdirSync(FILES)
    .filter((f) => f.endsWith('.whl'))
    .sort()
    .map((f) => join(FILES, f))
    .filter((p) => statSync(p).size < 4 * 1024 * 1024);
  const step = Math.max(1, Math.floor(all.length / (N + 1)));
  return all.filter((_, i) => i % step === 0).slice(0, N + 1);
}

async function main(): Promise<void> {
  let picked: string[];
  try {
    picked = wheels();
  } catch {
    console.log(`${FILES} is absent: the ingest benchmark needs the local PyPI tree`);
    return;
  }
  const [warm, ...set] = picked as [string, ...string[]];
  const bytes = set.reduce((n, p) => n + statSync(p).size, 0);
  const tmp = tempDir('pyvet-bench-ingest-');
  const work = tmp.path;
  try {
    const dataDir = join(work, 'pyvet');
    await initRepository(dataDir, { logLevel: 'warn' });
    const repo = await openRepository({ dataDir, logLevel: 'warn' });
    // Warm-up: loads the bundled advisories and the policy once, as a running server would have.
    await ingestPaths(repo, [warm], { actor, origin: 'local' });
    let t = performance.now();
    const r = await ingestPaths(repo, set, { actor, origin: 'local' });
    const ours = (performance.now() - t) / 1000;
    if (r.failed.length) console.log(`pyvet refused ${r.failed.length}: ${r.failed.map((f) => f.code).join(', ')}`);

    const peer = runPythonPeer<{ seconds: number }>([peerScript('ingest_bench.py'), join(work, 'peer'), ...set], { failed: 'python peer failed' });

    const mb = bytes / 1024 / 1024;
    console.log(`${set.length} real wheels, ${mb.toFixed(1)} MB (fsync on; this disk's fsync dominates both)`);
    console.log(`${'workload'.padEnd(34)}${'pyvet'.padStart(14)}${'python peer'.padStart(14)}   ratio`);
    const row = (label: string, a: number, b: number | undefined, unit: string) =>
      console.log(
        `${label.padEnd(34)}${`${a.toFixed(1)} ${unit}`.padStart(14)}${b === undefined ? ''.padStart(14) : `${b.toFixed(1)} ${unit}`.padStart(14)}   ${b === undefined ? '' : `${(a / b).toFixed(2)}x`}`,
      );
    row('ingest (files/s)', set.length / ours, peer ? set.length / peer.seconds : undefined, 'f/s');
    row('ingest (MB/s)', mb / ours, peer ? mb / peer.seconds : undefined, 'MB/s');

    // serial(): the server reads it on every request to know whether its pages are current.
    const ITER = 200_000;
    for (let i = 0; i < 10_000; i++) await repo.catalog.files.serial();
    t = performance.now();
    for (let i = 0; i < ITER; i++) await repo.catalog.files.serial();
    console.log(`catalog.serial(): ${(((performance.now() - t) / ITER) * 1000).toFixed(2)} µs per call`);

    // Audit verification over a longer log.
    const EXTRA = QUICK ? 5_000 : 50_000;
    await repo.catalog.transaction(async (tx) => {
      for (let i = 0; i < EXTRA; i++) {
        await tx.audit.append({ actor: 'bench', action: 'bench.entry', subject: `s${i}`, details: { i, reason: 'bench' } });
      }
    });
    t = performance.now();
    const v = await verifyAudit(repo);
    const secs = (performance.now() - t) / 1000;
    console.log(`audit verify: ${v.entries} entries in ${secs.toFixed(2)} s (${Math.round(v.entries / secs)} entries/s), ok=${v.ok}`);
    await repo.close();
  } finally {
    tmp.cleanup();
  }
}

await main();
