// The PostgreSQL state worker thread: runs the migrations, then answers the store's requests (items, logs, advisory locks).
import pg from 'pg';
import { workerData, type MessagePort } from 'node:worker_threads';
import { STATE_CHANNEL } from './channel';
import { MIGRATIONS } from './migrations';
import type { Reply } from './pg-sync';

interface Request {
  id: number;
  op: string;
  [arg: string]: unknown;
}

const { url, syncPort, asyncPort, flag } = workerData as {
  url: string;
  syncPort: MessagePort;
  asyncPort: MessagePort;
  flag: Int32Array;
};

const TABLE = /^slipway_[a-z_]+$/;
let ready: Promise<pg.Client> | undefined;

function connect(): Promise<pg.Client> {
  return (ready ??= (async () => {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => (ready = undefined));
    await client.connect();
    await migrate(client);
    return client;
  })().catch((err) => {
    ready = undefined;
    throw err;
  }));
}

/** Applies the migrations not yet applied, each in its own transaction, one process at a time. */
async function migrate(client: pg.Client): Promise<void> {
  await client.query('SELECT pg_advisory_lock(hashtext($1))', ['slipway-migrations']);
  try {
    await client.query(
      'CREATE TABLE IF NOT EXISTS slipway_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set(
      (await client.query<{ version: number }>('SELECT version FROM slipway_schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO slipway_schema_migrations (version, name) VALUES ($1, $2)', [
          m.version,
          m.name,
        ]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', ['slipway-migrations']);
  }
}

function table(name: unknown): string {
  if (typeof name !== 'string' || !TABLE.test(name)) throw new Error(`not a team-state table: ${String(name)}`);
  return name;
}

/** Tells every listener (an editor's view, on any machine) that an item changed: `<table>/<key>` on the state channel. */
async function notify(db: pg.Client, r: Request): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [STATE_CHANNEL, `${table(r.table)}/${String(r.key)}`]);
}

/** The connection of the transaction `begin` opened (`slipway state migrate`): a lost one is never replaced mid-transaction. */
let inTransaction: pg.Client | undefined;

function transaction(db: pg.Client): pg.Client {
  if (!inTransaction || db !== inTransaction)
    throw new Error('the connection of the transaction was lost (nothing of it was committed)');
  return db;
}

/**
 * One item of a migration, inside its transaction: a document that must not exist yet, or a log's
 * lines after the `after` lines it must hold now (a log an older, interrupted migration began).
 */
async function importItem(db: pg.Client, r: Request): Promise<void> {
  const t = table(r.table);
  if (r.kind === 'doc') {
    await db.query(`INSERT INTO ${t} (key, doc) VALUES ($1, $2::jsonb)`, [r.key, r.text]);
  } else {
    await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${t}/${r.key}`]);
    const held = (
      await db.query(`SELECT count(*)::int AS n, coalesce(max(seq), 0)::int AS last FROM ${t} WHERE key = $1`, [r.key])
    ).rows[0] as { n: number; last: number };
    if (held.n !== Number(r.after))
      throw new Error(`${t} ${String(r.key)} holds ${held.n} lines, not the ${Number(r.after)} this migration read`);
    await db.query(
      `INSERT INTO ${t} (key, seq, line) SELECT $1, $2::int + ord, line FROM unnest($3::text[]) WITH ORDINALITY AS u(line, ord)`,
      [r.key, held.last, r.lines],
    );
  }
  await notify(db, r);
}

async function handle(r: Request): Promise<unknown> {
  const db = await connect();
  switch (r.op) {
    case 'readDoc': {
      const res = await db.query(`SELECT doc FROM ${table(r.table)} WHERE key = $1`, [r.key]);
      return res.rows.length ? JSON.stringify(res.rows[0].doc, null, 2) + '\n' : undefined;
    }
    case 'writeDoc':
      await db.query(
        `INSERT INTO ${table(r.table)} (key, doc) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO UPDATE SET doc = EXCLUDED.doc, updated_at = now()`,
        [r.key, r.text],
      );
      await notify(db, r);
      return undefined;
    case 'remove':
      await db.query(`DELETE FROM ${table(r.table)} WHERE key = $1`, [r.key]);
      await notify(db, r);
      return undefined;
    case 'keys': {
      const res = await db.query(`SELECT DISTINCT key FROM ${table(r.table)} WHERE starts_with(key, $1) ORDER BY key`, [
        r.prefix,
      ]);
      return res.rows.map((x: { key: string }) => x.key);
    }
    case 'readLog': {
      const res = await db.query(`SELECT line FROM ${table(r.table)} WHERE key = $1 ORDER BY seq`, [r.key]);
      return res.rows.length ? res.rows.map((x: { line: string }) => x.line + '\n').join('') : undefined;
    }
    case 'append': {
      await db.query('BEGIN');
      try {
        await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${r.table}/${r.key}`]);
        await db.query(
          `INSERT INTO ${table(r.table)} (key, seq, line) SELECT $1, coalesce(max(seq), 0) + 1, $2 FROM ${table(r.table)} WHERE key = $1`,
          [r.key, r.line],
        );
        await notify(db, r);
        await db.query('COMMIT');
      } catch (err) {
        await db.query('ROLLBACK');
        throw err;
      }
      return undefined;
    }
    case 'query':
      return (await db.query(String(r.sql), (r.params as unknown[]) ?? [])).rows;
    case 'begin':
      await db.query('BEGIN');
      inTransaction = db;
      return undefined;
    case 'importItem':
      return importItem(transaction(db), r);
    case 'commit':
      await transaction(db).query('COMMIT');
      inTransaction = undefined;
      return undefined;
    case 'rollback': {
      const open = inTransaction;
      inTransaction = undefined;
      if (db === open) await db.query('ROLLBACK');
      return undefined;
    }
    default:
      throw new Error(`unknown request ${r.op}`);
  }
}

// Advisory locks: each held on a session of its own, so a process that dies releases its locks with its connection.
const held = new Map<number, pg.Client>();
let nextLock = 1;

async function lock(name: string, timeoutMs: number): Promise<{ id?: number; timedOut?: boolean }> {
  await connect();
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS got', [name]);
    if (res.rows[0].got) {
      const id = nextLock++;
      held.set(id, client);
      return { id };
    }
    if (Date.now() > deadline) {
      await client.end();
      return { timedOut: true };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function unlock(id: number): Promise<void> {
  const client = held.get(id);
  held.delete(id);
  await client?.end();
}

let queue = Promise.resolve();
syncPort.on('message', (r: Request) => {
  queue = queue.then(async () => {
    let reply: Reply;
    try {
      reply = { id: r.id, ok: true, value: await handle(r) };
    } catch (err) {
      reply = { id: r.id, ok: false, error: (err as Error).message };
    }
    syncPort.postMessage(reply);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
});

asyncPort.on('message', (r: Request) => {
  void (async () => {
    let reply: Reply;
    try {
      if (r.op === 'lock') {
        const got = await lock(String(r.name), Number(r.timeoutMs));
        reply = { id: r.id, ok: true, value: got.id, timedOut: got.timedOut };
      } else if (r.op === 'unlock') reply = { id: r.id, ok: true, value: await unlock(Number(r.lockId)) };
      else reply = { id: r.id, ok: true, value: await handle(r) };
    } catch (err) {
      reply = { id: r.id, ok: false, error: (err as Error).message };
    }
    asyncPort.postMessage(reply);
  })();
});
