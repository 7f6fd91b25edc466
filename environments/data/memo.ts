/** A bounded memo for masking functions: repeated inputs (a city, a first name) are masked once; memory is capped. */
import type { Cell, CellMask } from './transformers';

/** Entries per generation: at most twice this many inputs are remembered per column. */
export const MEMO_SIZE = 32_768;
/** Lookups per measure of the hit rate, and the rate under which the memo stands aside for a while. */
const WINDOW = 8192;
const MIN_HIT_RATE = 0.1;
const PAUSE = 16 * WINDOW;

/**
 * Wraps a deterministic mask with a two-generation cache (a cheap approximation of LRU): a hit in
 * the older generation is moved to the young one; when the young one is full it becomes the old
 * one and the previous old one is dropped. Only first attempts are cached (retries are rare). A
 * column whose values hardly repeat (unique emails) would only pay for the cache: once a
 * generation has filled (so values that repeat further apart than a window, such as a table's
 * last names, have had their chance), a window of lookups that hits less than 10% of the time
 * drops the cache and bypasses it for a while, then it is tried again. The outputs are the
 * mask's own either way.
 */
export function memoized(mask: CellMask, size = MEMO_SIZE): CellMask {
  let young = new Map<string, Cell>();
  let old = new Map<string, Cell>();
  let lookups = 0;
  let hits = 0;
  let paused = 0;
  let warm = false;
  return (value, attempt) => {
    if (attempt !== 0) return mask(value, attempt);
    if (paused > 0) {
      paused--;
      return mask(value, 0);
    }
    if (++lookups === WINDOW) {
      if (warm && hits < WINDOW * MIN_HIT_RATE) {
        paused = PAUSE;
        young = new Map();
        old = new Map();
        warm = false;
      }
      lookups = 0;
      hits = 0;
    }
    let out = young.get(value);
    if (out !== undefined) {
      hits++;
      return out;
    }
    out = old.get(value);
    if (out === undefined) out = mask(value, 0);
    else hits++;
    if (young.size >= size) {
      old = young;
      young = new Map();
      warm = true;
    }
    young.set(value, out);
    return out;
  };
}

/** Inputs longer than this many bytes are not remembered by a `ByteMemo`. */
const MAX_KEY = 255;
/** Outputs longer than this many bytes are not remembered by a `ByteMemo`. */
const MAX_OUT = 65535;
/** Sets of two entries in a `ByteMemo`: it holds at most twice this many, as many as `memoized`'s two generations. */
const SETS = MEMO_SIZE;
/** Bytes of a `ByteMemo`'s entries; when they are used up it starts empty again. */
const ARENA = 4 * 1024 * 1024;
/** The longest pause of a `ByteMemo` whose column keeps missing, in multiples of `PAUSE`. */
const MAX_BACKOFF = 16;

/**
 * The memo of a COPY stream's column, by bytes: input bytes as they stand in the COPY text map to
 * the output's COPY text bytes, so a repeated value is neither decoded, masked nor encoded again.
 * A two-way set-associative table indexed by a hash of the input (each set keeps the entry it
 * used last) over one fixed block of bytes, so its memory is bounded and a lookup allocates
 * nothing: an entry is the input's length, the output's length (two bytes), the input, the
 * output. Like `memoized`, once it has held as many inputs as a generation, a window of lookups
 * that hits less than 10% of the time empties it and bypasses it for a while; each further such
 * window in a row doubles that while (a column of unique emails soon stops paying for it).
 */
export class ByteMemo {
  private readonly slots = new Int32Array(2 * SETS).fill(-1);
  /** Per set: which of its two entries was used last. */
  private readonly last = new Uint8Array(SETS);
  /** The entries' bytes: it starts small (a small table pays for little) and doubles up to `ARENA`. */
  arena = new Uint8Array(ARENA / 64);
  private used = 0;
  private stored = 0;
  private lookups = 0;
  private hits = 0;
  private paused = 0;
  private misses = 0;
  private set = -1;

  /** Where the entry remembered for the input `data[from..to)` starts in `arena`, else -1. Its output is at `output(entry)`. */
  get(data: Uint8Array, from: number, to: number): number {
    this.set = -1;
    if (this.paused > 0) {
      this.paused--;
      return -1;
    }
    if (++this.lookups === WINDOW) {
      if (this.stored >= MEMO_SIZE && this.hits < WINDOW * MIN_HIT_RATE) {
        this.paused = PAUSE * Math.min(MAX_BACKOFF, 2 ** this.misses++);
        this.clear();
      } else if (this.stored >= MEMO_SIZE) this.misses = 0;
      this.lookups = 0;
      this.hits = 0;
    }
    const n = to - from;
    if (n > MAX_KEY) return -1;
    let h = 0x811c9dc5;
    for (let p = from; p < to; p++) h = Math.imul(h ^ data[p], 0x01000193);
    const set = (h ^ (h >>> 15)) & (SETS - 1);
    this.set = set;
    const arena = this.arena;
    for (let way = 0; way < 2; way++) {
      const e = this.slots[2 * set + way];
      if (e < 0 || arena[e] !== n) continue;
      let p = from;
      for (let i = e + 3; p < to && arena[i] === data[p]; i++) p++;
      if (p === to) {
        this.hits++;
        this.last[set] = way;
        return e;
      }
    }
    return -1;
  }

  /** Where the output of the entry at `entry` starts in `arena` (it ends at `outputEnd`). */
  output(entry: number): number {
    return entry + 3 + this.arena[entry];
  }

  outputEnd(entry: number): number {
    return this.output(entry) + (this.arena[entry + 1] | (this.arena[entry + 2] << 8));
  }

  /** Remembers the output `out[outFrom..outTo)` of the input last looked up with `get` (and missed). */
  put(data: Uint8Array, from: number, to: number, out: Uint8Array, outFrom: number, outTo: number): void {
    const set = this.set;
    this.set = -1;
    const size = 3 + to - from + outTo - outFrom;
    if (set < 0 || outTo - outFrom > MAX_OUT) return;
    if (this.used + size > this.arena.length) {
      let length = this.arena.length;
      while (this.used + size > length && length < ARENA) length *= 2;
      if (length > this.arena.length) {
        const bigger = new Uint8Array(length);
        bigger.set(this.arena.subarray(0, this.used));
        this.arena = bigger;
      }
      if (this.used + size > this.arena.length) this.clear(); // full (an entry is far smaller than ARENA)
    }
    const arena = this.arena;
    const e = this.used;
    arena[e] = to - from;
    arena[e + 1] = (outTo - outFrom) & 0xff;
    arena[e + 2] = (outTo - outFrom) >> 8;
    let i = e + 3;
    for (let p = from; p < to; p++) arena[i++] = data[p];
    for (let p = outFrom; p < outTo; p++) arena[i++] = out[p];
    this.used = i;
    // An empty slot, else the one not used last.
    const way = this.slots[2 * set] < 0 ? 0 : this.slots[2 * set + 1] < 0 ? 1 : 1 - this.last[set];
    if (this.slots[2 * set + way] < 0) this.stored++;
    this.slots[2 * set + way] = e;
    this.last[set] = way;
  }

  private clear(): void {
    this.slots.fill(-1);
    this.used = 0;
    this.stored = 0;
  }
}
