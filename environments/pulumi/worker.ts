/**
 * The stack worker: one Node process per stack operation (the Pulumi Node SDK keeps global
 * state per program run). The engine forks it, sends one `run` request over IPC, and receives
 * progress events and one result or error. If the engine goes away (its process was killed),
 * the worker cancels the Pulumi operation gracefully so the state stays consistent, and exits.
 * (A warm worker, ./warm-server.ts, runs the same operations one after another over a socket.)
 *
 * This file is the IPC loop; each operation is one module in ./ops/ (up, down, drift, refresh),
 * run by ./run-request.ts, sharing the workspace (./workspace.ts), event translation
 * (./run-events.ts), the environment's record and ports (./run-state.ts) and the channel to the
 * engine (./channel.ts).
 */
import { WORKER_MARK } from '../processes';
import { abort, send } from './channel';
import { performance } from 'node:perf_hooks';
import { runRequest } from './run-request';
import { stopProviderThread } from './provider-thread';
import type { ParentMessage, WorkerMessage } from './protocol';

// Everything this worker starts (the Pulumi CLI, and the plugins Pulumi starts in process groups
// of their own) carries this mark, so the engine, or the next operation after a kill -9, can end it.
process.env[WORKER_MARK] = String(process.pid);

/** Sends the last message, then disconnects once it is handed over (queued messages are not dropped). */
function finish(msg: WorkerMessage): void {
  if (!process.connected) return;
  process.send?.(msg, undefined, {}, () => {
    if (process.connected) process.disconnect();
    // Its provider thread ends with the run, so that the process exits.
    void stopProviderThread();
  });
}

process.on('message', (msg: ParentMessage) => {
  if (msg.type === 'run')
    // From this process's start to its first request: Node, the bundle and the SDK loading.
    void runRequest(msg.request, send, finish, { phase: 'worker start', ms: performance.now() }).then((ok) => {
      if (!ok) process.exitCode = 1;
    });
  else if (msg.type === 'cancel') abort.abort();
});
// The engine's process went away (killed): stop the Pulumi run cleanly rather than orphan it.
process.on('disconnect', () => abort.abort());
// An interrupt sent to the worker itself cancels cleanly, like the engine's cancel.
process.on('SIGINT', () => abort.abort());
