import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SlipwayError } from './errors';

/**
 * A lock file naming its owner: a pid and that process's start time (`<pid> <start>`). A lock
 * whose process is gone (a `kill -9`), or whose pid now belongs to another process (the pid was
 * reused since), is stale and taken over; a live owner is waited for up to `timeoutMs`. A lock
 * holding a pid alone (written before start times were recorded) is judged by the pid.
 */
export interface HeldLock {
  release(): void;
}

/** Who holds a lock: a pid, and its start time when it could be read. */
export interface LockOwner {
  pid: number;
  start?: string;
}

/**
 * When process `pid` started, as an opaque string that differs between two processes that had the
 * same pid: field 22 of /proc/<pid>/stat (clock ticks after boot) on Linux, else `ps -o lstart=`.
 * Undefined when it cannot be read (the process is gone, or neither source exists).
 */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[22 - 3];
    if (start && /^\d+$/.test(start)) return start;
  } catch {
    // not Linux, or the process is gone
  }
  if (process.platform === 'linux') return undefined;
  const ps = spawnSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8' });
  const text = ps.status === 0 ? ps.stdout.trim().replace(/\s+/g, '_') : '';
  return text || undefined;
}

let ownIdentity: string | undefined;
/** What this process writes into the locks it holds. */
export function selfIdentity(): string {
  return (ownIdentity ??= [process.pid, processStart(process.pid)].filter((x) => x !== undefined).join(' '));
}

export function readOwner(file: string): LockOwner | undefined {
  try {
    return readOwnerText(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** An owner as `selfIdentity()` writes it (`<pid> <start>`). */
export function readOwnerText(text: string): LockOwner | undefined {
  const [pidText, start] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  return Number.isInteger(pid) && pid > 0 ? { pid, start: start || undefined } : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process a lock names still runs: its pid lives and, if recorded, started when recorded. */
export function ownerAlive(owner: LockOwner): boolean {
  if (!isAlive(owner.pid)) return false;
  if (owner.start === undefined) return true;
  const now = processStart(owner.pid);
  // Unreadable (another user's process on a system without /proc): the pid is all there is.
  return now === undefined || now === owner.start;
}

/** The pid of the live process holding `file`, if any. */
export function lockOwner(file: string): number | undefined {
  const owner = readOwner(file);
  return owner && ownerAlive(owner) ? owner.pid : undefined;
}

function sameOwner(a: LockOwner | undefined, b: LockOwner | undefined): boolean {
  return !!a && !!b && a.pid === b.pid && a.start === b.start;
}

const RETRIES_ON_VANISHED_FOLDER = 20;

/**
 * Creates `file` holding `content`, atomically: the content is written to a private file first
 * and hard-linked into place, so nobody ever sees the file empty. False if it already exists.
 * If the folder is removed meanwhile (a concurrent clean-up), it is made again and the create
 * retried.
 */
export function createExclusive(file: string, content: string): boolean {
  for (let attempt = 0; ; attempt++) {
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      writeFileSync(tmp, content, { mode: 0o600 });
      try {
        linkSync(tmp, file);
        return true;
      } finally {
        rmSync(tmp, { force: true });
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'ENOENT' || attempt >= RETRIES_ON_VANISHED_FOLDER) throw err;
      mkdirSync(dirname(file), { recursive: true });
    }
  }
}

/**
 * Moves aside a lock whose owner `dead` is gone. If another process took the lock over in the
 * meantime (what was moved names a live owner), it is put back. True if it was removed.
 */
function removeStale(file: string, dead: LockOwner | undefined): boolean {
  const aside = `${file}.${process.pid}.stale`;
  try {
    renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const moved = readOwner(aside);
  if (!sameOwner(moved, dead) && moved !== undefined && ownerAlive(moved)) {
    try {
      linkSync(aside, file);
    } catch {
      // someone holds it again already (or the folder went): theirs stands
    }
    rmSync(aside, { force: true });
    return false;
  }
  rmSync(aside, { force: true });
  return true;
}

/**
 * Removes the lock `file` if process `pid` holds it: after that process was killed, so that
 * nothing is left behind it. `first` runs before, while the lock still names its dead holder
 * (for what the holder left that the lock's staleness tells the next holder to clear). True if
 * it was removed.
 */
export function removeLockOf(file: string, pid: number, first?: () => void): boolean {
  const owner = readOwner(file);
  if (owner?.pid !== pid || ownerAlive(owner)) return false;
  first?.();
  return removeStale(file, owner);
}

export async function acquireLock(
  file: string,
  what: string,
  opts: { timeoutMs: number; signal?: AbortSignal; onWait?: (pid: number) => void; onStale?: () => void },
): Promise<HeldLock> {
  mkdirSync(dirname(file), { recursive: true });
  const deadline = Date.now() + opts.timeoutMs;
  const me = selfIdentity();
  let told = false;
  let stale = false;
  for (;;) {
    if (createExclusive(file, me)) {
      if (stale) opts.onStale?.();
      const mine = readOwner(file);
      return { release: () => (sameOwner(readOwner(file), mine) ? rmSync(file, { force: true }) : undefined) };
    }
    const owner = readOwner(file);
    if (owner === undefined || !ownerAlive(owner)) {
      // Stale: its owner is gone (a kill -9), or its pid belongs to another process now.
      if (removeStale(file, owner)) stale = stale || owner !== undefined;
      continue;
    }
    if (!told) {
      opts.onWait?.(owner.pid);
      told = true;
    }
    if (opts.signal?.aborted) throw new SlipwayError('operation-cancelled', `Cancelled while waiting for ${what}.`);
    if (Date.now() > deadline) {
      throw new SlipwayError(
        'environment-locked',
        `Another Slipway operation (pid ${owner.pid}) is still working on ${what}.`,
        {
          hint: 'Wait for it to finish, or stop that process, then retry.',
        },
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
