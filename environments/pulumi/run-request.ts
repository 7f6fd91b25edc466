/** One stack operation run inside a worker (fresh or warm): the op's module by name, its timings, and its result or typed error as the last messages. */
import { SlipwayError } from '../errors';
import { isWrongPassphrase, wrongPassphraseError } from '../paths';
import { TimingCollector, collectTimings, markPhase } from '../timings';
import { runDown } from './ops/down';
import { runDrift } from './ops/drift';
import { runRefresh } from './ops/refresh';
import { runUp } from './ops/up';
import { stopProviderThread } from './provider-thread';
import type { WorkerMessage, WorkerRequest, WorkerResult } from './protocol';

/**
 * Runs `request`; `send` gets the timings, then `finish` the result or error. With `since`, the
 * time from then to this run's start is the phase `phase` (a fresh worker: its own start, the
 * bundle and the SDK loading). Resolves false when the run failed.
 */
export async function runRequest(
  request: WorkerRequest,
  send: (msg: WorkerMessage) => void,
  finish: (msg: WorkerMessage) => void,
  start?: { phase: string; ms: number },
): Promise<boolean> {
  const timings = new TimingCollector();
  return collectTimings(timings, async () => {
    if (start) markPhase(start.phase, start.ms);
    const last = await outcome(request);
    // A run that failed or was cancelled may have left a provider call going: it ends with its thread.
    if (last.type !== 'result') await stopProviderThread();
    send({ type: 'timings', phases: timings.phases, counts: timings.counts });
    finish(last);
    return last.type === 'result';
  });
}

async function outcome(request: WorkerRequest): Promise<WorkerMessage> {
  try {
    let result: WorkerResult;
    if (request.op === 'up') result = await runUp(request);
    else if (request.op === 'down') result = await runDown(request);
    else if (request.op === 'drift') result = await runDrift(request);
    else result = await runRefresh(request);
    return { type: 'result', result };
  } catch (caught) {
    // Drift and refresh read the stack's secrets too: a wrong passphrase is said as such.
    const err =
      !SlipwayError.is(caught) && isWrongPassphrase(caught)
        ? wrongPassphraseError(request.settings.home, `Could not read the stack of branch "${request.branch}"`)
        : caught;
    const e = SlipwayError.is(err)
      ? { reason: err.reason, message: err.message, hint: err.hint }
      : { reason: 'operation-failed' as const, message: err instanceof Error ? err.message : String(err) };
    return { type: 'error', error: e };
  }
}
