/**
 * HMAC-SHA256 of many short messages at once, four at a time: a WebAssembly function whose 128-bit
 * vectors hold the same word of four messages, so each SHA-256 round works on four lanes. Its
 * outputs are byte for byte those of `KeyedSha256` (and `crypto.createHmac`); it takes messages of
 * one block (at most 55 bytes), which is what masked values are, and the caller hashes longer ones
 * one by one. The module is written here as bytes (about 11 KB, no build step or binary file);
 * where the runtime has no WebAssembly SIMD, `module()` is null. `BatchHmac` (hmac-batch.ts) feeds it.
 */

// Memory, in bytes: the key's inner and outer pad states (each word in four lanes), the round
// constants (the same), the ring of the schedule's words (the same), then the messages, each as
// its 64 padded bytes: message m at IN + 64m, so group g (messages 4g..4g+3) at IN + 256g. The
// function writes each group's digests over it, as words: word k of message 4g + j at
// IN + 256g + 16k + 4j.
export const INNER = 0;
export const OUTER = 128;
export const ROUND_K = 256;
/** The message schedule's last 16 words (each in four lanes), a ring that the rounds index. */
const RING = 1280;
export const IN = 2048;
export const PAGE = 65536;

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

/**
 * The body of `hmac(groups)`: for each group, the inner and the outer compression, each 64 rounds
 * as two loops of eight rounds written out (without the schedule, then with it): a third of the
 * code of all 64 rounds written out, and it hashed about a fifth faster than that on the machines
 * measured (a smaller function leaves more of the processor's instruction cache to the rest).
 */
function body(): number[] {
  const code: number[] = [];
  // Locals: 0 the parameter (groups), 1 the group's address, 2 the end address, 3 the round; then v128s.
  const P = 1;
  const END = 2;
  const ROUND = 3;
  let next = 4;
  const v = () => next++;
  const S = Array.from({ length: 8 }, v); // a..h, renamed round by round
  const W = Array.from({ length: 16 }, v); // a block's words, before they go into the ring
  const T1 = v();
  const R = Array.from({ length: 4 }, v); // four messages' same four words, as loaded
  const T = Array.from({ length: 4 }, v); // half transposed
  const WORD = v(); // the round's word of the schedule
  const X = v(); // the schedule's inputs
  const Y = v();
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

  const op = (...bytes: number[]) => code.push(...bytes);
  const store = (offset: number) => {
    simd(0x0b);
    code.push(4, ...uleb(offset));
  };
  /** Pushes the address (from RING) of the ring's word (round + k + delta) mod 16. */
  const ring = (k: number, delta: number) => {
    get(ROUND);
    i32(k + delta);
    op(0x6a, 0x41, 15, 0x71); // i32.add, i32.and 15
    i32(4);
    op(0x74); // i32.shl
  };
  /** Rounds ROUND + 0..7 over `r` (renamed in place: after eight, as before); `schedule`: rounds 16 and on. */
  const eight = (r: number[], schedule: boolean) => {
    for (let k = 0; k < 8; k++) {
      if (schedule) {
        // W[i] = W[i - 16] + s0(W[i - 15]) + W[i - 7] + s1(W[i - 2]), in the ring: slot i mod 16.
        ring(k, 1);
        loadAt(RING);
        set(X);
        ring(k, 14);
        loadAt(RING);
        set(Y);
        ring(k, 0);
        ring(k, 0);
        loadAt(RING);
        sigma(X, 7, 18, 3, true);
        add();
        ring(k, 9);
        loadAt(RING);
        add();
        sigma(Y, 17, 19, 10, true);
        add();
        op(0x22, ...uleb(WORD)); // local.tee
        store(RING);
      } else {
        ring(k, 0);
        loadAt(RING);
        set(WORD);
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
      get(ROUND);
      i32(k);
      op(0x6a); // i32.add
      i32(4);
      op(0x74); // i32.shl
      loadAt(ROUND_K);
      add();
      get(WORD);
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
  };

  /** 64 rounds over S from the state at `from`, the block's words in W; then S += that state. */
  const compress = (from: number) => {
    for (let k = 0; k < 16; k++) {
      i32(0);
      get(W[k]);
      store(RING + 16 * k);
    }
    for (let k = 0; k < 8; k++) {
      constant(from + 16 * k);
      set(S[k]);
    }
    i32(0);
    set(ROUND);
    for (const [schedule, until] of [
      [false, 16],
      [true, 64],
    ] as const) {
      op(0x03, 0x40); // loop
      eight(S.slice(), schedule);
      get(ROUND);
      i32(8);
      op(0x6a, 0x22, ...uleb(ROUND)); // i32.add, local.tee
      i32(until);
      op(0x49, 0x0d, 0, 0x0b); // i32.lt_u, br_if to the loop, end
    }
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
    [3, 0x7f],
    [next - 4, 0x7b],
  ]);
  return [...locals, ...code];
}

/** The parts of the WebAssembly API used here (the project's TypeScript libraries do not declare them). */
export interface Memory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export interface Wasm {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: { memory: Memory; hmac: (groups: number) => void } };
}
export const wasm = (globalThis as { WebAssembly?: Wasm }).WebAssembly;

let compiled: object | null | undefined;

/** The module, compiled once per thread; null where this runtime cannot run it (no SIMD). */
export function module(): object | null {
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
