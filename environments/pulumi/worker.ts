/**
 * The stack worker: one Node process per stack operation (the Pulumi Node SDK keeps global
 * state per program run). The engine forks it, sends one `run` request over IPC, and receives
 * progress events and one result or error. If the engine goes away (its process was killed),
 * the worker cancels the Pulumi operation gracefully so the state stays consistent, and exits.
 *
 * This file is the IPC loop; each operation is one module in ./ops/ (up, down, drift, refresh),
 * sharing the workspace (./workspace.ts), event translation (./run-events.ts), the environment's
 * record and ports (./run-state.ts) and the channel to the engine (./channel.ts).
 */
import { SlipwayError } from '../errors';
import { WORKER_MARK } from '../processes';
import { isWrongPassphrase, wrongPassphraseError } from '../paths';
import { abort } from './channel';
import { performance } from 'node:perf_hooks';
import { TimingCollector, collectTimings, markPhase } from '../timings';
import { runDown } from './ops/down';
import { runDrift } from './ops/drift';
import { runRefresh } from './ops/refresh';
import { runUp } from './ops/up';
import type { ParentMessage, WorkerMessage, WorkerRequest, WorkerResult } from './protocol';

// Everything this worker starts (the Pulumi CLI, and the plugins Pulumi starts in process groups
// of their own) carries this mark, so the engine, or the next operation after a kill -9, can end it.
process.env[WORKER_MARK] = String(process.pid);

/** Sends the last message, then disconnects once it is handed over (queued messages are not dropped). */
function finish(msg: WorkerMessage): void {
  if (!process.connected) return;
  process.send?.(msg, undefined, {}, () => {
    if (process.connected) process.disconnect();
  });
}

async function run(request: WorkerRequest): Promise<void> {
  const timings = new TimingCollector();
  await collectTimings(timings, async () => {
    // From this process's start to its first request: Node, the bundle and the SDK loading.
    markPhase('worker start', performance.now());
    await runTimed(request, (msg) => {
      if (process.connected) process.send?.({ type: 'timings', phases: timings.phases, counts: timings.counts });
      finish(msg);
    });
  });
}

async function runTimed(request: WorkerRequest, finish: (msg: WorkerMessage) => void): Promise<void> {
  try {
    let result: WorkerResult;
    if (request.op === 'up') result = await runUp(request);
    else if (request.op === 'down') result = await runDown(request);
    else if (request.op === 'drift') result = await runDrift(request);
    else result = await runRefresh(request);
    finish({ type: 'result', result });
  } catch (caught) {
    // Drift and refresh read the stack's secrets too: a wrong passphrase is said as such.
    const err =
      !SlipwayError.is(caught) && isWrongPassphrase(caught)
        ? wrongPassphraseError(request.settings.home, `Could not read the stack of branch "${request.branch}"`)
        : caught;
    const e = SlipwayError.is(err)
      ? { reason: err.reason, message: err.message, hint: err.hint }
      : { reason: 'operation-failed' as const, message: err instanceof Error ? err.message : String(err) };
    finish({ type: 'error', error: e });
    process.exitCode = 1;
  }
}

process.on('message', (msg: ParentMessage) => {
  if (msg.type === 'run') void run(msg.request);
  else if (msg.type === 'cancel') abort.abort();
});
// The engine's process went away (killed): stop the Pulumi run cleanly rather than orphan it.
process.on('disconnect', () => abort.abort());
// An interrupt sent to the worker itself cancels cleanly, like the engine's cancel.
process.on('SIGINT', () => abort.abort());
