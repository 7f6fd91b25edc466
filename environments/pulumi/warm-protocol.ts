/** What a warm stack worker and its clients share: where its socket and pid file live, the identity a client must match, and the socket's JSON lines. */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { WORKER_MARK } from '../processes';
import type { WorkerMessage, WorkerRequest } from './protocol';

/** The environment a warm worker is started with: the socket, the pid file, the idle time in ms. */
export const WARM_SOCKET = 'SLIPWAY_WARM_SOCKET';
export const WARM_INFO = 'SLIPWAY_WARM_INFO';
export const WARM_IDLE_MS = 'SLIPWAY_WARM_IDLE_MS';

/** Client to warm worker: `hello` first (refused unless the identity matches and no run is in flight). */
export type WarmRequest =
  | { type: 'hello'; identity: string }
  | { type: 'run'; request: WorkerRequest }
  | { type: 'cancel' }
  | { type: 'shutdown' };

/** Warm worker to client: the answer to `hello`, then the worker's own messages of one run. */
export type WarmReply =
  { type: 'ready'; pid: number } | { type: 'refused'; pid: number; why: 'busy' | 'version' } | WorkerMessage;

/** What a warm worker writes beside its socket (0600) once it listens. */
export interface WarmInfo {
  pid: number;
  identity: string;
  socket: string;
  startedAt: string;
}

export interface WarmPaths {
  socket: string;
  info: string;
  log: string;
}

/** The folders of a warm worker's files, made private (0700) before one is started. */
export function makeWarmDirs(paths: WarmPaths): void {
  for (const dir of new Set([dirname(paths.socket), dirname(paths.info)])) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
}

/**
 * The warm worker of one project in one state: `SLIPWAY_HOME/workers/<key>.{sock,json,log}`. A
 * socket path longer than Unix sockets allow (~104 bytes) goes to a private folder under the
 * system's temporary folder instead, named from the state folder too. Nothing is made here.
 */
export function warmPaths(home: string, stateId: string, project: string): WarmPaths {
  const key = createHash('sha256').update(`${stateId}\0${project}`).digest('hex').slice(0, 16);
  const dir = join(home, 'workers');
  let socket = join(dir, `${key}.sock`);
  if (Buffer.byteLength(socket) > 100) {
    const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
    const homeKey = createHash('sha256').update(home).digest('hex').slice(0, 8);
    socket = join(tmpdir(), `slipway-${uid}`, `${homeKey}-${key}.sock`);
  }
  return { socket, info: join(dir, `${key}.json`), log: join(dir, `${key}.log`) };
}

/** Variables that the engine passes in its requests, or that only name the warm worker: not part of its identity. */
const PASSED = new Set(['SLIPWAY_HOME', 'SLIPWAY_BACKEND_URL', 'DOCKER_HOST', 'PULUMI_CONFIG_PASSPHRASE', WORKER_MARK]);

/**
 * What a client must share with a warm worker to use it: the worker's bundle (path, size,
 * modification time: a rebuild changes it) and the `SLIPWAY_*`, `DOCKER_*` and `PULUMI_*`
 * variables that the worker and its providers read from their environment. The values are hashed.
 */
export function warmIdentity(worker: string, env: NodeJS.ProcessEnv): string {
  const st = statSync(worker);
  const vars = Object.keys(env)
    .filter((k) => /^(SLIPWAY|DOCKER|PULUMI)_/.test(k) && !PASSED.has(k) && !k.startsWith('SLIPWAY_WARM_'))
    .sort()
    .map((k) => `${k}=${env[k]}`);
  return createHash('sha256')
    .update([worker, st.size, Math.trunc(st.mtimeMs), st.ino, ...vars].join('\0'))
    .digest('hex')
    .slice(0, 24);
}

/** Writes one message as a JSON line (a closed socket drops it). */
export function writeLine(socket: Socket, msg: WarmRequest | WarmReply): void {
  if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify(msg)}\n`);
}

/** Calls `onMessage` with each JSON line the socket receives. */
export function readLines<T>(socket: Socket, onMessage: (msg: T) => void): void {
  let buffered = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!line.trim()) continue;
      let msg: T;
      try {
        msg = JSON.parse(line) as T;
      } catch {
        continue; // not a message of this protocol
      }
      onMessage(msg);
    }
  });
}
