// BLAKE2b-256 (RFC 7693 with a 32-byte digest, PyPI's blake2b_256) at native speed. Node's
// OpenSSL only offers BLAKE2b-512, which is a different hash (the output length is part of the
// parameter block), and a JavaScript BLAKE2b emulates 64-bit words with 32-bit halves: on a
// 100 MB wheel that cost seconds. So the compression function is emitted here as a tiny
// WebAssembly module with native i64 arithmetic, fully unrolled (about 10 KB of bytecode,
// compiled once). Each hasher keeps its own state and copies it in and out around every
// update, so hashers never share anything across awaits.

const IV = [
  0x6a09e667f3bcc908n,
  0xbb67ae8584caa73bn,
  0x3c6ef372fe94f82bn,
  0xa54ff53a5f1d36f1n,
  0x510e527fade682d1n,
  0x9b05688c2b3e6c1fn,
  0x1f83d9abfb41bd6bn,
  0x5be0cd19137e2179n,
];

const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

// Memory layout: h (8 words) at 0, the byte counter at 64, message blocks from 128.
const COUNTER = 64;
const BLOCKS = 128;
const WINDOW = 64 * 1024;
const STATE_BYTES = 72;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb64(value: bigint): number[] {
  let v = BigInt.asIntN(64, value);
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Buffer.from(s)];
}

/** compress(ptr, blocks, increment, final): `blocks` 128-byte blocks at ptr, counter += increment each. */
function compressModule(): Uint8Array {
  const [PTR, N, INC, FINAL] = [0, 1, 2, 3];
  const v = (i: number) => 4 + i;
  const m = (i: number) => 20 + i;
  const code: number[] = [];
  const get = (l: number) => code.push(0x20, ...uleb(l));
  const set = (l: number) => code.push(0x21, ...uleb(l));
  const i32 = (n: number) => code.push(0x41, ...uleb(n)); // values used are < 64: same as sleb
  const load = (offset: number) => code.push(0x29, 3, ...uleb(offset));
  const store = (offset: number) => code.push(0x37, 3, ...uleb(offset));
  const [ADD, XOR, ROTR] = [0x7c, 0x85, 0x8a];
  const rotr = (by: number) => code.push(0x42, ...sleb64(BigInt(by)), ROTR);

  code.push(0x03, 0x40); // loop
  // counter += increment
  i32(0);
  i32(0);
  load(COUNTER);
  get(INC);
  code.push(0xad, ADD); // i64.extend_i32_u, i64.add
  store(COUNTER);
  for (let i = 0; i < 16; i++) {
    get(PTR);
    load(8 * i);
    set(m(i));
  }
  for (let i = 0; i < 8; i++) {
    i32(0);
    load(8 * i);
    set(v(i));
    code.push(0x42, ...sleb64(IV[i]!));
    set(v(i + 8));
  }
  // v12 ^= counter; v14 ^= final ? ~0 : 0
  get(v(12));
  i32(0);
  load(COUNTER);
  code.push(XOR);
  set(v(12));
  get(v(14));
  code.push(0x42, 0); // i64.const 0
  get(FINAL);
  code.push(0xad, 0x7d, XOR); // extend, i64.sub, i64.xor
  set(v(14));
  const G = (a: number, b: number, c: number, d: number, x: number, y: number) => {
    const mix = (msg: number, r1: number, r2: number) => {
      get(v(a));
      get(v(b));
      code.push(ADD);
      get(m(msg));
      code.push(ADD);
      set(v(a));
      get(v(d));
      get(v(a));
      code.push(XOR);
      rotr(r1);
      set(v(d));
      get(v(c));
      get(v(d));
      code.push(ADD);
      set(v(c));
      get(v(b));
      get(v(c));
      code.push(XOR);
      rotr(r2);
      set(v(b));
    };
    mix(x, 32, 24);
    mix(y, 16, 63);
  };
  for (let r = 0; r < 12; r++) {
    const s = SIGMA[r % 10]!;
    G(0, 4, 8, 12, s[0]!, s[1]!);
    G(1, 5, 9, 13, s[2]!, s[3]!);
    G(2, 6, 10, 14, s[4]!, s[5]!);
    G(3, 7, 11, 15, s[6]!, s[7]!);
    G(0, 5, 10, 15, s[8]!, s[9]!);
    G(1, 6, 11, 12, s[10]!, s[11]!);
    G(2, 7, 8, 13, s[12]!, s[13]!);
    G(3, 4, 9, 14, s[14]!, s[15]!);
  }
  for (let i = 0; i < 8; i++) {
    i32(0);
    i32(0);
    load(8 * i);
    get(v(i));
    code.push(XOR);
    get(v(i + 8));
    code.push(XOR);
    store(8 * i);
  }
  // ptr += 128; n -= 1; continue while n != 0
  get(PTR);
  i32(BLOCKS);
  code.push(0x6a);
  set(PTR);
  get(N);
  i32(1);
  code.push(0x6b, 0x22, ...uleb(N)); // i32.sub, local.tee
  code.push(0x0d, 0, 0x0b); // br_if 0, end loop
  code.push(0x0b); // end function

  const body = [1, 32, 0x7e, ...code]; // 32 i64 locals: v0..v15, m0..m15
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0, 2]),
    ...section(7, [2, ...name('compress'), 0, 0, ...name('memory'), 2, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

// The global exists in Node; lib "ES2023" and @types/node 20 do not describe it.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};

let engine: { compress: (ptr: number, blocks: number, inc: number, final: number) => void; mem: Uint8Array } | undefined;

function wasm(): NonNullable<typeof engine> {
  if (engine === undefined) {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(compressModule()), {});
    const exports = instance.exports as { compress: NonNullable<typeof engine>['compress']; memory: { buffer: ArrayBuffer } };
    engine = { compress: exports.compress, mem: new Uint8Array(exports.memory.buffer) };
  }
  return engine;
}

/** An incremental BLAKE2b-256 hash. */
export class Blake2b256 {
  private readonly state = new Uint8Array(STATE_BYTES);
  // Up to one block held back: the last block must be compressed with the final flag.
  private pending = new Uint8Array(0);
  private done = false;

  constructor() {
    const view = new DataView(this.state.buffer);
    for (let i = 0; i < 8; i++) view.setBigUint64(8 * i, IV[i]!, true);
    // Parameter block: digest length 32, no key, fanout 1, depth 1.
    view.setBigUint64(0, IV[0]! ^ 0x01010020n, true);
  }

  update(data: Uint8Array): this {
    if (this.done) throw new Error('BLAKE2b: update after digest');
    const total = this.pending.length + data.length;
    if (total <= 128) {
      const joined = new Uint8Array(total);
      joined.set(this.pending);
      joined.set(data, this.pending.length);
      this.pending = joined;
      return this;
    }
    const { compress, mem } = wasm();
    mem.set(this.state, 0);
    const now = Math.floor((total - 1) / 128) * 128; // keep 1..128 bytes back
    let pos = 0;
    while (pos < now) {
      const n = Math.min(WINDOW, now - pos);
      // bytes [pos, pos + n) of pending ++ data
      const fromPending = Math.max(0, Math.min(this.pending.length - pos, n));
      if (fromPending > 0) mem.set(this.pending.subarray(pos, pos + fromPending), BLOCKS);
      const start = pos + fromPending - this.pending.length;
      mem.set(data.subarray(start, start + n - fromPending), BLOCKS + fromPending);
      compress(BLOCKS, n / 128, 128, 0);
      pos += n;
    }
    const rest = now - this.pending.length;
    this.pending = data.slice(rest);
    this.state.set(mem.subarray(0, STATE_BYTES));
    return this;
  }

  /** The 32-byte digest, as lower-case hex. */
  hex(): string {
    if (this.done) throw new Error('BLAKE2b: digest twice');
    this.done = true;
    const { compress, mem } = wasm();
    mem.set(this.state, 0);
    mem.fill(0, BLOCKS, BLOCKS + 128);
    mem.set(this.pending, BLOCKS);
    compress(BLOCKS, 1, this.pending.length, 1);
    return Buffer.from(mem.subarray(0, 32)).toString('hex');
  }
}
