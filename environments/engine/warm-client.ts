/**
 * The engine's side of a warm stack worker (environments/pulumi/warm-server.ts): finding the one
 * of a project and checking its identity, starting one when asked, running a request through its
 * socket, and reporting one that died mid-run as a fresh worker's death is reported.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { SlipwayError } from '../errors';
import type { OperationOptions } from '../events';
import { WORKER_MARK, endWorkerProcesses } from '../processes';
import { clearKilledWorkerLocks } from '../pulumi/leftovers';
import type { WorkerMessage, WorkerRequest, WorkerResult } from '../pulumi/protocol';
import * as warm from '../pulumi/warm-protocol';
import { tryParseDuration } from '../spec/units';
import { currentTimings } from '../timings';
import type { EngineContext } from './context';
import { WorkerEventTimings } from './op-timings';
import { killAfterGrace, workerDied } from './worker-client';

/** The engine's choice: start a warm worker when none runs (the editor), and how long it idles. */
export interface WarmOptions {
  start?: boolean;
  idleMs?: number;
}

/** `SLIPWAY_WARM_WORKER`: `0` never uses one, `1` starts one when none runs; unset: one that runs is used. */
export function warmMode(opts: WarmOptions | undefined): 'off' | 'reuse' | 'start' {
  const v = process.env.SLIPWAY_WARM_WORKER?.trim().toLowerCase();
  if (v === '0' || v === 'off' || v === 'false') return 'off';
  if (v === '1' || v === 'on' || v === 'true' || v === 'start') return 'start';
  return opts?.start ? 'start' : 'reuse';
}

/** `SLIPWAY_WARM_IDLE` (a duration such as `10m`), else the engine's, else 10 minutes. */
export function warmIdleMs(opts: WarmOptions | undefined): number {
  const v = process.env.SLIPWAY_WARM_IDLE?.trim();
  if (!v) return opts?.idleMs ?? 10 * 60 * 1000;
  const ms = tryParseDuration(v);
  if (ms === undefined)
    throw new SlipwayError('usage', `SLIPWAY_WARM_IDLE is "${v}", which is not a duration.`, {
      hint: 'Set it to a number and ms, s, m, h or d, such as 10m, or unset it for the default of 10 minutes.',
    });
  return ms;
}

/** Warm workers this process started: ended when it asks (the editor's deactivation). */
const started = new Set<number>();

/** Ends (SIGTERM: a run in flight is cancelled first) the warm workers this process started. */
export function stopWarmWorkers(): void {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
  }
  started.clear();
}

/** Whether `pid` has ended: gone, or a zombie nobody reaped yet. */
function ended(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    if (existsSync('/proc/self')) return true;
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

interface Connection {
  socket: Socket;
  pid: number;
  /** The worker's messages after `ready`. */
  onMessage(fn: (msg: WorkerMessage) => void): void;
}

/** Connects to the warm worker at `paths` and says hello; undefined when none can take this request. */
function hello(ctx: EngineContext, paths: warm.WarmPaths, identity: string): Promise<Connection | undefined> {
  return new Promise((resolve) => {
    const socket = connect(paths.socket);
    let handler: ((msg: WorkerMessage) => void) | undefined;
    let answered = false;
    const give = (c: Connection | undefined) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      if (!c) socket.destroy();
      resolve(c);
    };
    const timer = setTimeout(() => give(undefined), 5000);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A socket no process listens on was left by a worker that was killed: removed.
      if (!answered && err.code === 'ECONNREFUSED') {
        rmSync(paths.socket, { force: true });
        rmSync(paths.info, { force: true });
      }
      give(undefined);
    });
    socket.on('connect', () => warm.writeLine(socket, { type: 'hello', identity }));
    warm.readLines<warm.WarmReply>(socket, (msg) => {
      if (msg.type === 'ready') give({ socket, pid: msg.pid, onMessage: (fn) => (handler = fn) });
      else if (msg.type === 'refused') {
        ctx.logger.debug(
          `the warm stack worker (pid ${msg.pid}) is ${msg.why === 'busy' ? 'busy' : 'of another build'}: not used`,
        );
        give(undefined);
      } else handler?.(msg);
    });
  });
}

/** Starts a warm worker for `paths` (detached: it outlives this process until it idles out). */
async function startWarm(ctx: EngineContext, paths: warm.WarmPaths, idleMs: number): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ELECTRON_RUN_AS_NODE: '1',
    NODE_PATH: ctx.runtime().nodePath,
    [warm.WARM_SOCKET]: paths.socket,
    [warm.WARM_INFO]: paths.info,
    [warm.WARM_IDLE_MS]: String(idleMs),
  };
  delete env[WORKER_MARK];
  warm.makeWarmDirs(paths);
  const log = openSync(paths.log, 'w', 0o600);
  const child = spawn(process.execPath, [ctx.runtime().worker], { detached: true, stdio: ['ignore', log, log], env });
  closeSync(log);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) return;
  started.add(pid);
  ctx.logger.debug(`started a warm stack worker (pid ${pid})`);
  for (let waited = 0; waited < 30_000 && !ended(pid); waited += 50) {
    try {
      if ((JSON.parse(readFileSync(paths.info, 'utf8')) as warm.WarmInfo).pid === pid) return;
    } catch {
      // not written yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Runs `request` in the project's warm worker when one can take it (starting one first in
 * `start` mode); undefined when none can, and the caller forks a worker of its own.
 */
export async function runWarm(
  ctx: EngineContext,
  request: WorkerRequest,
  opts: OperationOptions & { stopGraceMs?: number },
): Promise<Promise<WorkerResult> | undefined> {
  const mode = warmMode(ctx.warm);
  if (mode === 'off') return undefined;
  const project = request.op === 'down' ? request.project : request.spec.name;
  const paths = warm.warmPaths(ctx.home, ctx.stateId, project);
  if (mode === 'reuse' && !existsSync(paths.socket)) return undefined;
  const identity = warm.warmIdentity(ctx.runtime().worker, process.env);
  let conn = existsSync(paths.socket) ? await hello(ctx, paths, identity) : undefined;
  if (!conn && mode === 'start' && !existsSync(paths.socket)) {
    await startWarm(ctx, paths, warmIdleMs(ctx.warm));
    conn = await hello(ctx, paths, identity);
  }
  if (!conn) return undefined;
  ctx.logger.debug(`using the warm stack worker (pid ${conn.pid})`);
  return relay(ctx, request, opts, conn, paths);
}

/** One run through the connection: events, output and timings relayed; the result, the error, or the worker's death. */
function relay(
  ctx: EngineContext,
  request: WorkerRequest,
  opts: OperationOptions & { stopGraceMs?: number },
  conn: Connection,
  paths: warm.WarmPaths,
): Promise<WorkerResult> {
  const { socket, pid } = conn;
  const timings = currentTimings();
  const phases =
    timings &&
    new WorkerEventTimings(timings, request, { docker: ctx.docker, dockerHost: ctx.dockerHost, stateId: ctx.stateId });
  const sentAt = performance.now();
  return new Promise((resolve, reject) => {
    let settled = false;
    // The worker ends the connection right after its answer: a close after it is not a death.
    let answered = false;
    let killTimer: NodeJS.Timeout | undefined;
    let probing: Promise<void> = Promise.resolve();
    const onAbort = () => {
      warm.writeLine(socket, { type: 'cancel' });
      killTimer = killAfterGrace(ctx, 'The warm stack worker', pid, opts.stopGraceMs);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      timings?.add('stack worker (warm, request to result)', performance.now() - sentAt);
      clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.end();
      fn();
    };
    conn.onMessage((msg) => {
      if (msg.type === 'event') {
        phases?.note(msg.event);
        opts.onEvent?.(msg.event);
      } else if (msg.type === 'output') {
        ctx.logger.trace(msg.line);
        opts.onOutput?.(msg.line);
      } else if (msg.type === 'timings') timings?.merge(msg.phases, msg.counts);
      else if (msg.type === 'result') {
        answered = true;
        if (phases) probing = phases.settled();
        void probing.finally(() => finish(() => resolve(msg.result)));
      } else if (msg.type === 'error') {
        answered = true;
        finish(() => reject(new SlipwayError(msg.error.reason, msg.error.message, { hint: msg.error.hint })));
      }
    });
    socket.on('close', () => {
      if (settled || answered) return;
      void died(ctx, request, pid, paths).then((err) =>
        finish(() =>
          reject(
            opts.signal?.aborted
              ? new SlipwayError('operation-cancelled', `Cancelled; the warm stack worker (pid ${pid}) was stopped.`, {
                  hint: 'Run the command again: Slipway recovers from interrupted operations.',
                })
              : err,
          ),
        ),
      );
    });
    warm.writeLine(socket, { type: 'run', request });
  });
}

/**
 * The connection closed before a result: once the worker has ended, what it left (its lock, the
 * backend's lock, Pulumi and its plugins, its socket) is removed and the error says it died.
 */
async function died(
  ctx: EngineContext,
  request: WorkerRequest,
  pid: number,
  paths: warm.WarmPaths,
): Promise<SlipwayError> {
  ctx.logger.debug(`the warm stack worker (pid ${pid}) closed its connection before answering: waiting for it to end`);
  // Until it is reaped (its parent, or init once its starter is gone): a zombie still looks alive to the lock's owner check.
  for (let waited = 0; waited < 5000 && (!ended(pid) || existsSync(`/proc/${pid}`)); waited += 50)
    await new Promise((r) => setTimeout(r, 50));
  if (!ended(pid))
    return new SlipwayError(
      'operation-failed',
      `The warm stack worker (pid ${pid}) closed its connection before the ${request.op} finished.`,
      {
        hint: 'Run the command again; `SLIPWAY_WARM_WORKER=0` runs it in a worker of its own.',
      },
    );
  clearKilledWorkerLocks(request, pid);
  const count = await endWorkerProcesses(pid, { group: true }).catch(() => 0);
  if (count > 0) ctx.logger.debug(`[worker ${pid}] ended ${count} process(es) it had started`);
  try {
    if ((JSON.parse(readFileSync(paths.info, 'utf8')) as warm.WarmInfo).pid === pid) {
      rmSync(paths.socket, { force: true });
      rmSync(paths.info, { force: true });
    }
  } catch {
    // a worker that never wrote its pid file, or one removed already
  }
  started.delete(pid);
  return workerDied(ctx, request, pid, 'ended (its connection closed)');
}
