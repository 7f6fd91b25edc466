// The gateway as a process Slipway supervises: started detached on first use, found again by its state file, started anew when it is gone.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SlipwayError } from '../errors';
import { ensureDir, writeFileAtomically } from '../files';
import { ownerAlive, readOwnerText, selfIdentity } from '../lock';
import { checkFields, readStoredJson } from '../stored';
import { tryListen } from '../docker/engine';

/** The gateway's own record: which process serves which address. */
export interface GatewayState {
  /** `<pid> <start>` of the gateway process. */
  owner: string;
  port: number;
  bind: string;
  startedAt: string;
}

/** The port a gateway takes when it has none yet and this one is free (else any free one, kept from then on). */
export const DEFAULT_GATEWAY_PORT = 7480;
const START_TIMEOUT_MS = 15_000;

export function gatewayDir(home: string): string {
  return join(home, 'gateway');
}

function stateFile(home: string): string {
  return join(gatewayDir(home), 'gateway.json');
}

export function readGateway(home: string): GatewayState | undefined {
  try {
    return readStoredJson<GatewayState>(
      stateFile(home),
      (v) => checkFields(v, { owner: 'string', port: 'number', bind: 'string', startedAt: 'string' }),
      'stop the gateway process and remove the file',
    );
  } catch {
    return undefined;
  }
}

/** The running gateway, if its process is alive. */
export function liveGateway(home: string): GatewayState | undefined {
  const state = readGateway(home);
  const owner = state && readOwnerText(state.owner);
  return state && owner && ownerAlive(owner) ? state : undefined;
}

/** Written by the gateway process once it listens. */
export function announceGateway(home: string, port: number, bind: string): void {
  writeFileAtomically(
    stateFile(home),
    JSON.stringify({ owner: selfIdentity(), port, bind, startedAt: new Date().toISOString() }, null, 2) + '\n',
  );
}

export function retireGateway(home: string): void {
  const state = readGateway(home);
  if (state && readOwnerText(state.owner)?.pid === process.pid) rmSync(stateFile(home), { force: true });
}

/**
 * The gateway for `home` listening on `bind`: the running one, or one started now as a detached
 * process (`node <cli> gateway`) that outlives the caller; its output goes to `gateway/gateway.log`.
 * Without `bind` a running gateway is kept as it is, and a new one takes the address the last one
 * had (else 127.0.0.1). It keeps the port it had before when that is free, so links stay the same.
 * A process that does not listen within the start timeout is killed, so none is left behind.
 */
export async function ensureGateway(
  home: string,
  opts: { cli: string; bind?: string; startTimeoutMs?: number },
): Promise<GatewayState> {
  const running = liveGateway(home);
  // A gateway that stops removes its state file: what it had is read first.
  const last = running ?? readGateway(home);
  const bind = opts.bind ?? last?.bind ?? '127.0.0.1';
  const timeoutMs = opts.startTimeoutMs ?? START_TIMEOUT_MS;
  if (running && running.bind === bind) return running;
  if (running) {
    // Asked for another address: the old one stops, the new one takes its port.
    const owner = readOwnerText(running.owner)!;
    process.kill(owner.pid, 'SIGTERM');
    // Until the process is gone, not only its state file: it holds the port until it exits.
    await waitFor(() => !ownerAlive(owner), START_TIMEOUT_MS);
  }
  const previous = last?.port;
  let port = 0;
  for (const wanted of [previous, DEFAULT_GATEWAY_PORT, 0]) {
    if (wanted === undefined) continue;
    const got = await tryListen(wanted);
    if (got > 0) {
      port = got;
      break;
    }
  }
  ensureDir(gatewayDir(home));
  const out = openSync(join(gatewayDir(home), 'gateway.log'), 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [opts.cli, 'gateway', '--port', String(port), '--bind', bind], {
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...process.env, SLIPWAY_HOME: home, ELECTRON_RUN_AS_NODE: '1' },
    });
    child.unref();
  } finally {
    closeSync(out);
  }
  const started = await waitFor(() => {
    const s = liveGateway(home);
    return s && s.port === port ? s : undefined;
  }, timeoutMs);
  if (!started) {
    stopChild(home, child);
    throw new SlipwayError(
      'operation-failed',
      `The share-link gateway did not start on ${bind}:${port} within ${timeoutMs / 1000}s; its process was stopped.`,
      {
        hint: `Look at ${join(gatewayDir(home), 'gateway.log')}.`,
      },
    );
  }
  return started;
}

/** Kills a gateway process that never came up (its whole process group: it was started detached), and any state it wrote. */
function stopChild(home: string, child: ChildProcess): void {
  if (child.pid === undefined) return;
  for (const target of [-child.pid, child.pid]) {
    try {
      process.kill(target, 'SIGKILL');
      break;
    } catch {
      // no such group (it never became a leader) or already gone: try the process itself
    }
  }
  const state = readGateway(home);
  if (state && readOwnerText(state.owner)?.pid === child.pid) rmSync(stateFile(home), { force: true });
}

async function waitFor<T>(probe: () => T | undefined | false, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 100));
  }
}
