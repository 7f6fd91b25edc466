// The gateway as a process Slipway supervises: started detached on first use, found again by its state file, started anew when it is gone.
import { spawn } from 'node:child_process';
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
 * It keeps the port it had before when that is free, so links stay the same.
 */
export async function ensureGateway(home: string, opts: { cli: string; bind?: string }): Promise<GatewayState> {
  const bind = opts.bind ?? '127.0.0.1';
  const running = liveGateway(home);
  if (running && running.bind === bind) return running;
  if (running) {
    // Asked for another address: the old one stops, the new one takes its port.
    process.kill(readOwnerText(running.owner)!.pid, 'SIGTERM');
    await waitFor(() => !liveGateway(home), START_TIMEOUT_MS);
  }
  const previous = readGateway(home)?.port;
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
  try {
    const child = spawn(process.execPath, [opts.cli, 'gateway', '--port', String(port), '--bind', bind], {
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
  }, START_TIMEOUT_MS);
  if (!started) {
    throw new SlipwayError(
      'operation-failed',
      `The share-link gateway did not start on ${bind}:${port} within ${START_TIMEOUT_MS / 1000}s.`,
      {
        hint: `Look at ${join(gatewayDir(home), 'gateway.log')}.`,
      },
    );
  }
  return started;
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
