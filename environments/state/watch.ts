// Live changes of one stored item (a project's audit log, say): a file watch for the file layout, PostgreSQL's LISTEN/NOTIFY for team state.
import { basename, dirname, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { watch } from 'chokidar';
import { STATE_CHANNEL } from './channel';
import { teamStateUrl } from './url';

export interface ItemWatch {
  close(): Promise<void>;
}

export interface WatchOptions {
  /** Told when the watch cannot work (the database is unreachable); it keeps trying. */
  onError?: (err: Error) => void;
  /** How long to wait before listening again after the connection dropped. */
  retryMs?: number;
}

/**
 * Calls `onChange` whenever the item `rel` (named as in the file layout: `audit/<project>.jsonl`)
 * changes, whoever changed it: this process, another, or, with team state, another machine.
 * A burst of changes may call it more than once; callers re-read and compare.
 */
export function watchItem(home: string, rel: string, onChange: () => void, opts: WatchOptions = {}): ItemWatch {
  const url = teamStateUrl(home);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const route = url ? (require('./pg-store') as typeof import('./pg-store')).routeOf(rel) : undefined;
  if (url && route) return listen(url, `${route.route.table}/${route.key}`, onChange, opts);
  const file = join(home, rel);
  mkdirSync(dirname(file), { recursive: true });
  const watcher = watch(dirname(file), { ignoreInitial: true, depth: 0 });
  watcher.on('all', (_event: string, path: string) => {
    if (basename(path) === basename(file)) onChange();
  });
  watcher.on('error', (err: unknown) => opts.onError?.(err instanceof Error ? err : new Error(String(err))));
  return { close: () => watcher.close() };
}

/** LISTEN on the team state's channel for one item, on a connection of its own, again after it drops. */
function listen(url: string, item: string, onChange: () => void, opts: WatchOptions): ItemWatch {
  // Loaded only for team state: the file layout needs nothing of it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pg = require('pg') as typeof import('pg');
  let closed = false;
  let client: InstanceType<typeof pg.Client> | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const again = (err: Error) => {
    client = undefined;
    if (closed) return;
    opts.onError?.(err);
    retry = setTimeout(() => void start(), opts.retryMs ?? 5_000);
  };
  const start = async () => {
    const c = new pg.Client({ connectionString: url });
    c.on('error', (err) => again(err));
    c.on('notification', (n) => {
      if (n.channel === STATE_CHANNEL && n.payload === item) onChange();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${STATE_CHANNEL}`);
      if (closed) return void c.end().catch(() => undefined);
      client = c;
      // What changed while no one listened (the first time, or after a drop) is caught up on now.
      onChange();
    } catch (err) {
      await c.end().catch(() => undefined);
      again(err as Error);
    }
  };
  void start();
  return {
    close: async () => {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
