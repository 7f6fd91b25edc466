/**
 * HMAC-SHA256 (RFC 2104, FIPS 180-4) with the key's inner and outer pad states computed once, so
 * each value costs two or three SHA-256 compressions in plain JavaScript instead of a native
 * HMAC object set up per value. Its output is byte for byte that of `crypto.createHmac('sha256', key)`.
 */
import { createHash } from 'node:crypto';

/** SHA-256's round constants. */
export const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const INITIAL = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

const W = new Int32Array(64);

/** One SHA-256 compression of the 64-byte block at `offset` of `block` into `state`. */
function compress(state: Int32Array, block: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const p = offset + i * 4;
    W[i] = (block[p] << 24) | (block[p + 1] << 16) | (block[p + 2] << 8) | block[p + 3];
  }
  rounds(state);
}

/**
 * The compression of the block whose first 16 words are already in `W`: 64 rounds, each word of
 * the message schedule computed in the round that reads it.
 */
function rounds(state: Int32Array): void {
  let a = state[0];
  let b = state[1];
  let c = state[2];
  let d = state[3];
  let e = state[4];
  let f = state[5];
  let g = state[6];
  let h = state[7];
  for (let i = 0; i < 64; i++) {
    let w: number;
    if (i < 16) w = W[i];
    else {
      const x = W[i - 15];
      const y = W[i - 2];
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w = W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    const t1 =
      (h +
        (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
        (g ^ (e & (f ^ g))) +
        K[i] +
        w) |
      0;
    const t2 =
      ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) | (c & (a | b)))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0;
  state[5] = (state[5] + f) | 0;
  state[6] = (state[6] + g) | 0;
  state[7] = (state[7] + h) | 0;
}

/** HMAC's inner and outer states under `key`: SHA-256's state after one block of the key XOR each pad. */
export function padStates(key: Buffer): { inner: Int32Array; outer: Int32Array } {
  const k = key.length > 64 ? createHash('sha256').update(key).digest() : key;
  return { inner: padState(k, 0x36), outer: padState(k, 0x5c) };
}

/** The state after one block of the key XOR `pad`. */
function padState(key: Buffer, pad: number): Int32Array {
  const block = new Uint8Array(64).fill(pad);
  for (let i = 0; i < key.length; i++) block[i] = key[i] ^ pad;
  const state = INITIAL.slice();
  compress(state, block, 0);
  return state;
}

/** An HMAC-SHA256 under one key, for many short messages. */
export class KeyedSha256 {
  private readonly inner: Int32Array;
  private readonly outer: Int32Array;
  private readonly state = new Int32Array(8);
  private message = Buffer.alloc(256);

  constructor(key: Buffer) {
    ({ inner: this.inner, outer: this.outer } = padStates(key));
  }

  /** The HMAC of the UTF-8 bytes of `prefix` (or the bytes themselves) followed by those of `text` (no string is joined). */
  digest(text: string, prefix: string | Uint8Array = ''): Buffer {
    const length = this.encode(text, prefix);
    return this.keyed(this.message, length, Buffer.allocUnsafe(32)) as Buffer;
  }

  /** Writes the UTF-8 bytes of `prefix` and `text` into the message buffer; returns their length. */
  private encode(text: string, prefix: string | Uint8Array): number {
    const start = typeof prefix === 'string' ? prefix.length : prefix.length;
    const total = start + text.length;
    if (total * 3 + 72 > this.message.length) this.message = Buffer.alloc(total * 3 + 128);
    const message = this.message;
    let length = total;
    if (typeof prefix !== 'string') message.set(prefix, 0);
    else
      for (let i = 0; i < prefix.length; i++) {
        const c = prefix.charCodeAt(i);
        if (c >= 0x80) {
          length = -1;
          break;
        }
        message[i] = c;
      }
    for (let i = 0, at = start; length >= 0 && i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) {
        length = -1;
        break;
      }
      message[at + i] = c;
    }
    if (length < 0) {
      length = typeof prefix === 'string' ? message.write(prefix, 0, 'utf8') : prefix.length;
      length += message.write(text, length, 'utf8');
    }
    return length;
  }

  /**
   * A digest function for values given as bytes, all after the same `prefix`: it keeps its own
   * message buffer with the prefix written once, and writes each HMAC into one 32-byte buffer
   * that its next call overwrites. No string is decoded or encoded and nothing is allocated.
   */
  prefixed(prefix: Uint8Array): (data: Uint8Array, from: number, to: number) => Buffer {
    let message = Buffer.alloc(prefix.length + 256);
    message.set(prefix, 0);
    const out = Buffer.alloc(32);
    const start = prefix.length;
    // The prefix as big-endian words (its last word's free bytes zero), for messages of one block.
    const words = new Int32Array(16);
    for (let i = 0; i < start && i < 64; i++) words[i >> 2] |= prefix[i] << ((3 - (i & 3)) << 3);
    const fixed = (start + 3) >> 2;
    return (data, from, to) => {
      const length = start + to - from;
      if (length <= 55) {
        // One block: the words are assembled from the bytes directly, padding and length included.
        for (let i = 0; i < fixed; i++) W[i] = words[i];
        for (let i = fixed; i < 16; i++) W[i] = 0;
        for (let i = from, at = start; i < to; i++, at++) W[at >> 2] |= data[i] << ((3 - (at & 3)) << 3);
        W[length >> 2] |= 0x80 << ((3 - (length & 3)) << 3);
        W[15] = (64 + length) * 8;
        this.keyedBlock(out);
        return out;
      }
      if (length + 72 > message.length) {
        message = Buffer.alloc(length + 128);
        message.set(prefix, 0);
      }
      for (let i = from, at = start; i < to; i++, at++) message[at] = data[i];
      this.keyed(message, length, out);
      return out;
    };
  }

  /** The HMAC of a message of one block whose padded words are already in `W`, into `out`. */
  private keyedBlock(out: Uint8Array): void {
    const state = this.state;
    const inner = this.inner;
    for (let i = 0; i < 8; i++) state[i] = inner[i];
    rounds(state);
    this.outerHash(state, out);
  }

  /** The HMAC of the first `length` bytes of `message` (with 72 bytes of room after them), into `out`. */
  private keyed(message: Uint8Array, length: number, out: Uint8Array): Uint8Array {
    const state = this.state;
    const inner = this.inner;
    for (let i = 0; i < 8; i++) state[i] = inner[i];
    finish(state, message, length, 64);
    this.outerHash(state, out);
    return out;
  }

  /** The outer hash of the inner digest in `state`: one block of its 32 bytes, then padding and length. */
  private outerHash(state: Int32Array, out: Uint8Array): void {
    for (let i = 0; i < 8; i++) W[i] = state[i];
    W[8] = 0x80000000 | 0;
    for (let i = 9; i < 15; i++) W[i] = 0;
    W[15] = (64 + 32) * 8;
    const outer = this.outer;
    for (let i = 0; i < 8; i++) state[i] = outer[i];
    rounds(state);
    writeState(state, out, 0);
  }
}

/**
 * Hashes the first `length` bytes of `m` after `prefix` bytes already compressed, its SHA-256
 * padding written in place after them (`m` has 72 bytes of room for it).
 */
function finish(state: Int32Array, m: Uint8Array, length: number, prefix: number): void {
  const end = (((length + 8) >> 6) + 1) << 6;
  m[length] = 0x80;
  for (let p = length + 1; p < end - 5; p++) m[p] = 0;
  const bits = (prefix + length) * 8;
  m[end - 5] = Math.floor(bits / 2 ** 32) & 0xff;
  m[end - 4] = (bits >>> 24) & 0xff;
  m[end - 3] = (bits >>> 16) & 0xff;
  m[end - 2] = (bits >>> 8) & 0xff;
  m[end - 1] = bits & 0xff;
  for (let p = 0; p < end; p += 64) compress(state, m, p);
}

function writeState(state: Int32Array, out: Uint8Array, offset: number): void {
  for (let i = 0; i < 8; i++) {
    const v = state[i];
    out[offset + i * 4] = v >>> 24;
    out[offset + i * 4 + 1] = (v >>> 16) & 0xff;
    out[offset + i * 4 + 2] = (v >>> 8) & 0xff;
    out[offset + i * 4 + 3] = v & 0xff;
  }
}
