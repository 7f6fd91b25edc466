// The share-link gateway: http://<env>.<project>.localhost:PORT/ checked against the environment's token, then proxied (HTTP and WebSocket) to its service.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { inspectRecord } from '../records';
import { now, touch } from '../quotas/ttl';
import { logAccess, readShare, tokenMatches, type Share } from './store';

/** The query parameter that carries the token on the first visit, and the cookie that carries it after. */
export const TOKEN_PARAM = 'slipway_token';
export const COOKIE = 'slipway_share';

/** Activity is written into the record at most this often per environment (each write takes its lock). */
const ACTIVITY_EVERY_MS = 60_000;

interface Verdict {
  status: number;
  message?: string;
  share?: Share;
  target?: string;
  project?: string;
  env?: string;
  /** The token came in the query: set it as the cookie (and redirect to `path`). */
  setCookie?: string;
  /** The request's path without the token. */
  path: string;
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** The share token stays with the gateway: the app behind it never sees the cookie that carries it. */
function dropShareCookie(req: IncomingMessage): void {
  if (req.headers.cookie === undefined) return;
  const rest = req.headers.cookie
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p !== '' && p.split('=')[0] !== COOKIE);
  if (rest.length) req.headers.cookie = rest.join('; ');
  else delete req.headers.cookie;
}

/** `<env>.<project>.localhost` (or `<env>.<project>.<host>` when bound for the LAN). */
function hostParts(req: IncomingMessage): { env: string; project: string } | undefined {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  const [env, project] = host.split('.');
  return env && project && /^[a-z0-9_-]+$/.test(env) && /^[a-z0-9-]+$/.test(project) ? { env, project } : undefined;
}

/** Decides a request: who it is for, whether its token holds, and where it goes. */
export function judge(home: string, req: IncomingMessage): Verdict {
  const url = new URL(req.url ?? '/', 'http://gateway');
  const queryToken = url.searchParams.get(TOKEN_PARAM) ?? undefined;
  url.searchParams.delete(TOKEN_PARAM);
  const path = url.pathname + (url.searchParams.size ? `?${url.searchParams}` : '');
  const parts = hostParts(req);
  if (!parts)
    return {
      status: 404,
      message: 'No environment is named by this host; a share link looks like http://<env>.<project>.localhost:PORT/.',
      path,
    };
  const { project, env } = parts;
  const record = inspectRecord(home, project, env).record;
  if (!record)
    return {
      status: 404,
      message: `Environment ${env} of ${project} does not exist (it was torn down).`,
      path,
      project,
      env,
    };
  let share: Share | undefined;
  try {
    share = readShare(home, project, env);
  } catch {
    share = undefined;
  }
  if (!share)
    return {
      status: 404,
      message: `Environment ${env} of ${project} is not shared (its link was revoked or never made).`,
      path,
      project,
      env,
    };
  const token = queryToken ?? cookieToken(req);
  if (!tokenMatches(share, token))
    return {
      status: 401,
      message: 'This link needs its token: open the whole link you were given.',
      path,
      project,
      env,
    };
  if (Date.parse(share.expiresAt) <= now())
    return { status: 410, message: `This link expired at ${share.expiresAt}.`, path, project, env };
  const port = Object.values(record.ports?.[share.service] ?? {})[0];
  if (!port)
    return { status: 502, message: `Service ${share.service} of ${env} publishes no port.`, path, project, env };
  const maxAge = Math.max(1, Math.floor((Date.parse(share.expiresAt) - now()) / 1000));
  return {
    status: 200,
    share,
    project,
    env,
    target: `http://127.0.0.1:${port}`,
    path,
    setCookie: queryToken
      ? `${COOKIE}=${encodeURIComponent(queryToken)}; HttpOnly; SameSite=Lax; Path=/; Max-Age=${maxAge}`
      : undefined,
  };
}

export interface Gateway {
  server: Server;
  close(): Promise<void>;
}

/** Starts the gateway on `bind`:`port` for the environments of `home`. */
export async function startGateway(home: string, port: number, bind = '127.0.0.1'): Promise<Gateway> {
  // Loaded here, so only the gateway process needs the proxy library.
  const { createProxyServer } = await import('http-proxy-3');
  const proxy = createProxyServer({ xfwd: true, ws: true });
  const lastActivity = new Map<string, number>();
  const activity = (project: string, env: string) => {
    const key = `${project}/${env}`;
    if ((lastActivity.get(key) ?? 0) + ACTIVITY_EVERY_MS > Date.now()) return;
    lastActivity.set(key, Date.now());
    void touch(home, project, env, { timeoutMs: 2_000 }).catch(() => undefined);
  };
  const log = (v: Verdict, req: IncomingMessage, status: number) => {
    if (!v.project || !v.env) return;
    try {
      logAccess(home, v.project, v.env, {
        at: new Date(now()).toISOString(),
        remote: req.socket.remoteAddress,
        agent: req.headers['user-agent'],
        method: req.method,
        path: v.path,
        status,
      });
    } catch {
      // the environment's folder went with a down: nothing to log into
    }
  };
  const refuse = (res: ServerResponse, v: Verdict) => {
    res.writeHead(v.status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`${v.message}\n`);
  };
  const server = createServer((req, res) => {
    const v = judge(home, req);
    if (v.status !== 200 || !v.target) {
      log(v, req, v.status);
      return refuse(res, v);
    }
    activity(v.project!, v.env!);
    if (v.setCookie) {
      // The token came in the link: it moves into the cookie, and the browser goes on to the same
      // URL without it, so the token stays out of its history and of any Referer.
      log(v, req, 302);
      res.writeHead(302, {
        location: v.path,
        'set-cookie': v.setCookie,
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        'content-length': '0',
      });
      return res.end();
    }
    req.url = v.path;
    dropShareCookie(req);
    res.on('finish', () => log(v, req, res.statusCode));
    proxy.web(req, res, { target: v.target }, () => {
      if (!res.headersSent)
        refuse(res, { ...v, status: 502, message: `Service ${v.share?.service} of ${v.env} does not answer.` });
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const v = judge(home, req);
    log(v, req, v.status === 200 ? 101 : v.status);
    if (v.status !== 200 || !v.target) {
      socket.end(
        `HTTP/1.1 ${v.status} ${v.status === 401 ? 'Unauthorized' : v.status === 410 ? 'Gone' : 'Not Found'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
      );
      return;
    }
    activity(v.project!, v.env!);
    req.url = v.path;
    dropShareCookie(req);
    proxy.ws(req, socket, head, { target: v.target }, () => {
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bind, () => resolve());
  });
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        proxy.close?.();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
