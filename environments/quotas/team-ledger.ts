// The quota ledger of a team's shared state: one row in PostgreSQL, read and written under an advisory lock held across machines.
import { hostname } from 'node:os';
import { ownerAlive, readOwnerText } from '../lock';
import { hasRecord } from '../records';
import { stateStore, type StateStore } from '../state/store';
import type { Reservation } from './usage';

const LEDGER = 'quotas.json';
const LOCK_TIMEOUT_MS = 60_000;
/** How long a reservation made on another machine counts while its environment has no record yet. */
const REMOTE_UP_MS = 30 * 60_000;

/** The team's shared store when `home`'s state is in PostgreSQL; undefined for the file layout (the machine-wide ledger). */
export function teamLedger(home: string | undefined): StateStore | undefined {
  if (home === undefined) return undefined;
  const store = stateStore(home);
  return store.kind === 'postgres' ? store : undefined;
}

function readAll(store: StateStore): Reservation[] {
  const text = store.readText(LEDGER);
  if (text === undefined) return [];
  const parsed = JSON.parse(text) as { reservations?: Reservation[] };
  return Array.isArray(parsed.reservations) ? parsed.reservations : [];
}

/**
 * Reservations still held: the environment has a record in the team state (it came up), or the
 * `up` that made it still runs (on this machine: its process is alive; on another: for 30 minutes).
 */
export function readTeamReservations(store: StateStore, home: string): Reservation[] {
  return readAll(store).filter((r) => {
    if (typeof r.env !== 'string' || typeof r.project !== 'string') return false;
    if (hasRecord(home, r.project, r.env)) return true;
    if (r.host === undefined || r.host === hostname()) {
      const owner = readOwnerText(r.holder);
      return !!owner && ownerAlive(owner);
    }
    return Date.now() - Date.parse(r.at) < REMOTE_UP_MS;
  });
}

/** Runs `fn` holding the team's quota lock: of two machines racing for the last slot, exactly one writes its reservation. */
export async function withTeamQuotaLock<T>(
  store: StateStore,
  home: string,
  fn: (ledger: Reservation[], write: (r: Reservation) => void) => Promise<T>,
): Promise<T> {
  return store.withLock('quota', "the team's quota ledger", LOCK_TIMEOUT_MS, async () => {
    const ledger = readTeamReservations(store, home);
    const write = (r: Reservation) => {
      const rest = ledger.filter((x) => !(x.state === r.state && x.project === r.project && x.env === r.env));
      store.writeText(LEDGER, JSON.stringify({ version: 1, reservations: [...rest, { ...r, host: hostname() }] }));
    };
    return fn(ledger, write);
  });
}

/** Drops an environment's reservation from the team's ledger. */
export async function dropTeamReservation(
  store: StateStore,
  home: string,
  state: string,
  project: string,
  env: string,
): Promise<void> {
  await withTeamQuotaLock(store, home, async (ledger) => {
    const rest = ledger.filter((x) => !(x.state === state && x.project === project && x.env === env));
    if (rest.length !== ledger.length) store.writeText(LEDGER, JSON.stringify({ version: 1, reservations: rest }));
  });
}
