// The contract check: replays a mock's recorded and stubbed requests against a real upstream and reports answers that no longer fit.
import { OpenApiMock, type FieldError } from './openapi';
import type { MockConfig, MockRequest, MockResponse } from './types';

export interface VerifyFinding {
  request: string;
  problems: string[];
}

export interface VerifyReport {
  checked: number;
  findings: VerifyFinding[];
  /** Stubs whose path is a pattern: they cannot be replayed as they are. */
  skipped: string[];
}

const DROP = ['host', 'content-length', 'connection', 'accept-encoding', 'authorization', 'cookie'];

/** Each recorded exchange must get the same status and, with a document, an answer the document allows; each literal stub likewise. */
export async function verifyMock(config: MockConfig, against: string, signal?: AbortSignal): Promise<VerifyReport> {
  const doc = config.openapi ? await OpenApiMock.load(config.openapi) : undefined;
  const cases: Array<{ request: MockRequest; expected?: MockResponse }> = config.recordings.map((e) => ({
    request: e.request,
    expected: e.response,
  }));
  const skipped: string[] = [];
  for (const s of config.stubs) {
    if (/[{*]/.test(s.path) || s.method === '*') skipped.push(`${s.method} ${s.path}`);
    else
      cases.push({
        request: {
          method: s.method,
          path: s.path,
          query: Object.fromEntries(Object.entries(s.query ?? {}).map(([k, v]) => [k, String(v)])),
          headers: s.headers ?? {},
          body: s.body,
        },
        expected: { status: s.response.status, headers: {}, body: s.response.body },
      });
  }
  const findings: VerifyFinding[] = [];
  for (const c of cases) {
    const label = `${c.request.method} ${c.request.path}`;
    const got = await send(against, c.request, signal);
    const problems: string[] = [];
    if (c.expected && got.status !== c.expected.status)
      problems.push(`status ${got.status}, the mock answers ${c.expected.status}`);
    if (doc) problems.push(...doc.checkResponse(c.request, got).map((e: FieldError) => e.message));
    if (c.expected && got.status === c.expected.status)
      problems.push(...shapeProblems(c.expected.body, got.body, 'response'));
    if (problems.length > 0) findings.push({ request: label, problems });
  }
  return { checked: cases.length, findings, skipped };
}

async function send(base: string, req: MockRequest, signal?: AbortSignal): Promise<MockResponse> {
  const url = new URL(base.replace(/\/$/, '') + req.path);
  for (const [k, v] of Object.entries(req.query)) url.searchParams.set(k, v);
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !DROP.includes(k)));
  const body = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
  if (body !== undefined && typeof req.body !== 'string') headers['content-type'] = 'application/json';
  const res = await fetch(url, { method: req.method, headers, body, signal: signal ?? AbortSignal.timeout(15_000) });
  const text = await res.text();
  let parsed: unknown = text === '' ? undefined : text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: compared as text
  }
  return { status: res.status, headers: {}, body: parsed };
}

/** Fields the mock answers with that the upstream no longer sends, or sends with another JSON type. */
export function shapeProblems(mock: unknown, real: unknown, at: string): string[] {
  const type = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if (mock === undefined) return [];
  if (type(mock) !== type(real)) return [`${at} is ${type(real)} upstream, ${type(mock)} in the mock`];
  if (type(mock) === 'object') {
    return Object.entries(mock as Record<string, unknown>).flatMap(([k, v]) =>
      k in (real as Record<string, unknown>)
        ? shapeProblems(v, (real as Record<string, unknown>)[k], `${at}.${k}`)
        : [`${at}.${k} is no longer sent upstream`],
    );
  }
  if (type(mock) === 'array' && (mock as unknown[]).length > 0 && (real as unknown[]).length > 0)
    return shapeProblems((mock as unknown[])[0], (real as unknown[])[0], `${at}[0]`);
  return [];
}
