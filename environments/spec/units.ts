/**
 * Values with units, one grammar each for `slipway.yaml`, the `slipway` CLI and the editor's
 * settings. Pure and free of Node and the DOM: the extension and the webviews import it too.
 * The schema (`slipway.schema.json`) and the settings (`package.json`) carry the same patterns.
 */

/** A duration: a number and a unit, `500ms`, `1.5s`, `2m`, `72h`, `7d`. */
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds from a duration, or undefined when the text is not one. */
export function tryParseDuration(value: string): number | undefined {
  const match = DURATION_PATTERN.exec(value.trim());
  return match ? Math.round(Number(match[1]) * DURATION_UNITS[match[2]]) : undefined;
}

/** Milliseconds from `500ms`, `1.5s`, `2m`, `72h` or `7d`; throws for anything else. */
export function parseDuration(value: string): number {
  const ms = tryParseDuration(value);
  if (ms === undefined)
    throw new Error(`invalid duration "${value}": use a number and ms, s, m, h or d (such as 500ms, 30s, 72h)`);
  return ms;
}

/**
 * A memory size: a number of bytes, or a number with a binary unit, `256Mi`, `1Gi`, `512m`,
 * `2g` (k/m/g and Ki/Mi/Gi alike are powers of 1024, as Docker reads them).
 */
export const MEMORY_PATTERN = /^(\d+(?:\.\d+)?)([kKmMgG]i?)?$/;
const MEMORY_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Bytes from a memory size, or undefined when the text is not one. */
export function tryParseMemory(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  const match = MEMORY_PATTERN.exec(value.trim());
  return match ? Math.round(Number(match[1]) * MEMORY_UNITS[(match[2] ?? '').charAt(0).toLowerCase()]) : undefined;
}

/** Bytes from a number of bytes or a size with a binary unit: `256Mi` = 256 * 1024 * 1024; throws for anything else. */
export function parseMemory(value: string | number): number {
  const bytes = tryParseMemory(value);
  if (bytes === undefined)
    throw new Error(`invalid memory size "${value}": use bytes or a number with Ki, Mi or Gi (such as 256Mi, 2Gi)`);
  return bytes;
}

/** A byte count as slipway.yaml writes it, in the largest binary unit that divides it: 268435456 = `256Mi`. */
export function formatMemory(bytes: number): string {
  for (const [unit, size] of [
    ['Gi', MEMORY_UNITS.g],
    ['Mi', MEMORY_UNITS.m],
    ['Ki', MEMORY_UNITS.k],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/** A setting's value read with its grammar: the value, or the default and a warning that names both. */
export interface SettingValue<T> {
  value: T;
  /** Set when the configured text was not valid: what was wrong and what is used instead. */
  warning?: string;
}

/** Reads a duration setting (such as `slipway.ttl.default`); a bad value is reported, then the default is used. */
export function durationSetting(key: string, text: string | undefined, fallback: string): SettingValue<number> {
  return readSetting(key, text, fallback, tryParseDuration, 'a duration such as 30m, 72h or 7d');
}

/** Reads a memory setting (such as `slipway.quotas.memoryPerEnvironment`); a bad value is reported, then the default is used. */
export function memorySetting(key: string, text: string | undefined, fallback: string): SettingValue<number> {
  return readSetting(key, text, fallback, tryParseMemory, 'a size such as 512m or 2g, or 0 for no limit');
}

function readSetting(
  key: string,
  text: string | undefined,
  fallback: string,
  parse: (t: string) => number | undefined,
  what: string,
): SettingValue<number> {
  const given = text?.trim();
  const value = given ? parse(given) : undefined;
  if (value !== undefined) return { value };
  const fallbackValue = parse(fallback)!;
  if (!given) return { value: fallbackValue };
  return {
    value: fallbackValue,
    warning: `Setting ${key} is ${JSON.stringify(text)}, which is not ${what}; using the default ${fallback}. Fix it in Settings (search for ${key}).`,
  };
}
