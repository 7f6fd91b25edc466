/** The stack worker's side of its channel to the engine (IPC, or a warm worker's socket): messages to the engine, and the signal that cancels the run. */
import type { SlipwayEvent } from '../events';
import { noteEmitted } from './cli-timings';
import type { WorkerMessage } from './protocol';

let controller = new AbortController();
/** Aborted by the engine's cancel, its going away, or an interrupt to the worker; a fresh one per run. */
export const abort = {
  get signal(): AbortSignal {
    return controller.signal;
  },
  abort(): void {
    controller.abort();
  },
};

let sink: (msg: WorkerMessage) => void = (msg) => {
  if (process.connected) process.send?.(msg);
};

/** A warm worker's next run: messages go to `to` (its client's socket), under a cancel signal of its own. */
export function startRun(to: (msg: WorkerMessage) => void): void {
  controller = new AbortController();
  sink = to;
}

export function send(msg: WorkerMessage): void {
  sink(msg);
}
export function emit(event: SlipwayEvent): void {
  noteEmitted(event);
  send({ type: 'event', event });
}

/** Passes each line of Pulumi's output on to the engine. */
export function sendOutput(out: string): void {
  for (const line of out.split('\n')) if (line.trim()) send({ type: 'output', line });
}
