import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * Creates `file` holding `content`, atomically: the content is written to a private file first
 * and hard-linked into place, so nobody ever sees the file empty. False if it already exists.
 */
export function createExclusive(file: string, content: string): boolean {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Moves aside a lock whose owner `deadPid` is gone. If another process took the lock over in
 * the meantime (what was moved names a live owner), it is put back. True if it was removed.
 */
function removeStale(file: string, deadPid: number | undefined): boolean {
  const aside = `${file}.${process.pid}.stale`;
  try {
    renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const moved = ownerPid(aside);
  if (moved !== deadPid && moved !== undefined && isAlive(moved)) {
    try {
      linkSync(aside, file);
    } catch {
      // someone holds it again already: theirs stands
    }
    rmSync(aside, { force: true });
    return false;
  }
  rmSync(aside, { force: true });
  return true;
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
    if (createExclusive(file, String(process.pid))) {
      if (stale) opts.onStale?.();
      return { release: () => (ownerPid(file) === process.pid ? rmSync(file, { force: true }) : undefined) };
    }
    const pid = ownerPid(file);
    if (pid === undefined || !isAlive(pid)) {
      // Stale: its owner is gone (a kill -9).
      if (removeStale(file, pid)) stale = stale || pid !== undefined;
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
