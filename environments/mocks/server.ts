// The mock's HTTP server: admin endpoints, faults, then stubs, recordings, state and the OpenAPI document, with a redacted log.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Faults } from './faults';
import { matchExchange, matchStub, nearest, renderTemplate } from './match';
import { OpenApiMock } from './openapi';
import { redactExchange, redactRequest, redactResponse } from './redact';
import { ResourceState } from './state';
import type { Exchange, Fault, LogEntry, MockConfig, MockRequest, MockResponse } from './types';

export const ADMIN = '/__slipway';
const LOG_SIZE = 2000;

export interface MockServerOptions {
  /** Record mode: every request is proxied here and the exchange, redacted, handed to `onRecord`. */
  upstream?: string;
  onRecord?(exchange: Exchange): void;
}

export interface MockServer {
  server: Server;
  faults: Faults;
  log: LogEntry[];
}

export async function createMockServer(config: MockConfig, options: MockServerOptions = {}): Promise<MockServer> {
  const openapi = config.openapi ? await OpenApiMock.load(config.openapi) : undefined;
  const faults = new Faults();
  const state = new ResourceState();
  const log: LogEntry[] = [];
  let logged = 0;

  const answer = async (req: MockRequest): Promise<{ response: MockResponse; source: string }> => {
    if (options.upstream) return { response: await proxy(options.upstream, req, options, config), source: 'upstream' };
    for (const stub of config.stubs) {
      const params = matchStub(stub, req);
      if (params)
        return {
          response: {
            status: stub.response.status,
            headers: {
              ...(stub.response.body !== undefined && typeof stub.response.body !== 'string'
                ? { 'content-type': 'application/json' }
                : {}),
              ...stub.response.headers,
            },
            body: renderTemplate(stub.response.body, req, params),
          },
          source: 'stub',
        };
    }
    const recorded = config.recordings.find((e) => matchExchange(e, req));
    if (recorded) return { response: recorded.response, source: 'recording' };
    const api = openapi?.answer(req);
    if (api?.kind === 'invalid') {
      const body = {
        error: `${req.method} ${req.path} does not match the API description of ${config.name}`,
        errors: api.errors,
      };
      return { response: { status: 400, headers: { 'content-type': 'application/json' }, body }, source: 'validation' };
    }
    if (config.state) {
      const stored = state.handle(req);
      if (stored)
        return {
          response: {
            status: api?.kind === 'response' && req.method !== 'POST' ? api.response.status : stored.status,
            headers: stored.body === undefined ? {} : { 'content-type': 'application/json' },
            body: stored.body,
          },
          source: 'state',
        };
    }
    if (api?.kind === 'response') return { response: api.response, source: 'openapi' };
    const body = {
      error: `no stub, recording or API operation of mock ${config.name} matches ${req.method} ${req.path}`,
      nearest: nearest(
        config.recordings.length > 0
          ? config.recordings
          : config.stubs.map((s) => ({
              request: { method: s.method.toUpperCase(), path: s.path, query: {}, headers: {} },
              response: { status: 0, headers: {} },
            })),
        req,
      ),
    };
    return { response: { status: 404, headers: { 'content-type': 'application/json' }, body }, source: 'none' };
  };

  const server = createServer((raw, res) => {
    void (async () => {
      const started = Date.now();
      const req = await readRequest(raw);
      if (req.path.startsWith(`${ADMIN}/`))
        return admin(req, res, { faults, state, log, logged: () => logged, config });
      const fault = faults.pick(req);
      if (fault?.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
      let result: { response: MockResponse; source: string };
      if (fault?.drop) {
        raw.socket.destroy();
        result = { response: { status: 0, headers: {} }, source: 'fault' };
      } else if (fault?.timeout) {
        result = { response: { status: 0, headers: {} }, source: 'fault' };
      } else if (fault?.status) {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (fault.status === 429 || fault.status === 503) headers['retry-after'] = String(fault.retryAfterS ?? 1);
        result = {
          response: {
            status: fault.status,
            headers,
            body: { error: `fault injected by slipway mocks fault: ${fault.status}` },
          },
          source: 'fault',
        };
      } else {
        try {
          result = await answer(req);
        } catch (err) {
          result = {
            response: {
              status: 502,
              headers: { 'content-type': 'application/json' },
              body: { error: `mock ${config.name} failed: ${(err as Error).message}` },
            },
            source: 'error',
          };
        }
      }
      if (result.response.status > 0) send(res, result.response);
      // Redacted when read (admin `log`): nothing leaves the mock unredacted, and answering stays cheap.
      log.push({
        at: new Date(started).toISOString(),
        request: req,
        response: result.response,
        source: result.source,
        ms: Date.now() - started,
      });
      logged++;
      if (log.length > LOG_SIZE) log.splice(0, log.length - LOG_SIZE);
    })().catch(() => res.destroy());
  });
  server.keepAliveTimeout = 65_000;
  return { server, faults, log };
}

async function readRequest(raw: IncomingMessage): Promise<MockRequest> {
  const chunks: Buffer[] = [];
  for await (const c of raw) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const url = new URL(raw.url ?? '/', 'http://mock');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw.headers))
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  let body: unknown = text === '' ? undefined : text;
  if (text !== '' && (/json/.test(headers['content-type'] ?? '') || /^[[{]/.test(text.trim()))) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return {
    method: (raw.method ?? 'GET').toUpperCase(),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    body,
  };
}

function send(res: ServerResponse, r: MockResponse): void {
  const text = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  const headers = Object.fromEntries(
    Object.entries(r.headers).filter(
      ([k]) => !['content-length', 'transfer-encoding', 'connection', 'content-encoding'].includes(k),
    ),
  );
  res.writeHead(r.status, { ...headers, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const HOP = ['host', 'connection', 'content-length', 'transfer-encoding', 'accept-encoding', 'keep-alive'];

async function proxy(
  upstream: string,
  req: MockRequest,
  options: MockServerOptions,
  config: MockConfig,
): Promise<MockResponse> {
  const url = new URL(req.path, upstream.endsWith('/') ? upstream : `${upstream}/`);
  url.pathname = new URL(upstream).pathname.replace(/\/$/, '') + req.path;
  for (const [k, v] of Object.entries(req.query)) url.searchParams.set(k, v);
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !HOP.includes(k)));
  const body = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
  const got = await fetch(url, { method: req.method, headers, body });
  const text = await got.text();
  const resHeaders: Record<string, string> = {};
  got.headers.forEach((v, k) => {
    if (!HOP.includes(k) && k !== 'date' && k !== 'content-encoding') resHeaders[k] = v;
  });
  let parsed: unknown = text === '' ? undefined : text;
  if (/json/.test(resHeaders['content-type'] ?? '')) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  const response: MockResponse = { status: got.status, headers: resHeaders, body: parsed };
  options.onRecord?.(redactExchange({ request: req, response }, config.redact));
  return response;
}

interface AdminContext {
  faults: Faults;
  state: ResourceState;
  log: LogEntry[];
  logged(): number;
  config: MockConfig;
}

function admin(req: MockRequest, res: ServerResponse, ctx: AdminContext): void {
  const json = (status: number, body: unknown): void =>
    send(res, { status, headers: { 'content-type': 'application/json' }, body });
  const what = req.path.slice(ADMIN.length + 1);
  if (what === 'health') return json(200, { name: ctx.config.name, ok: true });
  if (what === 'faults' && req.method === 'GET') return json(200, { faults: ctx.faults.all() });
  if (what === 'faults' && req.method === 'PUT') {
    const fault = req.body as Fault;
    if (!fault || typeof fault !== 'object')
      return json(400, { error: 'send a fault as JSON: { status, rate, latencyMs, drop, timeout, route }' });
    ctx.faults.set(fault);
    return json(200, { faults: ctx.faults.all() });
  }
  if (what === 'faults' && req.method === 'DELETE') {
    ctx.faults.clear(req.query.route);
    return json(200, { faults: ctx.faults.all() });
  }
  if (what === 'reset' && req.method === 'POST') {
    ctx.state.reset();
    return json(200, { reset: true });
  }
  if (what === 'log' && req.method === 'GET') {
    // `after` counts every entry ever logged, so a follower asks only for what is new.
    const after = Number(req.query.after ?? 0);
    const total = ctx.logged();
    const first = total - ctx.log.length;
    const entries = ctx.log.slice(Math.max(0, after - first)).map((e) => ({
      ...e,
      request: redactRequest(e.request, ctx.config.redact),
      response: redactResponse(e.response, ctx.config.redact),
    }));
    return json(200, { entries, next: total });
  }
  return json(404, { error: `no admin endpoint ${req.method} ${req.path}` });
}
