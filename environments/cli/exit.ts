// The CLI's one exit-code table, and the one mapping from an error's reason (or a signal) to an exit code.
import type { SlipwayErrorReason } from '../errors';

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  drift: 3,
  blocked: 4,
  hangup: 129,
  cancelled: 130,
  terminated: 143,
} as const;

/** The table as `slipway --help` and the README show it. */
export const EXIT_TABLE: ReadonlyArray<[number, string]> = [
  [EXIT.ok, 'ok'],
  [EXIT.failed, 'failed (the message says what happened and what to do)'],
  [EXIT.usage, 'usage: an unknown, missing or conflicting option, an unexpected argument, a bad stage name'],
  [EXIT.drift, 'drift: `drift` found differences (`drift --watch`: seen at any time during the watch)'],
  [EXIT.blocked, 'blocked: gates do not pass, a quota refused, a policy check failed'],
  [EXIT.cancelled, 'cancelled by Ctrl+C (SIGINT): the step in flight finished, the record says cancelled'],
  [EXIT.terminated, 'terminated (SIGTERM), handled as Ctrl+C'],
  [EXIT.hangup, 'hung up (SIGHUP), handled as Ctrl+C'],
];

/** The signals that cancel a command, and the exit code each one ends it with (128 + its number). */
export const SIGNAL_EXIT = { SIGINT: EXIT.cancelled, SIGTERM: EXIT.terminated, SIGHUP: EXIT.hangup } as const;
export type CancelSignal = keyof typeof SIGNAL_EXIT;

const BLOCKED: ReadonlySet<SlipwayErrorReason> = new Set<SlipwayErrorReason>([
  'gates-failed',
  'quota-exceeded',
  'policy-refused',
  'masking-unsafe',
]);

/** The exit code of a command that failed with `reason`; `signal`: the signal that cancelled it, if one did. */
export function exitCodeFor(reason: SlipwayErrorReason, signal?: CancelSignal): number {
  if (reason === 'usage') return EXIT.usage;
  if (BLOCKED.has(reason)) return EXIT.blocked;
  if (reason === 'operation-cancelled') return SIGNAL_EXIT[signal ?? 'SIGINT'];
  return EXIT.failed;
}

export function exitTableText(): string {
  return EXIT_TABLE.map(([code, what]) => `  ${String(code).padStart(3)}  ${what}`).join('\n');
}
