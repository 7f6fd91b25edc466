/** The engine's side of the stack worker: forks one worker process per operation (or hands it to a warm one, ./warm-client.ts), relays its events, cancels it, and reports a worker that died. */
import { fork } from 'node:child_process';
import { SlipwayError } from '../errors';
import type { OperationOptions } from '../events';
import { lockOwner } from '../lock';
import { envNames } from '../naming';
import { WORKER_MARK, endWorkerProcesses } from '../processes';
import { clearKilledWorkerLocks } from '../pulumi/leftovers';
import type { WorkerMessage, WorkerRequest, WorkerResult } from '../pulumi/protocol';
import { inspectRecord, lockPath, writeRecord } from '../records';
import type { EngineContext } from './context';
import { WorkerEventTimings } from './op-timings';
import { currentTimings } from '../timings';
import { performance } from 'node:perf_hooks';
import { runWarm } from './warm-client';

/**
 * Runs one request in a fresh worker process; resolves with its result, rejects with a
 * SlipwayError. Once the signal aborts, the worker is asked to cancel; with `stopGraceMs`, its
 * process group (the worker, Pulumi and its plugins) is killed if it has not exited by then, and
 * the call settles only once it has exited. A worker that died holding its environment's lock
 * leaves no lock behind.
 */
export async function runWorker(
  ctx: EngineContext,
  request: WorkerRequest,
  opts: OperationOptions & { stopGraceMs?: number },
): Promise<WorkerResult> {
  if (opts.signal?.aborted) {
    throw new SlipwayError('operation-cancelled', 'Cancelled before it started; nothing was changed.');
  }
  // The project's warm worker, when one runs (or the engine starts one) and can take this request.
  const warm = await runWarm(ctx, request, opts);
  return warm ?? forkWorker(ctx, request, opts);
}

function forkWorker(
  ctx: EngineContext,
  request: WorkerRequest,
  opts: OperationOptions & { stopGraceMs?: number },
): Promise<WorkerResult> {
  // Its own process group: a terminal's Ctrl+C reaches the caller only, which cancels through
  // the worker, so Pulumi gets one interrupt (a second one would make it stop mid-step).
  // ELECTRON_RUN_AS_NODE: in VS Code the extension host's execPath is Electron, which must run as Node.
  const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_RUN_AS_NODE: '1', NODE_PATH: ctx.runtime().nodePath };
  delete env[WORKER_MARK]; // the worker marks what it starts with its own pid
  const timings = currentTimings();
  const phases =
    timings &&
    new WorkerEventTimings(timings, request, { docker: ctx.docker, dockerHost: ctx.dockerHost, stateId: ctx.stateId });
  const forkedAt = performance.now();
  const child = fork(ctx.runtime().worker, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env, detached: true });
  const log = (line: string) => ctx.logger.debug(`[worker ${child.pid}] ${line}`);
  child.stdout?.setEncoding('utf8').on('data', (d: string) => d.split('\n').filter(Boolean).forEach(log));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => d.split('\n').filter(Boolean).forEach(log));
  return new Promise((resolve, reject) => {
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let exited = false;
    /** What the worker reported, held until it has exited when the run was cancelled. */
    let outcome: (() => void) | undefined;
    let probing: Promise<void> = Promise.resolve();
    const onAbort = () => {
      if (child.connected) child.send({ type: 'cancel' });
      if (child.pid !== undefined) killTimer = killAfterGrace(ctx, 'The stack worker', child.pid, opts.stopGraceMs);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (fn: () => void) => {
      if (settled) return;
      if (opts.signal?.aborted && opts.stopGraceMs !== undefined && !exited) {
        outcome ??= fn;
        return;
      }
      settled = true;
      timings?.add('stack worker (fork to result)', performance.now() - forkedAt);
      clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    child.on('message', (msg: WorkerMessage) => {
      switch (msg.type) {
        case 'event':
          phases?.note(msg.event);
          opts.onEvent?.(msg.event);
          break;
        case 'output':
          ctx.logger.trace(msg.line);
          opts.onOutput?.(msg.line);
          break;
        case 'timings':
          timings?.merge(msg.phases, msg.counts);
          break;
        case 'result':
          // With timings asked for, an up's health waits are read from Docker before it settles.
          if (phases) probing = phases.settled();
          void probing.finally(() => finish(() => resolve(msg.result)));
          break;
        case 'error':
          finish(() => reject(new SlipwayError(msg.error.reason, msg.error.message, { hint: msg.error.hint })));
          break;
      }
    });
    child.on('error', (err) =>
      finish(() =>
        reject(new SlipwayError('operation-failed', `The stack worker could not run: ${err.message}`, { cause: err })),
      ),
    );
    child.on('exit', (code, sig) => {
      exited = true;
      // Whatever way it ended, nothing it started (the Pulumi CLI, Pulumi's plugins) outlives it.
      const pid = child.pid;
      if (pid !== undefined) clearKilledWorkerLocks(request, pid);
      const ended = pid === undefined ? Promise.resolve(0) : endWorkerProcesses(pid, { group: true }).catch(() => 0);
      void Promise.all([ended, probing]).then(([count]) => {
        if (count > 0) ctx.logger.debug(`[worker ${pid}] ended ${count} process(es) it had started`);
        finish(
          outcome ??
            (() =>
              reject(
                opts.signal?.aborted
                  ? new SlipwayError(
                      'operation-cancelled',
                      `Cancelled; the stack worker was stopped (${sig ?? `exit code ${code}`}).`,
                      {
                        hint: 'Run the command again: Slipway recovers from interrupted operations.',
                      },
                    )
                  : workerDied(ctx, request, pid, sig ? `was killed by ${sig}` : `exited with code ${code}`),
              )),
        );
      });
    });
    child.send({ type: 'run', request });
  });
}

/** The error of a worker that ended without a result; the environment's record says the same. */
/**
 * After a cancel, the worker's process group is killed if it has not stopped within `graceMs`
 * (none: it is given all the time it needs); the timer to clear once it has stopped.
 */
export function killAfterGrace(
  ctx: EngineContext,
  who: string,
  pid: number,
  graceMs: number | undefined,
): NodeJS.Timeout | undefined {
  if (graceMs === undefined) return undefined;
  return setTimeout(() => {
    ctx.logger.warn(`${who} (pid ${pid}) did not stop within ${graceMs} ms of its cancel: killing its process group.`);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }, graceMs);
}

export function workerDied(
  ctx: EngineContext,
  request: WorkerRequest,
  pid: number | undefined,
  how: string,
): SlipwayError {
  const project = request.op === 'down' ? request.project : request.spec.name;
  const names = envNames(project, request.branch, ctx.stateId);
  const error = `the stack worker${pid ? ` (pid ${pid})` : ''} ${how} before it finished`;
  const record = inspectRecord(ctx.home, names.project, names.env).record;
  // The lock is not held by anyone alive, so no other operation writes this record now. The
  // next operation recovers from the interruption (pending operations in the state).
  if (
    record?.lastOperation.status === 'running' &&
    record.lastOperation.op === request.op &&
    lockOwner(lockPath(ctx.home, names.project, names.env)) === undefined
  ) {
    writeRecord(ctx.home, {
      ...record,
      updatedAt: new Date().toISOString(),
      lastOperation: { ...record.lastOperation, status: 'failed', error, interrupted: true },
    });
  }
  const again = request.op === 'down' ? 'slipway down' : request.op === 'up' ? 'slipway up' : `slipway drift`;
  return new SlipwayError(
    'worker-died',
    `${request.op} of ${names.project} / ${names.branch} stopped: ${error}; the processes it had started were stopped too.`,
    {
      hint: `Run \`${again}\` again: it recovers the interrupted operation and continues from what exists.${request.op === 'up' ? ' (`slipway down` removes it instead.)' : ''}`,
    },
  );
}
