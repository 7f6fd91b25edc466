// The CLI's one JSON contract: every `--json` answer is `{ "data", "error" }`; `--events` streams `{ "event" }` lines before it.
import type { LogEntry } from '../mocks/types';
import type { SlipwayError } from '../errors';
import type { SlipwayEvent } from '../events';

/** What `--json` prints on stdout: the command's result, or why it failed (never both set). */
export interface Envelope<T = unknown> {
  data: T | null;
  error: { reason: string; message: string; hint: string | null } | null;
}

/** One line of `--json --events` output before the closing envelope. */
export interface EventLine {
  event:
    | SlipwayEvent
    | { type: 'log'; service: string; line: string }
    | { type: 'mock-request'; mock: string; entry: LogEntry };
}

export function okEnvelope<T>(data: T): Envelope<T> {
  return { data, error: null };
}

export function errorEnvelope(err: SlipwayError): Envelope<never> {
  return { data: null, error: { reason: err.reason, message: err.message, hint: err.hint ?? null } };
}

/**
 * The envelope as text: indented for a person reading one document, one compact line when it
 * closes an NDJSON stream (`--events`, `drift --watch`), so every line of stdout parses alone.
 */
export function envelopeText(envelope: Envelope, compact: boolean): string {
  return compact ? JSON.stringify(envelope) : JSON.stringify(envelope, null, 2);
}

export function eventText(event: EventLine['event']): string {
  return JSON.stringify({ event } satisfies EventLine);
}

/** Whether a command line asks for JSON (before parsing it: a usage error is answered in JSON too). */
export function wantsJson(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).includes('--json');
}
