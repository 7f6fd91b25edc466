/**
 * What a stack worker leaves running when it dies: the Pulumi CLI shares its process group, but
 * Pulumi starts each plugin (the `pulumi-resource-pulumi-nodejs` shim and its dynamic-provider
 * child) in a process group of its own, and they outlive a killed CLI. Every process the worker
 * starts inherits the mark `SLIPWAY_WORKER_PID=<worker pid>` in its environment, so all of them can
 * be found (in /proc, on Linux) and ended, wherever they were reparented.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The environment variable a stack worker sets to its own pid; its descendants inherit it. */
export const WORKER_MARK = 'SLIPWAY_WORKER_PID';

/** The processes (other than this one) whose environment carries the mark of worker `workerPid`. */
export function markedProcesses(workerPid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return []; // no /proc (macOS): the process group is all there is to end
  }
  const mark = `${WORKER_MARK}=${workerPid}`;
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(mark)) found.push(Number(entry));
    } catch {
      // gone already, or another user's
    }
  }
  return found;
}

/**
 * Ends (SIGKILL) everything worker `workerPid` started: with `group`, its process group (only
 * right after the worker itself was reaped, while that group id cannot belong to anyone else),
 * then every marked process, until none is left. Returns how many marked processes were ended.
 */
export async function endWorkerProcesses(workerPid: number, opts: { group: boolean }): Promise<number> {
  if (opts.group) {
    try {
      process.kill(-workerPid, 'SIGKILL');
    } catch {
      // the group is empty
    }
  }
  let ended = 0;
  // A plugin being started while the first pass runs is caught by the next one.
  for (let pass = 0; pass < 5; pass++) {
    const left = markedProcesses(workerPid);
    if (left.length === 0) break;
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
        ended++;
      } catch {
        // gone in the meantime
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return ended;
}
