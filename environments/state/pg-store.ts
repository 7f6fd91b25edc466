// The PostgreSQL state store: each kind of stored item in its table (records, releases, shares, audit, approvals, quota ledger), advisory locks across machines.
import { SlipwayError } from '../errors';
import { FileStateStore } from './file-store';
import { PgBridge } from './pg-sync';
import type { StateStore } from './store';
import { maskUrl } from './url';

interface Route {
  /** The folder in the file layout (`envs`), or the whole name for a single item (`quotas.json`). */
  dir: string;
  /** What follows the key in the file name. */
  ext: string;
  table: string;
  kind: 'doc' | 'log';
  /** How many `/`-separated parts the key has (`<project>/<env>`: 2). */
  parts: number;
}

/** What the team shares, table by table; anything else (gate results, keys, seeds) stays in the files. */
export const ROUTES: Route[] = [
  { dir: 'envs', ext: '.json', table: 'slipway_records', kind: 'doc', parts: 2 },
  { dir: 'releases', ext: '.json', table: 'slipway_releases', kind: 'doc', parts: 2 },
  { dir: 'shares', ext: '.access.log', table: 'slipway_share_access', kind: 'log', parts: 2 },
  { dir: 'shares', ext: '.json', table: 'slipway_shares', kind: 'doc', parts: 2 },
  { dir: 'approvals', ext: '.jsonl', table: 'slipway_approvals', kind: 'log', parts: 2 },
  { dir: 'audit', ext: '.jsonl', table: 'slipway_audit', kind: 'log', parts: 1 },
  { dir: 'audit', ext: '.head', table: 'slipway_audit_heads', kind: 'doc', parts: 1 },
  { dir: 'audit-keys', ext: '.pub', table: 'slipway_audit_keys', kind: 'doc', parts: 1 },
  { dir: 'quotas', ext: '.json', table: 'slipway_quota_ledger', kind: 'doc', parts: 1 },
];

/** The route and key of an item, or undefined when it is not shared. */
export function routeOf(rel: string): { route: Route; key: string } | undefined {
  const slash = rel.indexOf('/');
  const dir = slash < 0 ? '' : rel.slice(0, slash);
  const rest = slash < 0 ? rel : rel.slice(slash + 1);
  for (const route of ROUTES) {
    if (route.dir !== dir && !(slash < 0 && rel === `${route.dir}${route.ext}`)) continue;
    if (slash < 0) return { route, key: 'ledger' };
    if (!rest.endsWith(route.ext)) continue;
    const key = rest.slice(0, -route.ext.length);
    if (key.split('/').length === route.parts && !key.split('/').includes('')) return { route, key };
  }
  return undefined;
}

/** An item `importItems` writes: a document's text, or lines to add to a log after the `after` it holds. */
export interface ImportItem {
  rel: string;
  text?: string;
  lines?: string[];
  after?: number;
}

export class PostgresStateStore implements StateStore {
  readonly kind = 'postgres' as const;
  private readonly bridge: PgBridge;
  private readonly files: FileStateStore;

  constructor(
    home: string,
    private readonly url: string,
  ) {
    this.bridge = new PgBridge(url);
    this.files = new FileStateStore(home);
  }

  get location(): string {
    return maskUrl(this.url);
  }

  where(rel: string): string {
    const r = routeOf(rel);
    return r ? `${r.route.table} ${r.key} (${maskUrl(this.url)})` : this.files.where(rel);
  }

  readText(rel: string): string | undefined {
    const r = routeOf(rel);
    if (!r) return this.files.readText(rel);
    return this.bridge.call<string | undefined>(r.route.kind === 'doc' ? 'readDoc' : 'readLog', {
      table: r.route.table,
      key: r.key,
    });
  }

  writeText(rel: string, text: string): void {
    const r = routeOf(rel);
    if (!r) return this.files.writeText(rel, text);
    if (r.route.kind !== 'doc') throw new Error(`${rel} is a log: lines are only appended to it`);
    this.bridge.call('writeDoc', { table: r.route.table, key: r.key, text });
  }

  remove(rel: string): void {
    const r = routeOf(rel);
    if (!r) return this.files.remove(rel);
    this.bridge.call('remove', { table: r.route.table, key: r.key });
  }

  appendLine(rel: string, line: string): void {
    const r = routeOf(rel);
    if (!r) return this.files.appendLine(rel, line);
    if (r.route.kind !== 'log') throw new Error(`${rel} is not a log`);
    this.bridge.call('append', { table: r.route.table, key: r.key, line: line.replace(/\n$/, '') });
  }

  list(relDir: string): string[] {
    const [dir, ...within] = relDir.split('/').filter(Boolean);
    const routes = ROUTES.filter((r) => r.dir === dir);
    if (routes.length === 0) return this.files.list(relDir);
    const prefix = within.length ? `${within.join('/')}/` : '';
    const out = new Set<string>();
    for (const route of routes) {
      for (const key of this.bridge.call<string[]>('keys', { table: route.table, prefix })) {
        const rest = key.slice(prefix.length);
        out.add(rest.includes('/') ? rest.slice(0, rest.indexOf('/')) : `${rest}${route.ext}`);
      }
    }
    return [...out].sort();
  }

  /**
   * Writes `items` in one transaction (`slipway state migrate`): all of them, or, when the process
   * is killed or a write fails, none. A document must not exist yet; a log gets `lines` after the
   * `after` lines it holds. `progress` is called after each item.
   */
  importItems(items: ImportItem[], progress?: (done: number) => void): void {
    this.bridge.call('begin', {});
    try {
      for (const [i, item] of items.entries()) {
        const r = routeOf(item.rel);
        if (!r) throw new Error(`${item.rel} is not an item of the team state`);
        this.bridge.call('importItem', {
          table: r.route.table,
          key: r.key,
          kind: r.route.kind,
          ...(r.route.kind === 'doc' ? { text: item.text } : { lines: item.lines, after: item.after ?? 0 }),
        });
        progress?.(i + 1);
      }
      this.bridge.call('commit', {});
    } catch (err) {
      try {
        this.bridge.call('rollback', {});
      } catch {
        // the connection is gone: PostgreSQL dropped the transaction with it
      }
      throw err;
    }
  }

  /** Rows of a query on the team database (for `slipway state status` and `migrate`). */
  query<T>(sql: string, params: unknown[] = []): T[] {
    return this.bridge.call<T[]>('query', { sql, params });
  }

  async withLock<T>(name: string, what: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
    const got = await this.bridge.callAsync<number>('lock', { name: `slipway:${name}`, timeoutMs });
    if (!got.ok) throw this.bridge.fail(`lock ${what}`, got.error);
    if (got.timedOut || got.value === undefined)
      throw new SlipwayError(
        'environment-locked',
        `Another Slipway operation on this team's state (${maskUrl(this.url)}) is still working on ${what}.`,
        { hint: 'Wait for it to finish (it may run on another machine), then retry.' },
      );
    try {
      return await fn();
    } finally {
      await this.bridge.callAsync('unlock', { lockId: got.value });
    }
  }
}
