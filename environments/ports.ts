/**
 * Host ports of environments, handed out once per machine: allocation holds a machine-wide lock
 * and keeps a machine-wide reservation ledger, so two processes (or two SLIPWAY_HOMEs) that
 * allocate at once never get the same port.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SlipwayError } from './errors';
import { writeFileAtomically } from './files';
import { acquireLock } from './lock';
import { hasRecord, listRecords } from './records';
import { hostPortRange, tryListen } from './docker/engine';
import type { PortMap } from './pulumi/program';

/** One port held for an environment, machine-wide. */
export interface Reservation {
  port: number;
  home: string;
  project: string;
  env: string;
  owner: string;
  containerPort: number;
  at: string;
}

/** A port used before that could not be kept, and the one that replaces it. */
export interface MovedPort {
  owner: string;
  containerPort: number;
  from: number;
  to: number;
  /** `process`: something else listens on it (or publishes it); `environment`: another environment holds it. */
  takenBy: 'process' | 'environment';
}

/** Host ports published on the Docker Engine: by this environment's own containers, and by any other. */
export interface PublishedPorts {
  own: Set<number>;
  others: Set<number>;
}

export interface AllocateRequest {
  home: string;
  project: string;
  env: string;
  /** Container ports to publish, by service or database. */
  wanted: Record<string, number[]>;
  /** Host ports used before (the record's, else the stack's outputs): kept when still free. */
  previous: PortMap;
  /** Whether the result is held in the ledger (an `up`), or only looked at (a preview). */
  reserve: boolean;
  published: () => Promise<PublishedPorts>;
  range?: { min: number; max: number };
  /** The machine-wide folder; default `machinePortsDir()`. */
  dir?: string;
}

const LOCK_TIMEOUT_MS = 60_000;
const ATTEMPTS_PER_PORT = 200;

/**
 * The machine-wide folder of the port lock and ledger: one per user (the uid is in its name),
 * mode 0700, under the system's temporary folder (`SLIPWAY_PORTS_DIR` overrides it).
 */
export function machinePortsDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : (process.env.USERNAME ?? 'user');
  return process.env.SLIPWAY_PORTS_DIR ?? join(tmpdir(), `slipway-ports-${uid}`);
}

export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const mine = typeof process.getuid !== 'function' || st.uid === process.getuid();
  if (!st.isDirectory() || !mine || (st.mode & 0o077) !== 0) {
    throw new SlipwayError(
      'operation-failed',
      `${dir} (where Slipway keeps the host ports it hands out) is not a private folder of this user.`,
      {
        hint: `Remove ${dir} (or set SLIPWAY_PORTS_DIR to a folder only you can write), then retry.`,
      },
    );
  }
}

function ledgerPath(dir: string): string {
  return join(dir, 'reservations.json');
}

/** The ledger, less reservations of environments whose record is gone (removed without `down`, or a deleted SLIPWAY_HOME). */
export function readLedger(dir = machinePortsDir()): Reservation[] {
  let all: Reservation[];
  try {
    const parsed = JSON.parse(readFileSync(ledgerPath(dir), 'utf8')) as { reservations?: Reservation[] };
    all = Array.isArray(parsed.reservations) ? parsed.reservations : [];
  } catch {
    // Missing, or damaged: the records and Docker still say which ports are in use.
    all = [];
  }
  return all.filter(
    (r) => Number.isInteger(r.port) && typeof r.home === 'string' && hasRecord(r.home, r.project, r.env),
  );
}

function writeLedger(dir: string, reservations: Reservation[]): void {
  writeFileAtomically(ledgerPath(dir), JSON.stringify({ version: 1, reservations }, null, 2) + '\n');
}

async function withMachineLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  ensurePrivateDir(dir);
  const lock = await acquireLock(join(dir, 'ports.lock'), 'the host port ledger', { timeoutMs: LOCK_TIMEOUT_MS });
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

const sameEnv = (
  r: { home: string; project: string; env: string },
  q: { home: string; project: string; env: string },
) => r.home === q.home && r.project === q.project && r.env === q.env;

/**
 * Host ports for every wanted container port. A port used before is kept unless another
 * environment holds it or another process listens on it (then it is replaced, and listed in
 * `moved`). A new port is in `range`, held by no environment of any SLIPWAY_HOME (the ledger) nor
 * of this one (the records, whatever their state), published by no container, and free on
 * 127.0.0.1 (a real bind). With `reserve`, the result replaces the environment's reservations.
 */
export async function allocateHostPorts(req: AllocateRequest): Promise<{ ports: PortMap; moved: MovedPort[] }> {
  const dir = req.dir ?? machinePortsDir();
  const range = req.range ?? hostPortRange();
  req = { ...req, home: resolve(req.home) };
  return withMachineLock(dir, async () => {
    const ledger = readLedger(dir);
    const heldByOthers = new Set<number>();
    for (const r of ledger) if (!sameEnv(r, req)) heldByOthers.add(r.port);
    for (const rec of listRecords(req.home).records) {
      if (rec.project === req.project && rec.env === req.env) continue;
      for (const byPort of Object.values(rec.ports ?? {})) for (const p of Object.values(byPort)) heldByOthers.add(p);
    }
    const published = await req.published();
    const chosen = new Set<number>();
    const free = async (port: number): Promise<boolean> =>
      !chosen.has(port) &&
      !heldByOthers.has(port) &&
      !published.others.has(port) &&
      (published.own.has(port) || (await tryListen(port)) === port);

    const ports: PortMap = {};
    const moved: MovedPort[] = [];
    for (const [owner, containerPorts] of Object.entries(req.wanted)) {
      ports[owner] = {};
      for (const cp of containerPorts) {
        const prev = req.previous[owner]?.[String(cp)];
        let port: number | undefined;
        if (prev !== undefined && (await free(prev))) port = prev;
        else {
          port = await pickFree(free, range);
          if (prev !== undefined)
            moved.push({
              owner,
              containerPort: cp,
              from: prev,
              to: port,
              takenBy: heldByOthers.has(prev) ? 'environment' : 'process',
            });
        }
        chosen.add(port);
        ports[owner][String(cp)] = port;
      }
    }
    if (req.reserve) {
      const at = new Date().toISOString();
      const mine = Object.entries(ports).flatMap(([owner, byPort]) =>
        Object.entries(byPort).map(([cp, port]) => ({
          port,
          home: req.home,
          project: req.project,
          env: req.env,
          owner,
          containerPort: Number(cp),
          at,
        })),
      );
      writeLedger(dir, [...ledger.filter((r) => !sameEnv(r, req)), ...mine]);
    }
    return { ports, moved };
  });
}

async function pickFree(
  free: (port: number) => Promise<boolean>,
  range: { min: number; max: number } | undefined,
): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS_PER_PORT; attempt++) {
    const candidate = range ? range.min + Math.floor(Math.random() * (range.max - range.min + 1)) : await tryListen(0);
    if (candidate && (await free(candidate))) return candidate;
  }
  throw new SlipwayError(
    'operation-failed',
    `No free host port was found${range ? ` in ${range.min}-${range.max}` : ''} after ${ATTEMPTS_PER_PORT} tries.`,
    {
      hint: 'Tear down environments you no longer need (slipway down), or stop what listens on ports in that range, then retry.',
    },
  );
}

/** Gives back every port reserved for the environment (its `down`). */
export async function releaseHostPorts(
  home: string,
  project: string,
  env: string,
  dir = machinePortsDir(),
): Promise<void> {
  home = resolve(home);
  await withMachineLock(dir, async () => {
    const ledger = readLedger(dir);
    const kept = ledger.filter((r) => !sameEnv(r, { home, project, env }));
    if (kept.length !== ledger.length || existsSync(ledgerPath(dir))) writeLedger(dir, kept);
  });
}

/** What the user is told when a port used before was replaced. */
export function movedPortMessage(m: MovedPort, isService: boolean): string {
  const why = m.takenBy === 'process' ? 'was taken by another process' : 'is held by another environment';
  return `${m.owner}: 127.0.0.1:${m.from} ${why}; now ${isService ? 'http://' : ''}127.0.0.1:${m.to}`;
}
