// The state store: where Slipway's records, releases, approvals, audit log, quota ledger and share tokens are kept (files under SLIPWAY_HOME, or PostgreSQL).
import { FileStateStore } from './file-store';
import { teamStateUrl } from './url';

/**
 * Every stored item is named by its path relative to SLIPWAY_HOME in the file layout
 * (`envs/<project>/<env>.json`, `audit/<project>.jsonl`, ...): the file store keeps exactly that
 * layout; the PostgreSQL store maps each kind onto its table and keeps what it does not share
 * (gate results, keys, seeds) in the files.
 */
export interface StateStore {
  readonly kind: 'file' | 'postgres';
  /** Where the state lives, for people: a folder, or the database URL with its password masked. */
  readonly location: string;
  /** Where one item lives, for error messages (a file path, or `table key` in the database). */
  where(rel: string): string;
  /** The item's text; undefined when there is none. */
  readText(rel: string): string | undefined;
  /** Replaces the item: readers see the old text or the new, never half. */
  writeText(rel: string, text: string): void;
  remove(rel: string): void;
  /** Appends one line to a log, after whatever another writer appended. */
  appendLine(rel: string, line: string): void;
  /** The names directly inside a folder (`envs` → projects, `envs/<project>` → `<env>.json`). */
  list(relDir: string): string[];
  /**
   * Runs `fn` holding the lock `name` for every process using this state (on every machine, for
   * PostgreSQL): two quota checks or two promotions of one stage never interleave.
   */
  withLock<T>(name: string, what: string, timeoutMs: number, fn: () => Promise<T>): Promise<T>;
}

const stores = new Map<string, StateStore>();

/** The state store of `home`: PostgreSQL when a team state URL is set (SLIPWAY_STATE_URL, the host policy), else its files. */
export function stateStore(home: string): StateStore {
  const url = teamStateUrl(home);
  const key = `${home}\0${url ?? ''}`;
  let store = stores.get(key);
  if (!store) {
    if (url) {
      // Loaded only for team state: the file layout needs nothing of it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { PostgresStateStore } = require('./pg-store') as typeof import('./pg-store');
      store = new PostgresStateStore(home, url);
    } else store = new FileStateStore(home);
    stores.set(key, store);
  }
  return store;
}

/**
 * Runs `fn` holding the team-wide lock `name` when `home`'s state is shared in PostgreSQL; with
 * the file layout it runs `fn` as is (the caller's lock file under SLIPWAY_HOME already serializes).
 */
export function withTeamLock<T>(
  home: string,
  name: string,
  what: string,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const store = stateStore(home);
  return store.kind === 'file' ? fn() : store.withLock(name, what, timeoutMs, fn);
}
