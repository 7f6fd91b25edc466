/** The stack worker's side of its IPC channel: messages to the engine, and the signal that cancels the run. */
import type { SlipwayEvent } from '../events';
import { noteEmitted } from './cli-timings';
import type { WorkerMessage } from './protocol';

/** Aborted by the engine's cancel, its going away, or an interrupt to the worker. */
export const abort = new AbortController();

export function send(msg: WorkerMessage): void {
  if (process.connected) process.send?.(msg);
}
export function emit(event: SlipwayEvent): void {
  noteEmitted(event);
  send({ type: 'event', event });
}

/** Passes each line of Pulumi's output on to the engine. */
export function sendOutput(out: string): void {
  for (const line of out.split('\n')) if (line.trim()) send({ type: 'output', line });
}
