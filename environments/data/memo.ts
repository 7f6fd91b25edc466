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
