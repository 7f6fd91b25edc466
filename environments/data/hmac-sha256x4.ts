/**
 * HMAC-SHA256 of many short messages at once, four at a time: a WebAssembly function whose 128-bit
 * vectors hold the same word of four messages, so each SHA-256 round works on four lanes. Its
 * outputs are byte for byte those of `KeyedSha256` (and `crypto.createHmac`); it takes messages of
 * one block (at most 55 bytes), which is what masked values are, and the caller hashes longer ones
 * one by one. The module is written here as bytes (about 32 KB, no build step or binary file);
 * where the runtime has no WebAssembly SIMD, `BatchHmac.create` returns undefined.
 */
import { K, padStates } from './hmac-sha256';

// Memory, in bytes: the key's inner and outer pad states (each word in four lanes), the round
// constants (the same), then the messages, each as its 64 padded bytes: message m at IN + 64m, so
// group g (messages 4g..4g+3) at IN + 256g. The function writes each group's digests over it, as
// words: word k of message 4g + j at IN + 256g + 16k + 4j.
const INNER = 0;
const OUTER = 128;
const ROUND_K = 256;
const IN = 2048;
const PAGE = 65536;

/** Unsigned LEB128. */
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

/** Signed LEB128 of a 32-bit integer. */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, 'latin1')];

/** The body of `hmac(groups)`: for each group, the inner and the outer compression, all 64 rounds written out. */
function body(): number[] {
  const code: number[] = [];
  // Locals: 0 the parameter (groups), 1 the group's address, 2 the end address; then v128s.
  const P = 1;
  const END = 2;
  let next = 3;
  const v = () => next++;
  const S = Array.from({ length: 8 }, v); // a..h, renamed round by round
  const W = Array.from({ length: 16 }, v); // the message schedule's last 16 words
  const T1 = v();
  const R = Array.from({ length: 4 }, v); // four messages' same four words, as loaded
  const T = Array.from({ length: 4 }, v); // half transposed
  const simd = (op: number) => code.push(0xfd, ...uleb(op));
  const get = (l: number) => code.push(0x20, ...uleb(l));
  const set = (l: number) => code.push(0x21, ...uleb(l));
  const i32 = (n: number) => code.push(0x41, ...sleb(n));
  /** v128.load of the 16 bytes at the address on the stack plus `offset` (aligned to 16). */
  const loadAt = (offset: number) => {
    simd(0x00);
    code.push(4, ...uleb(offset));
  };
  /** The group's bytes at `offset`. */
  const load = (offset: number) => {
    get(P);
    loadAt(offset);
  };
  /** The key's states and the round constants, at a fixed address. */
  const constant = (offset: number) => {
    i32(0);
    loadAt(offset);
  };
  const add = () => simd(0xae);
  const xor = () => simd(0x51);
  const or = () => simd(0x50);
  const bitselect = () => simd(0x52);
  const shuffle = (x: number, y: number, lanes: number[]) => {
    get(x);
    get(y);
    simd(0x0d);
    code.push(...lanes);
  };
  /** Byte indexes of a shuffle that picks words `a` and `b` of its first operand, then of its second, each byte-reversed. */
  const swapped = (a: number, b: number) =>
    [a, b, a + 4, b + 4].flatMap((w) => [4 * w + 3, 4 * w + 2, 4 * w + 1, 4 * w]);
  const shr = (n: number) => {
    i32(n);
    simd(0xad);
  };
  const shl = (n: number) => {
    i32(n);
    simd(0xab);
  };
  const rotr = (l: number, n: number) => {
    get(l);
    shr(n);
    get(l);
    shl(32 - n);
    or();
  };
  /** rotr(x, r0) ^ rotr(x, r1) ^ (rotr or shr)(x, r2). */
  const sigma = (l: number, r0: number, r1: number, r2: number, shift: boolean) => {
    rotr(l, r0);
    rotr(l, r1);
    xor();
    if (shift) {
      get(l);
      shr(r2);
    } else rotr(l, r2);
    xor();
  };

  /** 64 rounds over S from the state at `from`, the schedule in W; then S += that state. */
  const compress = (from: number) => {
    for (let k = 0; k < 8; k++) {
      constant(from + 16 * k);
      set(S[k]);
    }
    const r = S.slice(); // r[0] = a ... r[7] = h
    for (let i = 0; i < 64; i++) {
      const w = W[i & 15];
      if (i >= 16) {
        get(w);
        sigma(W[(i - 15) & 15], 7, 18, 3, true);
        add();
        get(W[(i - 7) & 15]);
        add();
        sigma(W[(i - 2) & 15], 17, 19, 10, true);
        add();
        set(w);
      }
      const [a, b, c, d, e, f, g, h] = r;
      // T1 = h + S1(e) + Ch(e, f, g) + K[i] + W[i]
      get(h);
      sigma(e, 6, 11, 25, false);
      add();
      get(f);
      get(g);
      get(e);
      bitselect();
      add();
      constant(ROUND_K + 16 * i);
      add();
      get(w);
      add();
      set(T1);
      // d += T1 (the next e); h = T1 + S0(a) + Maj(a, b, c) (the next a)
      get(d);
      get(T1);
      add();
      set(d);
      get(T1);
      sigma(a, 2, 13, 22, false);
      add();
      get(b);
      get(a);
      get(a);
      get(c);
      xor();
      bitselect();
      add();
      set(h);
      r.unshift(r.pop() as number);
    }
    // After 64 renamings r is S again.
    for (let k = 0; k < 8; k++) {
      get(S[k]);
      constant(from + 16 * k);
      add();
      set(S[k]);
    }
  };

  // END = IN + groups * 256; P = IN
  get(0);
  i32(256);
  code.push(0x6c); // i32.mul
  i32(IN);
  code.push(0x6a); // i32.add
  set(END);
  i32(IN);
  set(P);
  code.push(0x02, 0x40); // block
  code.push(0x03, 0x40); // loop
  get(P);
  get(END);
  code.push(0x4f); // i32.ge_u
  code.push(0x0d, 1); // br_if to the block's end
  // The schedule's first 16 words, four at a time: the same four words of the four messages,
  // transposed (word i of message j to lane j of W[i]) and from big-endian bytes to numbers.
  const words = (ws: number[]) => ws.flatMap((w) => [4 * w, 4 * w + 1, 4 * w + 2, 4 * w + 3]);
  const lo = words([0, 4, 1, 5]); // of two messages' words 0-3: word 0 of each, then word 1 of each
  const hi = words([2, 6, 3, 7]); // word 2 of each, then word 3 of each
  for (let q = 0; q < 4; q++) {
    for (let j = 0; j < 4; j++) {
      load(64 * j + 16 * q);
      set(R[j]);
    }
    shuffle(R[0], R[1], lo);
    set(T[0]);
    shuffle(R[2], R[3], lo);
    set(T[1]);
    shuffle(R[0], R[1], hi);
    set(T[2]);
    shuffle(R[2], R[3], hi);
    set(T[3]);
    shuffle(T[0], T[1], swapped(0, 1));
    set(W[4 * q]);
    shuffle(T[0], T[1], swapped(2, 3));
    set(W[4 * q + 1]);
    shuffle(T[2], T[3], swapped(0, 1));
    set(W[4 * q + 2]);
    shuffle(T[2], T[3], swapped(2, 3));
    set(W[4 * q + 3]);
  }
  compress(INNER);
  // The outer block: the inner digest, then padding and the length (64 + 32 bytes, in bits).
  for (let k = 0; k < 8; k++) {
    get(S[k]);
    set(W[k]);
  }
  const lanes = (n: number) => {
    simd(0x0c);
    for (let j = 0; j < 4; j++) code.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
  };
  for (let k = 8; k < 16; k++) {
    lanes(k === 8 ? 0x80000000 : k === 15 ? (64 + 32) * 8 : 0);
    set(W[k]);
  }
  compress(OUTER);
  for (let k = 0; k < 8; k++) {
    get(P);
    get(S[k]);
    simd(0x0b);
    code.push(4, ...uleb(16 * k));
  }
  get(P);
  i32(256);
  code.push(0x6a);
  set(P);
  code.push(0x0c, 0); // br to the loop
  code.push(0x0b, 0x0b); // end loop, end block
  code.push(0x0b); // end function
  const locals = vec([
    [2, 0x7f],
    [next - 3, 0x7b],
  ]);
  return [...locals, ...code];
}

/** The parts of the WebAssembly API used here (the project's TypeScript libraries do not declare them). */
interface Memory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface Wasm {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: { memory: Memory; hmac: (groups: number) => void } };
}
const wasm = (globalThis as { WebAssembly?: Wasm }).WebAssembly;

let compiled: object | null | undefined;

/** The module, compiled once per thread; null where this runtime cannot run it (no SIMD). */
function module(): object | null {
  if (compiled !== undefined) return compiled;
  const fn = body();
  const bytes = Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec([[0x60, 1, 0x7f, 0]])), // type 0: (i32) -> ()
    ...section(3, vec([[0]])), // function 0 of type 0
    ...section(5, vec([[0x00, 1]])), // one memory, one page to start
    ...section(
      7,
      vec([
        [...name('hmac'), 0, 0],
        [...name('memory'), 2, 0],
      ]),
    ),
    ...section(10, vec([[...uleb(fn.length), ...fn]])),
  ]);
  let made: object | null = null;
  try {
    if (wasm && wasm.validate(bytes)) made = new wasm.Module(bytes);
  } catch {
    made = null;
  }
  compiled = made;
  return made;
}

/**
 * A batch of one-block messages under one key: `add` the messages (a prefix and a value's bytes),
 * `run` once, then read each message's HMAC with `digest`. The batch grows as it must (a chunk's
 * values at most) and `clear` starts the next one.
 */
export class BatchHmac {
  private words: Int32Array;
  private bytes: Uint8Array;
  private count = 0;
  private capacity: number;

  private constructor(
    private readonly memory: Memory,
    private readonly hmac: (groups: number) => void,
    key: Buffer,
  ) {
    this.capacity = ((memory.buffer.byteLength - IN) >> 8) * 4;
    this.words = new Int32Array(memory.buffer);
    this.bytes = new Uint8Array(memory.buffer);
    const { inner, outer } = padStates(key);
    for (let j = 0; j < 4; j++) {
      for (let i = 0; i < 8; i++) {
        this.words[INNER / 4 + 4 * i + j] = inner[i];
        this.words[OUTER / 4 + 4 * i + j] = outer[i];
      }
      for (let i = 0; i < 64; i++) this.words[ROUND_K / 4 + 4 * i + j] = K[i];
    }
  }

  /** A batch under `key`, or undefined where WebAssembly SIMD is not available. */
  static create(key: Buffer): BatchHmac | undefined {
    const mod = module();
    if (!mod) return undefined;
    const { exports } = new (wasm as Wasm).Instance(mod, {});
    return new BatchHmac(exports.memory, exports.hmac, key);
  }

  get size(): number {
    return this.count;
  }

  clear(): void {
    this.count = 0;
  }

  /**
   * Adds the message `prefix` then `data[from..to)`. Returns its index in the batch, or -1 when it
   * does not fit one block (more than 55 bytes): hash that one alone.
   */
  add(prefix: Uint8Array, data: Uint8Array, from: number, to: number): number {
    const length = prefix.length + to - from;
    if (length > 55) return -1;
    if (this.count === this.capacity) this.grow();
    const m = this.count++;
    const u8 = this.bytes;
    const start = IN + 64 * m;
    let at = start;
    for (let i = 0; i < prefix.length; i++) u8[at++] = prefix[i];
    for (let i = from; i < to; i++) u8[at++] = data[i];
    u8[at++] = 0x80;
    // Zeros, then the length in bits (at most (64 + 55) * 8: two bytes).
    while (at < start + 62) u8[at++] = 0;
    const bits = (64 + length) * 8;
    u8[start + 62] = bits >>> 8;
    u8[start + 63] = bits & 0xff;
    return m;
  }

  /** Hashes every message added since `clear`. */
  run(): void {
    if (this.count > 0) this.hmac((this.count + 3) >> 2);
  }

  /** Writes message `m`'s HMAC (32 bytes) into `out` (after `run`). */
  digest(m: number, out: Uint8Array): void {
    const w = this.words;
    const base = (IN >> 2) + ((m >> 2) << 6) + (m & 3);
    for (let k = 0; k < 8; k++) {
      const x = w[base + 4 * k];
      out[4 * k] = x >>> 24;
      out[4 * k + 1] = (x >>> 16) & 0xff;
      out[4 * k + 2] = (x >>> 8) & 0xff;
      out[4 * k + 3] = x & 0xff;
    }
  }

  private grow(): void {
    this.memory.grow(Math.max(1, Math.ceil((this.capacity * 64) / PAGE)));
    this.words = new Int32Array(this.memory.buffer);
    this.bytes = new Uint8Array(this.memory.buffer);
    this.capacity = ((this.memory.buffer.byteLength - IN) >> 8) * 4;
  }
}
