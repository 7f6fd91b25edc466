/** Numbers, times and sizes as people read them. Pure functions (tests call them in Node). */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** A span of time, coarse: `45 s`, `12 min`, `3 h 5 min`, `2 days`. */
export function span(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < MINUTE) return `${Math.max(1, Math.round(abs / 1000))} s`;
  if (abs < HOUR) return `${Math.round(abs / MINUTE)} min`;
  if (abs < DAY) {
    const h = Math.floor(abs / HOUR);
    const m = Math.round((abs - h * HOUR) / MINUTE);
    return m === 0 || m === 60 ? `${m === 60 ? h + 1 : h} h` : `${h} h ${m} min`;
  }
  return plural(Math.round(abs / DAY), 'day');
}

/** `just now`, `5 min ago`, `in 3 h`; `undefined` for a missing or unreadable time. */
export function relative(iso: string | undefined, now: number = Date.now()): string | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return undefined;
  const d = t - now;
  if (Math.abs(d) < 45_000) return 'just now';
  return d < 0 ? `${span(d)} ago` : `in ${span(d)}`;
}

/** The full local time, for a tooltip. */
export function absolute(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(t).toLocaleString();
}

/** A gate's or operation's duration: `850 ms`, `12.3 s`, `2 min 5 s`. */
export function duration(ms: number | undefined): string | undefined {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return undefined;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < MINUTE) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const m = Math.floor(ms / MINUTE);
  const s = Math.round((ms - m * MINUTE) / 1000);
  return s === 0 ? `${m} min` : `${m} min ${s} s`;
}

/** Bytes in binary units: `512 KiB`, `128 MiB`, `1.5 GiB`. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = i === 0 || v >= 100 || Number.isInteger(v) ? 0 : 1;
  return `${v.toFixed(digits)} ${units[i]}`;
}

/**
 * A byte count rounded to what `bytes()` shows (`91.2 MiB`): a host compares these, so a change
 * too small to see sends nothing.
 */
export function shownBytes(n: number): number {
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < 4) {
    v /= 1024;
    i++;
  }
  const digits = i === 0 || v >= 100 || Number.isInteger(v) ? 0 : 1;
  return Number(v.toFixed(digits)) * 1024 ** i;
}

/** Cores rounded to what `cores()` shows. */
export function shownCores(n: number): number {
  return n >= 10 ? Math.round(n) : Math.round(n * 100) / 100;
}

/** CPUs in cores: `0.25`, `1`, `1.5`. */
export function cores(n: number): string {
  return n >= 10 ? n.toFixed(0) : String(Math.round(n * 100) / 100);
}

/** `sha256:0123456789ab` (12 hex digits, like `docker images`); anything else unchanged. */
export function shortDigest(image: string): string {
  const m = /^(sha256:)?([0-9a-f]{64})$/i.exec(image);
  if (m) return `sha256:${m[2].slice(0, 12)}`;
  const at = /^(.*@sha256:)([0-9a-f]{64})$/i.exec(image);
  return at ? `${at[1]}${at[2].slice(0, 12)}` : image;
}

/** A share of a quota, 0..1 (capped), or `undefined` without a quota. */
export function share(used: number, quota: number | undefined): number | undefined {
  if (quota === undefined || !(quota > 0)) return undefined;
  return Math.min(1, Math.max(0, used / quota));
}

/**
 * Splits two strings into their common start, the differing middles, and their common end, so
 * only what changed is highlighted.
 */
export function diffParts(a: string, b: string): { prefix: string; a: string; b: string; suffix: string } {
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  return {
    prefix: a.slice(0, p),
    a: a.slice(p, a.length - s),
    b: b.slice(p, b.length - s),
    suffix: a.slice(a.length - s),
  };
}
