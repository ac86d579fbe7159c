// Damaged archives never crash the reader: any truncation or byte corruption of a valid wheel
// or sdist either still inspects (the damage hit nothing that matters, e.g. a zip comment) or
// is refused with one of the artifact codes, never an internal error or a hang.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { artifactLimits, inspectArtifact } from '../../src/artifacts/index.js';
import { defaultConfig } from '../../src/config.js';
import { PyvetError } from '../../src/errors.js';
import { buildSdist, buildWheel, writeArchive } from '../helpers/archives.js';
import { tempDir } from '../helpers/paths.js';

const dir = tempDir('pyvet-fuzz-');
after(dir.cleanup);
const limits = artifactLimits(defaultConfig().limits);
const CODES = /^(ARCHIVE_|WHEEL_|METADATA_|SDIST_|FILENAME_INVALID$)/;

async function survives(filename: string, bytes: Buffer): Promise<void> {
  const path = writeArchive(dir.path, filename, bytes);
  try {
    await inspectArtifact(path, { limits });
  } catch (err) {
    assert.ok(err instanceof PyvetError, `not a PyvetError: ${String(err)}`);
    assert.match(err.code, CODES, err.message);
  }
}

const damage = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({
    kind: fc.constant('flip' as const),
    flips: fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 1, max: 255 })), {
      minLength: 1,
      maxLength: 8,
    }),
  }),
);

function apply(bytes: Buffer, d: typeof damage extends fc.Arbitrary<infer T> ? T : never): Buffer {
  if (d.kind === 'truncate') return bytes.subarray(0, Math.floor(bytes.length * d.at));
  const out = Buffer.from(bytes);
  for (const [where, xor] of d.flips) out[Math.floor(where * out.length)]! ^= xor;
  return out;
}

test('damaged wheels', async () => {
  const w = buildWheel({ name: 'demo', version: '1.0', files: { 'demo/data.txt': 'hello '.repeat(500) } });
  await fc.assert(
    fc.asyncProperty(damage, (d) => survives(w.filename, apply(w.bytes, d))),
    { numRuns: 300 },
  );
});

test('damaged sdists (.tar.gz and .zip)', async () => {
  for (const format of ['tar.gz', 'zip'] as const) {
    const s = await buildSdist({ name: 'demo', version: '1.0', format, files: { 'README.md': 'hello '.repeat(500) } });
    await fc.assert(
      fc.asyncProperty(damage, (d) => survives(s.filename, apply(s.bytes, d))),
      { numRuns: 150 },
    );
  }
});
