/** What a stack worker that was killed mid-operation leaves behind, and its removal. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { removeLockOf } from '../lock';
import { envNames, type EnvNames } from '../naming';
import { lockPath } from '../records';
import type { WorkerRequest } from './protocol';

/** Removes the file backend's lock of a stack whose last operation was killed. */
export function clearStaleBackendLock(backendUrl: string, names: EnvNames): void {
  if (!backendUrl.startsWith('file://')) return;
  const stateDir = backendUrl.slice('file://'.length);
  rmSync(join(stateDir, '.pulumi', 'locks', 'organization', names.pulumiProject, names.stack), {
    recursive: true,
    force: true,
  });
}

/**
 * After worker `pid` has exited: if it died holding its environment's lock (killed), the file
 * backend's lock of its stack and then that lock are removed, so nothing stays locked behind it.
 * In that order: a process killed between the two (the CLI, killed just after its worker) leaves
 * the environment's lock, whose dead holder tells the next operation to clear the backend's lock
 * again, where the other order would leave the backend locked with nothing to say so. The record
 * keeps saying the operation was running, so the next one recovers as from any interruption.
 */
export function clearKilledWorkerLocks(request: WorkerRequest, pid: number): void {
  const names = envNames(
    request.op === 'down' ? request.project : request.spec.name,
    request.branch,
    request.settings.stateId,
  );
  removeLockOf(lockPath(request.settings.home, names.project, names.env), pid, () =>
    clearStaleBackendLock(request.settings.backendUrl, names),
  );
}
