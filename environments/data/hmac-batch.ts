/** A batch of short messages hashed together by the four-lane HMAC-SHA256 module (`hmac-sha256x4.ts`). */
import { copyRun, viewOf } from './copy-output';
import { K, padStates } from './hmac-sha256';
import { IN, INNER, module, OUTER, PAGE, ROUND_K, wasm, type Memory, type Wasm } from './hmac-sha256x4';

/**
 * A batch of one-block messages under one key: `add` the messages (a prefix and a value's bytes),
 * `run` once, then read each message's HMAC with `digest`. The batch grows as it must (a chunk's
 * values at most) and `clear` starts the next one.
 */
export class BatchHmac {
  private words: Int32Array;
  private bytes: Uint8Array;
  private view: DataView;
  private count = 0;
  /** The last prefix and values' buffer `add` copied from, and their views. */
  private prefix: Uint8Array = new Uint8Array(0);
  private prefixView = viewOf(this.prefix);
  private data = this.prefix;
  private dataView = this.prefixView;
  private capacity: number;

  private constructor(
    private readonly memory: Memory,
    private readonly hmac: (groups: number) => void,
    key: Buffer,
  ) {
    this.capacity = ((memory.buffer.byteLength - IN) >> 8) * 4;
    this.words = new Int32Array(memory.buffer);
    this.bytes = new Uint8Array(memory.buffer);
    this.view = new DataView(memory.buffer);
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
    const start = IN + 64 * m;
    // The block zeroed, then the prefix and the value copied over it four bytes a step.
    const words = this.words;
    for (let i = start >> 2, last = i + 16; i < last; i++) words[i] = 0;
    if (prefix !== this.prefix) {
      this.prefix = prefix;
      this.prefixView = viewOf(prefix);
    }
    if (data !== this.data) {
      this.data = data;
      this.dataView = viewOf(data);
    }
    const u8 = this.bytes;
    let at = copyRun(this.view, u8, start, this.prefixView, prefix, 0, prefix.length);
    at = copyRun(this.view, u8, at, this.dataView, data, from, to);
    u8[at] = 0x80;
    // The length in bits (at most (64 + 55) * 8: two bytes).
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
    this.view = new DataView(this.memory.buffer);
    this.capacity = ((this.memory.buffer.byteLength - IN) >> 8) * 4;
  }
}
