// Request matching for stubs and recordings: path patterns, partial query/header/body matches, response templates.
import { REDACTED } from './redact';
import type { Exchange, MockRequest, Stub } from './types';

/** Path parameters when `pattern` (`/charges/{id}`, `*` for one segment, trailing `**` for the rest) matches `path`. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('?')[0].split('/').filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    if (w === '**' && i === want.length - 1) return params;
    const g = got[i];
    if (g === undefined) return undefined;
    if (/^\{[^}]+\}$/.test(w)) params[w.slice(1, -1)] = decodeURIComponent(g);
    else if (w !== '*' && w !== g) return undefined;
  }
  return got.length === want.length ? params : undefined;
}

/** True when every field of `want` is in `got` with the same value (objects compared field by field). */
export function partialMatch(want: unknown, got: unknown): boolean {
  if (want === REDACTED) return true;
  if (want && typeof want === 'object' && !Array.isArray(want)) {
    if (!got || typeof got !== 'object' || Array.isArray(got)) return false;
    return Object.entries(want).every(([k, v]) => partialMatch(v, (got as Record<string, unknown>)[k]));
  }
  if (Array.isArray(want))
    return Array.isArray(got) && want.length === got.length && want.every((v, i) => partialMatch(v, got[i]));
  return want === got || (typeof want !== 'object' && typeof got !== 'object' && String(want) === String(got));
}

export function matchStub(stub: Stub, req: MockRequest): Record<string, string> | undefined {
  if (stub.method.toUpperCase() !== '*' && stub.method.toUpperCase() !== req.method) return undefined;
  const params = matchPath(stub.path, req.path);
  if (!params) return undefined;
  if (stub.query && !partialMatch(stub.query, req.query)) return undefined;
  if (stub.headers) {
    const lower = Object.fromEntries(Object.entries(stub.headers).map(([k, v]) => [k.toLowerCase(), v]));
    if (!partialMatch(lower, req.headers)) return undefined;
  }
  if (stub.body !== undefined && !partialMatch(stub.body, req.body)) return undefined;
  return params;
}

/** Fills `{{request.path.x}}`, `{{request.query.x}}`, `{{request.headers.x}}`, `{{request.body.a.b}}`, `{{request.method}}`. */
export function renderTemplate(value: unknown, req: MockRequest, params: Record<string, string>): unknown {
  if (typeof value === 'string') {
    const whole = /^\{\{\s*([^}]+?)\s*\}\}$/.exec(value);
    if (whole) {
      const v = lookup(whole[1], req, params);
      return v === undefined ? '' : v;
    }
    return value.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
      const v = lookup(expr, req, params);
      return v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    });
  }
  if (Array.isArray(value)) return value.map((v) => renderTemplate(v, req, params));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderTemplate(v, req, params)]));
  return value;
}

function lookup(expr: string, req: MockRequest, params: Record<string, string>): unknown {
  const [root, area, ...rest] = expr.split('.');
  if (root !== 'request') return undefined;
  if (area === 'method') return req.method;
  if (area === 'url' || (area === 'path' && rest.length === 0)) return req.path;
  let cur: unknown =
    area === 'path'
      ? params
      : area === 'query'
        ? req.query
        : area === 'headers'
          ? req.headers
          : area === 'body'
            ? req.body
            : undefined;
  for (const key of area === 'headers' ? rest.map((r) => r.toLowerCase()) : rest)
    cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
  return cur;
}

/** A recording answers when method, path, query and body are the same (redacted values match anything). */
export function matchExchange(e: Exchange, req: MockRequest): boolean {
  return (
    e.request.method === req.method &&
    e.request.path === req.path &&
    partialMatch(e.request.query, req.query) &&
    Object.keys(req.query).length === Object.keys(e.request.query).length &&
    (e.request.body === undefined ? req.body === undefined || req.body === '' : partialMatch(e.request.body, req.body))
  );
}

/** The recorded requests nearest to `req` (same method first, then by shared path prefix), for a 404's hint. */
export function nearest(exchanges: Exchange[], req: MockRequest, count = 3): string[] {
  const score = (e: Exchange): number => {
    const a = e.request.path.split('/');
    const b = req.path.split('/');
    let same = 0;
    while (same < a.length && same < b.length && a[same] === b[same]) same++;
    return (e.request.method === req.method ? 100 : 0) + same * 10 - Math.abs(a.length - b.length);
  };
  return [...exchanges]
    .sort((x, y) => score(y) - score(x))
    .slice(0, count)
    .map(
      (e) =>
        `${e.request.method} ${e.request.path}${Object.keys(e.request.query).length ? `?${new URLSearchParams(e.request.query)}` : ''}`,
    );
}
