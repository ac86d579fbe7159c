// The WebAssembly BLAKE2b-256 against an independent implementation (@noble/hashes) on every
// length around the block and window boundaries and on arbitrary update splits; the digests
// test in real.test.ts checks it against Python's hashlib too.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { blake2b } from '@noble/hashes/blake2.js';
import fc from 'fast-check';
import { Blake2b256 } from '../../src/artifacts/blake2b.js';

const reference = (data: Uint8Array) => Buffer.from(blake2b(data, { dkLen: 32 })).toString('hex');

test('RFC 7693 style known answers', () => {
  // hashlib.blake2b(b'abc', digest_size=32) and of b''
  assert.equal(new Blake2b256().update(Buffer.from('abc')).hex(), 'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319');
  assert.equal(new Blake2b256().hex(), '0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8');
});

test('every length near block (128) and window (65536) boundaries, in one update', () => {
  const lengths = [0, 1, 127, 128, 129, 255, 256, 257, 65535, 65536, 65537, 65536 + 128, 2 * 65536 + 1];
  for (const n of lengths) {
    const data = randomBytes(n);
    assert.equal(new Blake2b256().update(data).hex(), reference(data), `length ${n}`);
  }
});

test('arbitrary data split into arbitrary updates', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(400), { maxLength: 12 }), (data, cuts) => {
      const h = new Blake2b256();
      let at = 0;
      for (const cut of cuts) {
        const end = Math.min(data.length, at + cut);
        h.update(data.subarray(at, end));
        at = end;
      }
      h.update(data.subarray(at));
      assert.equal(h.hex(), reference(data));
    }),
    { numRuns: 300 },
  );
});

test('hashers interleaved do not disturb each other', () => {
  const a = randomBytes(70_000);
  const b = randomBytes(90_000);
  const ha = new Blake2b256();
  const hb = new Blake2b256();
  for (let i = 0; i < 10; i++) {
    ha.update(a.subarray(i * 7000, (i + 1) * 7000));
    hb.update(b.subarray(i * 9000, (i + 1) * 9000));
  }
  assert.equal(ha.hex(), reference(a));
  assert.equal(hb.hex(), reference(b));
});
