// Talks to a running mock's admin endpoints (faults, reset, log) on its 127.0.0.1 URL; used by the CLI and the extension.
import { SlipwayError } from '../errors';
import type { Fault, LogEntry } from './types';

const ADMIN = '/__slipway';

async function call(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${base.replace(/\/$/, '')}${ADMIN}/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new SlipwayError('operation-failed', `The mock at ${base} did not answer: ${(err as Error).message}.`, {
      hint: 'Check that the environment runs (slipway status) and bring it up again if not.',
      cause: err,
    });
  }
  const text = await res.text();
  if (!res.ok)
    throw new SlipwayError(
      'operation-failed',
      `The mock at ${base} refused ${method} ${ADMIN}/${path}: ${res.status} ${text}`,
    );
  return text ? JSON.parse(text) : undefined;
}

export async function setFault(base: string, fault: Fault): Promise<Fault[]> {
  return ((await call(base, 'PUT', 'faults', fault)) as { faults: Fault[] }).faults;
}

export async function clearFaults(base: string, route?: string): Promise<Fault[]> {
  return (
    (await call(base, 'DELETE', `faults${route ? `?route=${encodeURIComponent(route)}` : ''}`)) as { faults: Fault[] }
  ).faults;
}

export async function resetMock(base: string): Promise<void> {
  await call(base, 'POST', 'reset');
}

/** Log entries after the `after`-th ever logged, and the count to ask after next time. */
export async function readLog(base: string, after = 0): Promise<{ entries: LogEntry[]; next: number }> {
  return (await call(base, 'GET', `log?after=${after}`)) as { entries: LogEntry[]; next: number };
}

/** One line per exchange: `12:00:01 POST /charges -> 201 (openapi, 3 ms)`. */
export function formatLogEntry(e: LogEntry): string {
  const query = Object.keys(e.request.query).length ? `?${new URLSearchParams(e.request.query)}` : '';
  const status = e.response.status === 0 ? 'no answer' : String(e.response.status);
  return `${e.at.slice(11, 19)} ${e.request.method} ${e.request.path}${query} -> ${status} (${e.source}, ${e.ms} ms)`;
}
