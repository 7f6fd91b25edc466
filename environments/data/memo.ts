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
/** Slots a `ByteMemo` starts with; it doubles them whenever half are taken, up to `MAX_SLOTS`. */
const MIN_SLOTS = 8192;
/**
 * The most slots of a `ByteMemo`: it remembers at most half this many inputs. Enough for a column
 * of a hundred thousand distinct values (phone numbers, postcodes, companies) that repeat further
 * apart than a window: those hit once each value has been seen, where a memo too small for them,
 * evicting a value before it comes again, would never hit.
 */
const MAX_SLOTS = 262_144;
/**
 * Bytes of a `ByteMemo`'s entries (its memory is bounded by this); when they are used up it starts
 * empty again. At most 2^24: a slot keeps an entry's offset in 24 bits.
 */
const ARENA = 16 * 1024 * 1024;
/** The longest pause of a `ByteMemo` whose column keeps missing, in multiples of `PAUSE`. */
const MAX_BACKOFF = 16;

/** FNV-1a of `data[from..to)`. */
function fnv(data: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let p = from; p < to; p++) h = Math.imul(h ^ data[p], 0x01000193);
  return h ^ (h >>> 15);
}

/**
 * The memo of a COPY stream's column, by bytes: input bytes as they stand in the COPY text map to
 * the output's COPY text bytes, so a repeated value is neither decoded, masked nor encoded again.
 * An open-addressing hash table (linear probing; each slot holds the input's hash and where its
 * entry starts) over one block of bytes, so its memory is bounded and a lookup allocates nothing:
 * an entry is the input's length, the output's length (two bytes), the input, the output. The
 * table starts small (a column of a few thousand names stays in the processor's caches) and
 * doubles whenever half its slots are taken, up to `MAX_SLOTS`; then it remembers what it holds
 * and takes no more. Like `memoized`, once it is that full (or has used up its bytes), a window
 * of lookups that hits less than 10% of the time empties it and bypasses it for a while; each
 * further such window in a row doubles that while (a column of unique emails soon stops paying
 * for it), and after such a pause it is judged again as soon as it holds a few thousand inputs.
 */
export class ByteMemo {
  /**
   * Per slot (-1: empty), where its entry starts in `arena` (the low 24 bits) and the top 8 bits of
   * the input's hash, which spare most probes that pass another input a read of its entry. Four
   * bytes a slot keep more of the table in the processor's caches.
   */
  private slots = new Int32Array(MIN_SLOTS).fill(-1);
  private mask = MIN_SLOTS - 1;
  /** The entries' bytes: it starts small (a small table pays for little) and doubles up to `ARENA`. */
  arena = new Uint8Array(ARENA / 256);
  /** A view of `arena`, for copying its outputs out. */
  view = new DataView(this.arena.buffer);
  private used = 0;
  private stored = 0;
  private lookups = 0;
  private hits = 0;
  private paused = 0;
  private misses = 0;
  /** The empty slot where the input last looked up (and missed) goes, else -1. */
  private slot = -1;
  private hash = 0;
  /** Whether values have had their chance to repeat: the table at its largest and half full, or the arena used up once. */
  private full = false;

  /** Where the entry remembered for the input `data[from..to)` starts in `arena`, else -1. Its output is at `output(entry)`. */
  get(data: Uint8Array, from: number, to: number): number {
    this.slot = -1;
    if (this.paused > 0) {
      this.paused--;
      return -1;
    }
    if (++this.lookups === WINDOW) {
      // A column that already missed at full size is judged again on a small table.
      const judged = this.full || (this.misses > 0 && this.stored >= MIN_SLOTS / 2);
      if (judged && this.hits < WINDOW * MIN_HIT_RATE) {
        this.paused = PAUSE * Math.min(MAX_BACKOFF, 2 ** this.misses++);
        this.clear();
      } else if (judged) this.misses = 0;
      this.lookups = 0;
      this.hits = 0;
    }
    if (to - from > MAX_KEY) return -1;
    const h = fnv(data, from, to);
    const found = this.find(h, data, from, to);
    if (found >= 0) {
      this.hits++;
      return found;
    }
    this.slot = -1 - found;
    this.hash = h;
    return -1;
  }

  /** The entry of the input `data[from..to)` whose hash is `h`, else -1 minus the empty slot where it would go. */
  private find(h: number, data: Uint8Array, from: number, to: number): number {
    const n = to - from;
    const slots = this.slots;
    const arena = this.arena;
    const tag = h >>> 24;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const s = slots[i];
      if (s === -1) return -1 - i;
      const e = s & 0xffffff;
      if (s >>> 24 !== tag || arena[e] !== n) continue;
      let p = from;
      for (let k = e + 3; p < to && arena[k] === data[p]; k++) p++;
      if (p === to) return e;
    }
  }

  /** Counts the times the memo was emptied: an entry found before is still there while it stays the same. */
  generation = 0;

  /** Whether the last `get` missed an input that `put` or `remember` would keep. */
  get missed(): boolean {
    return this.slot >= 0;
  }

  /**
   * Remembers the output of an input that `get` missed a while ago, other lookups and entries
   * having come since: it looks for the input's place again (and keeps nothing when the input is
   * there already or the memo has stood aside since).
   */
  remember(data: Uint8Array, from: number, to: number, out: Uint8Array, outFrom: number, outTo: number): void {
    if (this.paused > 0 || to - from > MAX_KEY) return;
    const h = fnv(data, from, to);
    const found = this.find(h, data, from, to);
    if (found >= 0) return;
    this.slot = -1 - found;
    this.hash = h;
    this.put(data, from, to, out, outFrom, outTo);
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
    const slot = this.slot;
    this.slot = -1;
    const size = 3 + to - from + outTo - outFrom;
    if (slot < 0 || outTo - outFrom > MAX_OUT || 2 * this.stored >= MAX_SLOTS) return;
    if (this.used + size > this.arena.length) {
      let length = this.arena.length;
      while (this.used + size > length && length < ARENA) length *= 2;
      if (length > this.arena.length) {
        const bigger = new Uint8Array(length);
        bigger.set(this.arena.subarray(0, this.used));
        this.arena = bigger;
        this.view = new DataView(bigger.buffer);
      }
      if (this.used + size > this.arena.length) {
        // Used up (an entry is far smaller than ARENA): start again, and let the hit rate judge.
        this.clear();
        this.full = true;
      }
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
    this.slots[slot] = ((this.hash >>> 24) << 24) | e;
    this.stored++;
    if (2 * this.stored >= this.mask + 1) {
      if (this.mask + 1 < MAX_SLOTS) this.grow();
      else this.full = true;
    }
  }

  /** Doubles the slots and places the entries again by their inputs' hashes. */
  private grow(): void {
    const old = this.slots;
    const slots = new Int32Array(2 * old.length).fill(-1);
    const mask = slots.length - 1;
    const arena = this.arena;
    for (let j = 0; j < old.length; j++) {
      const s = old[j];
      if (s === -1) continue;
      const e = s & 0xffffff;
      let i = fnv(arena, e + 3, e + 3 + arena[e]) & mask;
      while (slots[i] !== -1) i = (i + 1) & mask;
      slots[i] = s;
    }
    this.slots = slots;
    this.mask = mask;
  }

  private clear(): void {
    this.generation++;
    this.slots.fill(-1);
    this.used = 0;
    this.stored = 0;
    this.full = false;
  }
}
