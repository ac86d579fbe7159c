// Inspection on worker threads must be the same inspection: every report and every refusal
// (code, kind, message, details) equal to the calling thread's, Buffers still Buffers, many
// files at once, and idle workers that never keep a command from exiting.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type ArtifactReport,
  artifactLimits,
  createInspector,
  hashFile,
  type InspectOptions,
  inspectArtifact,
} from '../../src/artifacts/index.js';
import { defaultConfig } from '../../src/config.js';
import { workerScript } from '../../src/artifacts/pool.js';
import { PyvetError } from '../../src/errors.js';
import { buildSdist, buildWheel, deflateBomb, writeArchive } from '../helpers/archives.js';
import { tempDir } from '../helpers/paths.js';

const dir = tempDir('pyvet-pool-');
const pool = createInspector(2);
after(async () => {
  await pool.close();
  dir.cleanup();
});
const limits = artifactLimits(defaultConfig().limits);

async function outcome(run: () => Promise<ArtifactReport>): Promise<{ report: ArtifactReport } | { error: PyvetError }> {
  try {
    return { report: await run() };
  } catch (err) {
    assert.ok(err instanceof PyvetError, `expected a PyvetError, got ${String(err)}`);
    return { error: err };
  }
}

let built: Promise<{ label: string; path: string }[]> | undefined;
const cases = () => {
  built ??= buildCases();
  return built;
};

/** Each archive in a folder of its own, named as its kind requires. */
function place(label: string, filename: string, bytes: Buffer): { label: string; path: string } {
  mkdirSync(join(dir.path, label));
  return { label, path: writeArchive(join(dir.path, label), filename, bytes) };
}

async function buildCases(): Promise<{ label: string; path: string }[]> {
  const w = (label: string, spec: Partial<Parameters<typeof buildWheel>[0]>) => {
    const b = buildWheel({ name: 'demo', version: '1.0', ...spec });
    return place(label, b.filename, b.bytes);
  };
  const s = await buildSdist({ name: 'demo', version: '1.0' });
  return [
    w('valid', { files: { 'demo/big.bin': randomBytes(3 * 1024 * 1024), 'demo/a.py': 'x = 1\n' }, metadataLines: ['Requires-Dist: six'] }),
    place('sdist', s.filename, s.bytes),
    w('record-lies', { record: (rows) => rows.map((r) => (r[0] === 'demo/__init__.py' ? [r[0]!, `sha256=${'A'.repeat(43)}`, r[2]!] : r)) }),
    w('traversal', { extraEntries: [{ name: '../evil.py', data: 'x' }] }),
    w('bomb', { extraEntries: [{ name: 'demo/z.bin', compressed: deflateBomb(512 * 1024 * 1024), size: 512 * 1024 * 1024, crc32: 0 }] }),
    w('bad-crc', { extraEntries: [{ name: 'demo/x.py', data: 'print(1)\n', crc32: 1 }] }),
    w('not-utf8', { metadata: Buffer.from([0x4d, 0x65, 0xff, 0xfe, 0x0a]) }),
    place('truncated', 'demo-1.0-py3-none-any.whl', buildWheel({ name: 'demo', version: '1.0' }).bytes.subarray(0, 200)),
  ];
}

describe('inspection on worker threads', () => {
  test('reports and refusals equal the calling thread’s, for valid and hostile archives', async () => {
    const all = await cases();
    let refusals = 0;
    for (const c of all) {
      const opts: InspectOptions = { limits };
      const inline = await outcome(() => inspectArtifact(c.path, opts));
      const pooled = await outcome(() => pool.inspect(c.path, opts));
      if ('report' in inline) {
        assert.ok('report' in pooled, `${c.label}: the pool refused what the thread accepted`);
        assert.ok(Buffer.isBuffer(pooled.report.metadataBytes), `${c.label}: metadataBytes is a Buffer`);
        assert.deepEqual(pooled.report, inline.report, c.label);
      } else {
        refusals++;
        assert.ok('error' in pooled, `${c.label}: the pool accepted what the thread refused (${inline.error.code})`);
        assert.deepEqual(
          { code: pooled.error.code, kind: pooled.error.kind, message: pooled.error.message, details: pooled.error.details },
          { code: inline.error.code, kind: inline.error.kind, message: inline.error.message, details: inline.error.details },
          c.label,
        );
      }
    }
    assert.equal(refusals, all.length - 2, 'every hostile case is refused');
  });

  test('many inspections at once, each with its own answer', async () => {
    const all = await cases();
    const many = [...all, ...all, ...all];
    const results = await Promise.all(many.map((c) => outcome(() => pool.inspect(c.path, { limits }))));
    for (const [i, r] of results.entries()) {
      const label = many[i]!.label;
      assert.equal('report' in r, label === 'valid' || label === 'sdist', label);
    }
  });

  test('digests from the writer are used, and a size they contradict is refused', async () => {
    const [valid] = await cases();
    const digests = await hashFile(valid!.path);
    const r = await pool.inspect(valid!.path, { limits, digests, expectedSha256: digests.sha256 });
    assert.deepEqual(r.digests, digests);
    await assert.rejects(
      pool.inspect(valid!.path, { limits, digests: { ...digests, size: digests.size - 1 } }),
      (e: unknown) => e instanceof PyvetError && e.code === 'DIGEST_MISMATCH',
    );
    await assert.rejects(
      pool.inspect(valid!.path, { limits, digests, expectedSha256: '0'.repeat(64) }),
      (e: unknown) => e instanceof PyvetError && e.code === 'DIGEST_MISMATCH',
    );
  });

  test('closing rejects what waits, and nothing is accepted afterwards', async () => {
    const [valid] = await cases();
    const p = createInspector(1);
    const waiting = [p.inspect(valid!.path, { limits }), p.inspect(valid!.path, { limits })];
    for (const w of waiting) w.catch(() => {});
    await p.close();
    for (const w of waiting) await assert.rejects(w, (e: unknown) => e instanceof PyvetError && e.code === 'INSPECTOR_CLOSED');
    await assert.rejects(p.inspect(valid!.path, { limits }), (e: unknown) => e instanceof PyvetError && e.code === 'INSPECTOR_CLOSED');
  });

  test('idle workers do not keep a process alive, whatever flags it runs with', async () => {
    const [valid] = await cases();
    const module = new URL('../../src/artifacts/index.js', import.meta.url).href;
    const code = `const a = await import(${JSON.stringify(module)});
      const p = a.createInspector(2);
      const r = await p.inspect(${JSON.stringify(valid!.path)}, { limits: a.artifactLimits({ max_file_bytes: 1e9, max_uncompressed_bytes: 1e10, max_compression_ratio: 200, max_metadata_bytes: 1e6, max_archive_entries: 1e5 }) });
      console.log(r.name);`;
    // …also when the process runs with flags a worker may not take (a V8 heap flag, --input-type).
    for (const flags of [[], ['--max-semi-space-size=32']]) {
      const child = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(child.status, 0, child.stderr);
      assert.equal(child.stdout.trim(), 'demo');
    }
  });

  test('the workers run the bundle the build made, and never one older than the compiled code', () => {
    const bundle = fileURLToPath(new URL('../../vendor/inspect-worker.js', import.meta.url));
    assert.ok(existsSync(bundle), 'dist/vendor/inspect-worker.js is missing: `npm run build` runs scripts/bundle-vendor.mjs');
    assert.equal(fileURLToPath(workerScript()), bundle);
    // A bundle older than the compiled inspection code (a `tsc` without the bundling step) is
    // passed over, in a fresh process, for the compiled worker.
    const compiled = fileURLToPath(new URL('../../src/artifacts/inspect.js', import.meta.url));
    const { mtime } = statSync(bundle);
    try {
      utimesSync(bundle, mtime, new Date(statSync(compiled).mtimeMs - 60_000));
      const module = new URL('../../src/artifacts/pool.js', import.meta.url).href;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', `console.log((await import(${JSON.stringify(module)})).workerScript().pathname)`], {
        encoding: 'utf8',
      });
      assert.equal(child.stdout.trim(), fileURLToPath(new URL('../../src/artifacts/inspect-worker.js', import.meta.url)), child.stderr);
    } finally {
      utimesSync(bundle, mtime, mtime);
    }
  });
});
