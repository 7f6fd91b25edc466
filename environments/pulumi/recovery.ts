/**
 * Holding an environment's lock, and recovering from an operation whose worker died: what it left
 * running is ended, the file backend's lock it held is cleared, and the pending operations it
 * left in the state are cleared without the state's secrets ever leaving SLIPWAY_HOME.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Stack } from '@pulumi/pulumi/automation';
import type { SlipwayEvent } from '../events';
import { acquireLock, ownerAlive, readOwner } from '../lock';
import { clearStaleBackendLock } from './leftovers';
import type { EnvNames } from '../naming';
import { endWorkerProcesses } from '../processes';
import { lockPath } from '../records';
import type { WorkerSettings } from './protocol';

/**
 * An operation killed mid-flight leaves "pending operations" in the state, which Pulumi
 * refuses to run over. Creates are idempotent by name in Slipway's providers (and `down`
 * sweeps by label), so clearing them is safe: the next run converges.
 *
 * The state is exported with its secrets still encrypted (no `--show-secrets`), and the copy
 * that `pulumi stack import` reads lives in a private folder under SLIPWAY_HOME (0700, file
 * 0600), removed whether the import worked or not: nothing of the state is written elsewhere.
 */
export async function clearPendingOperations(
  stack: Stack,
  home: string,
  emit: (e: SlipwayEvent) => void,
): Promise<void> {
  const cli = stack.workspace as unknown as { runPulumiCmd(args: string[]): Promise<{ stdout: string }> };
  const state = JSON.parse((await cli.runPulumiCmd(['stack', 'export', '--stack', stack.name])).stdout) as {
    deployment?: { pending_operations?: unknown[] };
  };
  const pending = state.deployment?.pending_operations;
  if (!pending || pending.length === 0) return;
  emit({ type: 'step', message: `recovering from an interrupted operation (${pending.length} unfinished step(s))` });
  state.deployment!.pending_operations = [];
  const root = join(home, 'tmp');
  mkdirSync(root, { recursive: true, mode: 0o700 });
  chmodSync(root, 0o700);
  const dir = mkdtempSync(join(root, 'import-'));
  try {
    chmodSync(dir, 0o700);
    const file = join(dir, 'state.json');
    writeFileSync(file, JSON.stringify(state), { mode: 0o600 });
    await cli.runPulumiCmd(['stack', 'import', '--file', file, '--stack', stack.name]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs `fn` holding the environment's lock; `fn` learns whether the last holder died
 * mid-operation. Then whatever that holder had started (Pulumi and its plugins, which may still
 * be writing) is ended first, and the file backend's lock it left is cleared.
 */
export async function withEnvLock<T>(
  settings: WorkerSettings,
  names: EnvNames,
  signal: AbortSignal,
  emit: (e: SlipwayEvent) => void,
  fn: (interrupted: boolean) => Promise<T>,
): Promise<T> {
  const file = lockPath(settings.home, names.project, names.env);
  let stale = false;
  let holder = readOwner(file);
  const lock = await acquireLock(file, `environment ${names.env}`, {
    timeoutMs: settings.lockTimeoutMs,
    signal,
    onWait: (pid) => {
      holder = readOwner(file) ?? { pid };
      emit({
        type: 'step',
        message: `waiting for another Slipway operation on this environment (pid ${pid}) to finish`,
      });
    },
    onStale: () => {
      stale = true;
    },
  });
  try {
    if (stale) {
      if (holder !== undefined && holder.pid !== process.pid && !ownerAlive(holder)) {
        const ended = await endWorkerProcesses(holder.pid, { group: false });
        if (ended > 0)
          emit({
            type: 'step',
            message: `stopped ${ended} process(es) left running by the interrupted operation (pid ${holder.pid})`,
          });
      }
      clearStaleBackendLock(settings.backendUrl, names);
    }
    return await fn(stale);
  } finally {
    lock.release();
  }
}
