/** One seed at a time per environment: `SLIPWAY_HOME/locks/<project>/<env>.seed.lock`, held while a database of it is cleared and filled. */
import { join } from 'node:path';
import { acquireLock } from '../lock';
import type { SlipwayEvent } from '../events';

export function seedLockPath(home: string, project: string, env: string): string {
  return join(home, 'locks', project, `${env}.seed.lock`);
}

/** How long a seed waits for another seed of the same environment before it gives up. */
export const SEED_LOCK_TIMEOUT_MS = 30 * 60_000;

/**
 * Runs `fn` holding the environment's seed lock: a second `data seed` (or a scheduled re-seed, or
 * the editor's Re-seed) of the same environment waits for the first, saying so, instead of
 * clearing the database under it. A lock left by a killed process is taken over.
 */
export async function withSeedLock<T>(
  target: { home: string; project: string; env: string },
  database: string,
  opts: { signal?: AbortSignal; onEvent?: (e: SlipwayEvent) => void; timeoutMs?: number },
  fn: () => Promise<T>,
): Promise<T> {
  const lock = await acquireLock(
    seedLockPath(target.home, target.project, target.env),
    `the seed of environment ${target.project}/${target.env}`,
    {
      timeoutMs: opts.timeoutMs ?? SEED_LOCK_TIMEOUT_MS,
      signal: opts.signal,
      onWait: (pid) =>
        opts.onEvent?.({
          type: 'seed',
          database,
          message: `waiting for another seed of this environment to finish (pid ${pid})`,
        }),
    },
  );
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
