/** Waiting in tests for a condition to hold, with a deadline, instead of for a fixed time. */

export interface WaitOptions {
  /** How long the condition may take before the wait fails (default 10 s). */
  timeoutMs?: number;
  /** How often the condition is checked (default 50 ms). */
  intervalMs?: number;
}

/**
 * Checks `probe` until it returns something other than `undefined`, `null` or `false`, and
 * returns that. Fails saying what it waited for once `timeoutMs` passed. An error thrown by
 * `probe` ends the wait at once (the condition can no longer come true: say why there).
 */
export async function waitFor<T>(
  what: string | (() => string),
  probe: () => T | Promise<T>,
  opts: WaitOptions = {},
): Promise<Exclude<T, undefined | null | false>> {
  const { timeoutMs = 10_000, intervalMs = 50 } = opts;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value as Exclude<T, undefined | null | false>;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, Math.max(1, deadline - Date.now()))));
  }
}
