// Redaction of secrets in requests and responses: named headers, credential-like query parameters and JSON keys, JSON paths, and patterns (emails, card numbers).
import type { Exchange, MockRequest, MockResponse, RedactRules } from './types';

export const REDACTED = '[redacted]';

/** E-mail addresses and 13-19 digit card numbers (spaces or dashes allowed between digits). */
export const DEFAULT_PATTERNS = ['[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}', '\\b(?:\\d[ -]?){12,18}\\d\\b'];
export const DEFAULT_HEADERS = ['authorization', 'cookie', 'set-cookie', 'proxy-authorization', 'x-api-key'];

/** Query parameters and JSON keys that look like credentials (also as a suffix: `refresh_token`, `db_password`). */
export const DEFAULT_KEYS = [
  'token',
  'access_token',
  'api_key',
  'apikey',
  'password',
  'secret',
  'authorization',
  'client_secret',
];

export function defaultRules(extra?: Partial<RedactRules>): RedactRules {
  return {
    headers: [...new Set([...DEFAULT_HEADERS, ...(extra?.headers ?? []).map((h) => h.toLowerCase())])],
    paths: extra?.paths ?? [],
    patterns: [...new Set([...DEFAULT_PATTERNS, ...(extra?.patterns ?? [])])],
    keys: [...new Set([...DEFAULT_KEYS, ...(extra?.keys ?? []).map((k) => k.toLowerCase())])],
  };
}

/** `Access-Token`, `access_token` and `accessToken` alike. */
const normalKey = (key: string) => key.toLowerCase().replace(/[^a-z0-9]/g, '');

const keyMatchers = new WeakMap<RedactRules, (key: string) => boolean>();

/** Whether a query parameter or JSON key names a credential under `rules` (the defaults when the rules list none). */
export function isCredentialKey(key: string, rules: RedactRules): boolean {
  let match = keyMatchers.get(rules);
  if (!match) {
    const names = [...new Set((rules.keys ?? DEFAULT_KEYS).map(normalKey).filter((k) => k !== ''))];
    match = (k: string) => {
      const n = normalKey(k);
      return n !== '' && names.some((name) => n === name || n.endsWith(name));
    };
    keyMatchers.set(rules, match);
  }
  return match(key);
}

export function redactHeaders(headers: Record<string, string>, rules: RedactRules): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers))
    out[k] = rules.headers.includes(k.toLowerCase()) ? REDACTED : redactText(v, rules);
  return out;
}

const compiled = new Map<string, RegExp>();

export function redactText(text: string, rules: RedactRules): string {
  let out = text;
  for (const p of rules.patterns) {
    let re = compiled.get(p);
    if (!re) compiled.set(p, (re = new RegExp(p, 'g')));
    out = out.replace(re, REDACTED);
  }
  return out;
}

/** A copy of `value` with every string run through the patterns and every listed path replaced. */
export function redactBody(value: unknown, rules: RedactRules, path = ''): unknown {
  if (path !== '' && (rules.paths.includes(path) || isCredentialKey(path.slice(path.lastIndexOf('.') + 1), rules)))
    return REDACTED;
  if (typeof value === 'string') return redactText(value, rules);
  if (Array.isArray(value)) return value.map((v) => redactBody(v, rules, path));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactBody(v, rules, path === '' ? k : `${path}.${k}`);
    return out;
  }
  return value;
}

export function redactRequest(req: MockRequest, rules: RedactRules): MockRequest {
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.query))
    query[k] = isCredentialKey(k, rules) ? REDACTED : redactText(v, rules);
  return { ...req, query, headers: redactHeaders(req.headers, rules), body: redactBody(req.body, rules) };
}

export function redactResponse(res: MockResponse, rules: RedactRules): MockResponse {
  return { ...res, headers: redactHeaders(res.headers, rules), body: redactBody(res.body, rules) };
}

/** Also hides the values of redacted headers and credential query parameters wherever else they appear (an upstream that echoes the token back). */
export function redactExchange(e: Exchange, rules: RedactRules): Exchange {
  const seen = [
    ...[e.request.headers, e.response.headers].flatMap((h) =>
      Object.entries(h)
        .filter(([k]) => rules.headers.includes(k.toLowerCase()))
        .map(([, v]) => v),
    ),
    ...Object.entries(e.request.query)
      .filter(([k]) => isCredentialKey(k, rules))
      .map(([, v]) => v),
  ];
  const literals = seen.flatMap((v) => [v, ...v.split(/\s+/).slice(1)]).filter((v) => v.length >= 4);
  const all: RedactRules = {
    ...rules,
    patterns: [...literals.sort((a, b) => b.length - a.length).map(escapeRegExp), ...rules.patterns],
  };
  return { request: redactRequest(e.request, all), response: redactResponse(e.response, all) };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
