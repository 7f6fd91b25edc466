// Expiry by activity: the clock, the TTL an environment gets, and its activity and extensions written into its record.
import { SlipwayError } from '../errors';
import { acquireLock } from '../lock';
import { withTeamLock } from '../state/store';
import { inspectRecord, lockPath, writeRecord, type EnvRecord } from '../records';
import { tryParseDuration } from '../spec/units';

/** The TTL when no `--ttl`, spec `ttl:` or `slipway.ttl.default` sets one. */
export const DEFAULT_TTL_MS = 72 * 3600_000;

/**
 * Now. `SLIPWAY_NOW` (an ISO time, or a duration such as `3h` meaning that long from now) moves
 * the clock for tests of expiry; nothing else reads it.
 */
export function now(): number {
  const injected = process.env.SLIPWAY_NOW;
  if (!injected) return Date.now();
  const ahead = tryParseDuration(injected);
  if (ahead !== undefined) return Date.now() + ahead;
  const at = Date.parse(injected);
  if (Number.isNaN(at))
    throw new SlipwayError('usage', `SLIPWAY_NOW=${injected} is neither a time (ISO 8601) nor a duration such as 3h.`);
  return at;
}

/** When an environment expires: its record's expiry, else (a record from before TTLs) its last update plus `defaultMs`. */
export function expiresAt(record: EnvRecord, defaultMs = DEFAULT_TTL_MS): number {
  if (record.ttl) return Date.parse(record.ttl.expiresAt);
  return Date.parse(record.updatedAt) + defaultMs;
}

/** Stages run releases, not previews: they never expire. */
export function expires(record: EnvRecord): boolean {
  return !record.env.startsWith('stage_');
}

/**
 * Writes activity into an environment's record, under its lock (waiting up to `timeoutMs` for an
 * operation on it): `ms` (a new TTL) or the record's own, counted from now; with `by`, the expiry
 * moves `by` later than it was (from now if it has passed). Undefined when it has no record.
 */
export async function touch(
  home: string,
  project: string,
  env: string,
  change: { ms?: number; by?: number; timeoutMs?: number } = {},
): Promise<EnvRecord['ttl']> {
  const lock = await acquireLock(lockPath(home, project, env), `environment ${project}/${env}`, {
    timeoutMs: change.timeoutMs ?? 60_000,
  });
  try {
    return await withTeamLock(home, `${project}/${env}`, `environment ${project}/${env}`, 60_000, async () => {
      const record = inspectRecord(home, project, env).record;
      if (!record) return undefined;
      const at = now();
      const ms = change.ms ?? record.ttl?.ms ?? DEFAULT_TTL_MS;
      const until = change.by !== undefined ? Math.max(expiresAt(record, ms), at) + change.by : at + ms;
      const ttl = { ms, lastActivity: new Date(at).toISOString(), expiresAt: new Date(until).toISOString() };
      writeRecord(home, { ...record, ttl });
      return ttl;
    });
  } finally {
    lock.release();
  }
}
