/**
 * Values with units as written in `slipway.yaml`. The schema checks their spelling first, so
 * these only ever see valid text; a value that slips through anyway throws a plain Error.
 */

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  K: 1024,
  Ki: 1024,
  M: 1024 ** 2,
  Mi: 1024 ** 2,
  G: 1024 ** 3,
  Gi: 1024 ** 3,
};

/** Bytes from a number of bytes or a size with a binary unit: `256Mi` = 256 * 1024 * 1024. */
export function parseMemory(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+)(Ki|Mi|Gi|K|M|G)?$/.exec(value);
  if (!match) throw new Error(`invalid memory size "${value}"`); // unreachable: the schema checked the pattern
  return Number(match[1]) * MEMORY_UNITS[match[2] ?? ''];
}

/** A byte count as slipway.yaml writes it, in the largest binary unit that divides it: 268435456 = `256Mi`. */
export function formatMemory(bytes: number): string {
  for (const unit of ['Gi', 'Mi', 'Ki']) {
    const size = MEMORY_UNITS[unit];
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** Milliseconds from `500ms`, `1.5s` or `2m`. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value);
  if (!match) throw new Error(`invalid duration "${value}"`); // unreachable: the schema checked the pattern
  return Math.round(Number(match[1]) * DURATION_UNITS[match[2]]);
}
