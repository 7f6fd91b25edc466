// What holds quota on this machine and Docker host: the machine-wide reservation ledger and every Slipway-labelled container.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type Docker from 'dockerode';
import { writeFileAtomically } from '../files';
import { acquireLock, ownerAlive, readOwnerText, selfIdentity } from '../lock';
import { LABEL_ENV, LABEL_OWNER, LABEL_PROJECT, LABEL_STATE, LABEL_BRANCH } from '../naming';
import { ensurePrivateDir, machinePortsDir } from '../ports';
import { recordPath } from '../records';
import { dropTeamReservation, readTeamReservations, teamLedger, withTeamQuotaLock } from './team-ledger';

/** One environment holding quota: how many CPUs and bytes of memory its containers may use, and whose it is. */
export interface Holding {
  /** The Slipway state that owns it (label dev.slipway.state). */
  state: string;
  project: string;
  env: string;
  branch?: string;
  owner: string;
  cpus: number;
  memoryBytes: number;
}

/** A holding written to the machine-wide ledger by an `up`, before its lock was released. */
export interface Reservation extends Holding {
  home: string;
  /** `<pid> <start>` of the process that made it: kept while that process runs, or while the record exists. */
  holder: string;
  at: string;
  /** The machine that made it (a team's shared ledger only). */
  host?: string;
}

const LOCK_TIMEOUT_MS = 60_000;

function ledgerFile(dir: string): string {
  return join(dir, 'quotas.json');
}

/** Reservations still held: the environment's record exists (it came up), or the `up` that made it still runs. */
export function readReservations(dir = machinePortsDir(), home?: string): Reservation[] {
  const team = teamLedger(home);
  if (team) return readTeamReservations(team, home!);
  let all: Reservation[];
  try {
    const parsed = JSON.parse(readFileSync(ledgerFile(dir), 'utf8')) as { reservations?: Reservation[] };
    all = Array.isArray(parsed.reservations) ? parsed.reservations : [];
  } catch {
    // Missing or damaged: Docker's labels still say what runs.
    all = [];
  }
  return all.filter(
    (r) =>
      typeof r.home === 'string' &&
      typeof r.env === 'string' &&
      (existsSync(recordPath(r.home, r.project, r.env)) || holderAlive(r.holder)),
  );
}

function holderAlive(holder: string): boolean {
  const owner = readOwnerText(holder);
  return !!owner && ownerAlive(owner);
}

/**
 * Runs `fn` holding the machine-wide quota lock: the check and the reservation it writes are one
 * step for every process (and every SLIPWAY_HOME) of this user on this machine.
 */
export async function withQuotaLock<T>(
  fn: (ledger: Reservation[], write: (r: Reservation) => void) => Promise<T>,
  dir = machinePortsDir(),
  home?: string,
): Promise<T> {
  const team = teamLedger(home);
  if (team) return withTeamQuotaLock(team, home!, fn);
  ensurePrivateDir(dir);
  const lock = await acquireLock(join(dir, 'quotas.lock'), 'the quota ledger', { timeoutMs: LOCK_TIMEOUT_MS });
  try {
    const ledger = readReservations(dir);
    const write = (r: Reservation) => {
      const rest = ledger.filter((x) => !(x.state === r.state && x.project === r.project && x.env === r.env));
      writeFileAtomically(ledgerFile(dir), JSON.stringify({ version: 1, reservations: [...rest, r] }, null, 2) + '\n');
    };
    return await fn(ledger, write);
  } finally {
    lock.release();
  }
}

/** Drops the reservation of an environment (after its `down`, or a refused or failed first `up`). */
export async function dropReservation(
  state: string,
  project: string,
  env: string,
  dir = machinePortsDir(),
  home?: string,
): Promise<void> {
  const team = teamLedger(home);
  if (team) return dropTeamReservation(team, home!, state, project, env);
  await withQuotaLock(async (ledger) => {
    const rest = ledger.filter((x) => !(x.state === state && x.project === project && x.env === env));
    if (rest.length !== ledger.length)
      writeFileAtomically(ledgerFile(dir), JSON.stringify({ version: 1, reservations: rest }, null, 2) + '\n');
  }, dir);
}

export function newReservation(home: string, h: Holding): Reservation {
  return { ...h, home: resolve(home), holder: selfIdentity(), at: new Date().toISOString() };
}

/**
 * Every environment on the Docker host, of any Slipway state, from its containers' labels
 * (CPUs and memory are the sum of their Docker limits), merged with the ledger's reservations
 * (an `up` under way has no container yet; a reservation's amounts win).
 */
export async function hostHoldings(docker: Docker, ledger: Reservation[]): Promise<Holding[]> {
  const byKey = new Map<string, Holding>();
  const containers = await docker.listContainers({ all: true, filters: { label: [LABEL_PROJECT, LABEL_ENV] } });
  const limits = await Promise.all(
    containers.map(async (c) => {
      const info = await docker
        .getContainer(c.Id)
        .inspect()
        .catch(() => undefined);
      return {
        cpus: info?.HostConfig.NanoCpus ? info.HostConfig.NanoCpus / 1e9 : 0,
        memory: info?.HostConfig.Memory ?? 0,
      };
    }),
  );
  containers.forEach((c, i) => {
    const l = c.Labels ?? {};
    const key = `${l[LABEL_STATE] ?? ''}/${l[LABEL_PROJECT]}/${l[LABEL_ENV]}`;
    const h = byKey.get(key) ?? {
      state: l[LABEL_STATE] ?? '',
      project: l[LABEL_PROJECT],
      env: l[LABEL_ENV],
      branch: l[LABEL_BRANCH],
      owner: l[LABEL_OWNER] ?? 'unknown',
      cpus: 0,
      memoryBytes: 0,
    };
    h.cpus += limits[i].cpus;
    h.memoryBytes += limits[i].memory;
    if (l[LABEL_OWNER]) h.owner = l[LABEL_OWNER];
    byKey.set(key, h);
  });
  for (const r of ledger) {
    const { home: _home, holder: _holder, at: _at, ...h } = r;
    byKey.set(`${r.state}/${r.project}/${r.env}`, h);
  }
  return [...byKey.values()];
}
