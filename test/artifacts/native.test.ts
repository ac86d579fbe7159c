// The native inflater (native/pyvet_native.c over libdeflate) against node:zlib, which is both
// its fallback and its reference: the same bytes out, the same refusals. The hostile suite runs
// every archive through both engines as well (hostile.test.ts).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { INFLATE_BAD_DATA, INFLATE_TOO_LONG, native, nativeUnavailable } from '../../src/artifacts/native.js';
import { IN_CI } from '../helpers/python.js';

function skipReason(): string | undefined {
  if (native) return undefined;
  const msg = `the native inflater is not in use (${nativeUnavailable}): its tests are SKIPPED and ingest falls back to node:zlib`;
  if (IN_CI && process.env.PYVET_NATIVE !== '0') throw new Error(`CI=true and ${msg}`);
  process.stderr.write(`\n${'!'.repeat(78)}\n!!! ${msg}\n${'!'.repeat(78)}\n\n`);
  return msg;
}
const skip = skipReason();

/** Compressible data of `n` bytes: text-like runs with random noise. */
function sample(n: number, seed: number): Buffer {
  const words = ['import ', 'numpy', ' as np\n', 'def f(x):\n', '    return x', '\x00\x01\x02', 'ABCDEFGH'];
  const out = Buffer.alloc(n);
  let s = seed;
  for (let i = 0; i < n; ) {
    s = (s * 1103515245 + 12345) >>> 0;
    const w = s % 5 === 0 ? randomBytes(8).toString('latin1') : words[s % words.length]!;
    i += out.write(w, i, 'latin1');
  }
  return out;
}

test('inflates what zlib deflated, into a buffer of exactly the declared size', { skip }, () => {
  const dst = Buffer.alloc(1 << 20);
  for (const [n, level] of [
    [0, 6],
    [1, 6],
    [100, 1],
    [65_536, 9],
    [300_000, 6],
    [1 << 20, 0],
  ] as const) {
    const plain = sample(n, n + level);
    const packed = deflateRawSync(plain, { level });
    const got = native!.inflateRawInto(packed, dst.subarray(0, n));
    assert.equal(got, n);
    assert.ok(dst.subarray(0, n).equals(plain), `length ${n} level ${level}`);
  }
});

test('arbitrary data: the same bytes as inflateRawSync, the same CRC-32 as zlib', { skip }, () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 5000 }), fc.integer({ min: 0, max: 9 }), (data, level) => {
      const packed = deflateRawSync(data, { level });
      const dst = Buffer.alloc(data.length);
      assert.equal(native!.inflateRawInto(packed, dst), data.length);
      assert.ok(dst.equals(inflateRawSync(packed)));
      assert.equal(native!.crc32(data, 0), crc32(data));
      // CRC-32 continues across pieces, as zlib's does.
      const cut = data.length >> 1;
      assert.equal(native!.crc32(data.subarray(cut), native!.crc32(data.subarray(0, cut), 0)), crc32(data));
    }),
    { numRuns: 300 },
  );
});

test('output longer than the declared size is TOO_LONG: the bomb that lies about its size', { skip }, () => {
  const plain = Buffer.alloc(1_000_000, 0x61);
  const packed = deflateRawSync(plain);
  assert.equal(native!.inflateRawInto(packed, Buffer.alloc(999_999)), INFLATE_TOO_LONG);
  // A shorter stream than declared is reported by its true length: the caller compares.
  assert.equal(native!.inflateRawInto(packed, Buffer.alloc(1_000_001)), 1_000_000);
});

test('truncated, corrupted and non-deflate input is refused, never a crash', { skip }, () => {
  const plain = sample(200_000, 7);
  const packed = deflateRawSync(plain);
  const dst = Buffer.alloc(plain.length);
  // libdeflate reads past the end as zeros, so a cut stream may also fill the buffer (TOO_LONG);
  // zip.ts asks zlib to classify any refusal, so that both engines report the same error.
  for (const cut of [0, 1, 10, packed.length >> 1, packed.length - 1]) {
    const n = native!.inflateRawInto(packed.subarray(0, cut), dst);
    assert.ok(n === INFLATE_BAD_DATA || n === INFLATE_TOO_LONG, `cut at ${cut}: ${n}`);
  }
  // Block type 3 is reserved: invalid whatever follows.
  assert.equal(native!.inflateRawInto(Buffer.from([0x07, 0x00, 0x00]), dst), INFLATE_BAD_DATA);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (junk) => {
      const n = native!.inflateRawInto(junk, dst);
      // Random bytes may happen to be a valid stream; then zlib must agree on the bytes.
      if (n >= 0) assert.ok(dst.subarray(0, n).equals(inflateRawSync(junk, { finishFlush: 2 }).subarray(0, n)));
      else assert.ok(n === INFLATE_BAD_DATA || n === INFLATE_TOO_LONG);
    }),
    { numRuns: 500 },
  );
});

test('overlapping source and destination are refused before anything is written', { skip }, () => {
  const packed = deflateRawSync(sample(10_000, 3));
  const both = Buffer.alloc(packed.length + 10_000);
  packed.copy(both);
  const before = Buffer.from(both);
  assert.throws(() => native!.inflateRawInto(both.subarray(0, packed.length), both.subarray(packed.length - 1)), RangeError);
  assert.ok(both.equals(before));
  // Adjacent is not overlapping.
  assert.equal(native!.inflateRawInto(both.subarray(0, packed.length), both.subarray(packed.length)), 10_000);
});

test('wrong arguments are a TypeError', { skip }, () => {
  assert.throws(() => (native!.inflateRawInto as (...a: unknown[]) => number)('text', Buffer.alloc(1)), TypeError);
  assert.throws(() => (native!.inflateRawInto as (...a: unknown[]) => number)(Buffer.alloc(1)), TypeError);
  assert.throws(() => (native!.crc32 as (...a: unknown[]) => number)([1, 2, 3], 0), TypeError);
});
