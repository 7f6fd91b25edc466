/**
 * A warm stack worker: the same operations as ./worker.ts, one after another in one process that
 * stays up between them, for clients that connect to its Unix socket (0600, in a 0700 folder).
 * One run at a time: a client that asks while one is in flight is refused and forks a worker of
 * its own. It exits after an idle time, on SIGTERM or SIGINT (once a run in flight has cancelled),
 * and when a client of another identity (another build) asks for it while it is idle.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { writeFileAtomically } from '../files';
import { WORKER_MARK } from '../processes';
import { abort, startRun } from './channel';
import { runRequest } from './run-request';
import {
  WARM_IDLE_MS,
  WARM_INFO,
  WARM_SOCKET,
  readLines,
  warmIdentity,
  writeLine,
  type WarmInfo,
  type WarmRequest,
} from './warm-protocol';

const socketPath = process.env[WARM_SOCKET]!;
const infoPath = process.env[WARM_INFO]!;
const idleMs = Number(process.env[WARM_IDLE_MS]) || 10 * 60 * 1000;
/** After this many runs it makes way for a fresh process (the SDK's per-run state never accumulates for long). */
const MAX_RUNS = 100;
let runs = 0;
const identity = warmIdentity(process.argv[1]!, process.env);
for (const k of [WARM_SOCKET, WARM_INFO, WARM_IDLE_MS]) delete process.env[k];
// Everything this worker starts carries its mark, as a fresh worker's does (./worker.ts).
process.env[WORKER_MARK] = String(process.pid);

/** The client whose run is in flight (a hello reserves the worker until its run ends or it leaves). */
let owner: Socket | undefined;
let first = true;
let retiring = false;
let idleTimer: NodeJS.Timeout | undefined;
let server: Server;

function idle(): void {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(retire, idleMs);
  idleTimer.unref();
}

/** Stops listening and exits once no run is in flight; the socket and pid file go with it. */
function retire(): void {
  retiring = true;
  if (owner) return;
  server?.close();
  rmSync(socketPath, { force: true });
  rmSync(infoPath, { force: true });
  process.exit(0);
}

function onClient(socket: Socket): void {
  socket.on('error', () => undefined);
  readLines<WarmRequest>(socket, (msg) => {
    if (msg.type === 'hello') {
      if (msg.identity !== identity) {
        writeLine(socket, { type: 'refused', pid: process.pid, why: 'version' });
        socket.end();
        retire();
      } else if (owner || retiring) {
        writeLine(socket, { type: 'refused', pid: process.pid, why: 'busy' });
        socket.end();
      } else {
        owner = socket;
        clearTimeout(idleTimer);
        writeLine(socket, { type: 'ready', pid: process.pid });
      }
    } else if (msg.type === 'run' && owner === socket) {
      startRun((m) => writeLine(socket, m));
      const start = first ? { phase: 'worker start', ms: performance.now() } : undefined;
      first = false;
      void runRequest(
        msg.request,
        (m) => writeLine(socket, m),
        (m) => writeLine(socket, m),
        start,
      ).finally(() => {
        owner = undefined;
        socket.end();
        if (retiring || ++runs >= MAX_RUNS) retire();
        else idle();
      });
    } else if (msg.type === 'cancel' && owner === socket) abort.abort();
    else if (msg.type === 'shutdown') retire();
  });
  socket.on('close', () => {
    if (owner !== socket) return;
    // The client went away mid-run (killed): stop the Pulumi run cleanly, as a fresh worker does.
    abort.abort();
  });
}

/** Listens on the socket; one that no worker answers (left by a killed one) is removed first. */
function listen(retry: boolean): void {
  server = createServer(onClient);
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EADDRINUSE' || !retry) throw err;
    const probe = connect(socketPath);
    probe.on('connect', () => process.exit(0)); // another warm worker answers there
    probe.on('error', () => {
      rmSync(socketPath, { force: true });
      listen(false);
    });
  });
  server.listen(socketPath, () => {
    chmodSync(socketPath, 0o600);
    const info: WarmInfo = { pid: process.pid, identity, socket: socketPath, startedAt: new Date().toISOString() };
    writeFileAtomically(infoPath, JSON.stringify(info), 0o600);
    idle();
  });
}

listen(true);
// Its socket removed (its state folder deleted): nobody can reach it any more, so it goes once idle.
setInterval(() => {
  if (!owner && !existsSync(socketPath)) retire();
}, 15_000).unref();
for (const sig of ['SIGTERM', 'SIGINT'] as const)
  process.on(sig, () => {
    abort.abort();
    retire();
  });
