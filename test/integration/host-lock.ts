/**
 * A host-wide exclusive lock for tests that use something a host has only one of (Swarm's
 * docker_gwbridge): a flock(1) on a file under /tmp, held by a small process of its own until both
 * the test releases it (or its process ends, however it ends) and the process it guards has exited.
 * The kernel drops a flock when its holder dies, so a crashed run never leaves the lock taken.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface HostLock {
  /** The process the lock also waits for (a daemon started under it): held until it has exited too. */
  guard(pid: number): void;
  /** Releases it (once the guarded process, if any, has exited). */
  release(): Promise<void>;
}

// Holds the lock: says so, writes who holds it into the file, then waits for the guarded pid (a
// line on stdin) to exit and for stdin to close. Ignores the terminal's ^C, so a daemon still
// stopping keeps it.
const HOLD = [
  'trap "" INT HUP',
  'printf "%s\\n" "$1" > "$0"',
  'echo held',
  'read pid || exit 0',
  'tail --pid="$pid" -f /dev/null &',
  'cat > /dev/null',
  'wait',
].join('\n');

/** Who holds the lock, as its holder wrote it. */
function heldBy(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim() || 'another process';
  } catch {
    return 'another process';
  }
}

/**
 * Takes the lock in `file`, waiting (at most `timeoutMs`) while another process holds it, and says
 * on stderr whom it waits for and why. `holder` is written into the file for the next one's message.
 */
export async function takeHostLock(
  file: string,
  holder: string,
  why: string,
  timeoutMs = 20 * 60 * 1000,
): Promise<HostLock> {
  const proc: ChildProcess = spawn(
    'flock',
    ['--exclusive', '--timeout', String(Math.ceil(timeoutMs / 1000)), file, 'sh', '-c', HOLD, file, holder],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const startedAt = Date.now();
  const waiting = setTimeout(() => {
    process.stderr.write(
      `waiting for the lock ${file} (${why}), held by ${heldBy(file)}; giving up after ${Math.round(timeoutMs / 60000)} min\n`,
    );
  }, 1000);
  try {
    const held = await new Promise<boolean>((resolve) => {
      proc.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && resolve(true));
      void exited.then(() => resolve(false));
    });
    if (!held) {
      const code = await exited;
      throw new Error(
        `could not take the lock ${file} (${why}) within ${Math.round((Date.now() - startedAt) / 1000)} s: flock exited with ${code}${stderr ? `: ${stderr.trim()}` : ''}; it is held by ${heldBy(file)}`,
      );
    }
  } finally {
    clearTimeout(waiting);
  }
  return {
    guard(pid: number) {
      proc.stdin!.write(`${pid}\n`);
    },
    async release() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.stdin!.end();
        await exited;
      }
    },
  };
}
