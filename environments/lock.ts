import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SlipwayError } from './errors';

/**
 * A per-environment lock file holding the owner's pid. A lock whose process is gone (a
 * `kill -9`) is stale and taken over; a live owner is waited for up to `timeoutMs`.
 */
export interface HeldLock {
  release(): void;
}

function ownerPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockOwner(file: string): number | undefined {
  const pid = ownerPid(file);
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}

export async function acquireLock(
  file: string,
  what: string,
  opts: { timeoutMs: number; signal?: AbortSignal; onWait?: (pid: number) => void; onStale?: () => void },
): Promise<HeldLock> {
  mkdirSync(dirname(file), { recursive: true });
  const deadline = Date.now() + opts.timeoutMs;
  let told = false;
  let stale = false;
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      if (stale) opts.onStale?.();
      return { release: () => (ownerPid(file) === process.pid ? rmSync(file, { force: true }) : undefined) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = ownerPid(file);
    if (pid === undefined || !isAlive(pid)) {
      rmSync(file, { force: true }); // stale: its owner is gone
      stale = pid !== undefined;
      continue;
    }
    if (!told) {
      opts.onWait?.(pid);
      told = true;
    }
    if (opts.signal?.aborted) throw new SlipwayError('operation-cancelled', `Cancelled while waiting for ${what}.`);
    if (Date.now() > deadline) {
      throw new SlipwayError('environment-locked', `Another Slipway operation (pid ${pid}) is still working on ${what}.`, {
        hint: 'Wait for it to finish, or stop that process, then retry.',
      });
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
