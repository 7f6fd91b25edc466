/**
 * The state store on a real PostgreSQL beside the file layout: the same operations give the same
 * answers from both, the migrations run once, advisory locks exclude each other across
 * connections, and a database that does not answer is reported with the password masked.
 */
import assert from 'node:assert/strict';
import pg from 'pg';
import { FileStateStore } from '../../environments/state/file-store';
import { PostgresStateStore } from '../../environments/state/pg-store';
import type { StateStore } from '../../environments/state/store';
import { removeDir, tempHome } from './helpers';
import { startPostgres, type PostgresServer } from './postgres';

describe('state stores: files and PostgreSQL', function () {
  this.timeout(120_000);
  let server: PostgresServer;
  let url: string;
  let home: string;

  before(async () => {
    server = await startPostgres();
    url = await server.createDatabase('store');
    home = tempHome('store');
  });

  after(async () => {
    await server?.stop();
    removeDir(home);
  });

  /** One run of every operation, and what each answered. */
  function exercise(store: StateStore): unknown[] {
    const seen: unknown[] = [];
    seen.push(store.readText('envs/shop/main.json'));
    store.writeText('envs/shop/main.json', JSON.stringify({ env: 'main', n: 1 }, null, 2) + '\n');
    store.writeText('envs/shop/feat-x.json', JSON.stringify({ env: 'feat-x' }, null, 2) + '\n');
    store.writeText('envs/blog/main.json', JSON.stringify({ env: 'main' }, null, 2) + '\n');
    store.writeText('envs/shop/main.json', JSON.stringify({ env: 'main', n: 2 }, null, 2) + '\n');
    seen.push(JSON.parse(store.readText('envs/shop/main.json')!));
    seen.push(store.list('envs'), store.list('envs/shop'));
    store.appendLine('audit/shop.jsonl', '{"seq":1,"b":1,"a":2}');
    store.appendLine('audit/shop.jsonl', '{"seq":2}');
    store.writeText('audit/shop.head', JSON.stringify({ count: 2 }) + '\n');
    seen.push(store.readText('audit/shop.jsonl'), store.list('audit'));
    store.appendLine('shares/shop/main.access.log', '{"path":"/"}');
    store.writeText('shares/shop/main.json', JSON.stringify({ tokenHash: 'ab' }) + '\n');
    seen.push(store.list('shares/shop'));
    store.remove('envs/shop/feat-x.json');
    seen.push(store.list('envs/shop'), store.readText('envs/shop/feat-x.json'));
    return seen;
  }

  it('answers every operation as the file layout does; log lines are kept byte for byte', () => {
    const files = exercise(new FileStateStore(home));
    const db = new PostgresStateStore(tempHome('store-db'), url);
    assert.deepEqual(exercise(db), files);
    assert.equal(
      db.readText('audit/shop.jsonl'),
      '{"seq":1,"b":1,"a":2}\n{"seq":2}\n',
      'key order of an audit line is kept (its hash covers the text)',
    );
    assert.match(db.where('envs/shop/main.json'), /^slipway_records shop\/main \(postgres/);
  });

  it('ran each migration once, recorded in slipway_schema_migrations', async () => {
    // A second store (its own worker and connection) finds the schema in place.
    new PostgresStateStore(home, url).readText('envs/x/y.json');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const rows = (await client.query('SELECT version, name FROM slipway_schema_migrations')).rows;
      assert.deepEqual(rows, [{ version: 1, name: 'team-state' }]);
    } finally {
      await client.end();
    }
  });

  it('advisory locks exclude each other across connections: critical sections never overlap', async () => {
    const stores = [new PostgresStateStore(home, url), new PostgresStateStore(home, url)];
    const spans: Array<[number, number]> = [];
    await Promise.all(
      [0, 1, 0, 1].map((i) =>
        stores[i].withLock('shop/releases-staging', 'the releases of staging', 30_000, async () => {
          const start = Date.now();
          await new Promise((r) => setTimeout(r, 150));
          spans.push([start, Date.now()]);
        }),
      ),
    );
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++)
      assert.ok(spans[i][0] >= spans[i - 1][1], `overlap: ${JSON.stringify(spans)}`);
  });

  it('a lock held elsewhere past the timeout is refused as environment-locked', async () => {
    const [a, b] = [new PostgresStateStore(home, url), new PostgresStateStore(home, url)];
    let release!: () => void;
    const held = a.withLock('quota', 'the quota ledger', 5_000, () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 300));
    await assert.rejects(
      b.withLock('quota', "the team's quota ledger", 500, async () => undefined),
      (err: Error & { reason?: string }) => err.reason === 'environment-locked' && /quota ledger/.test(err.message),
    );
    release();
    await held;
  });

  it('a database that does not answer is named with its password masked', () => {
    const dead = new PostgresStateStore(home, `postgres://team:very-secret@127.0.0.1:1/none`);
    assert.throws(
      () => dead.readText('envs/a/b.json'),
      (err: Error) =>
        /postgres:\/\/team:\*\*\*\*@127\.0\.0\.1:1\/none/.test(err.message) && !err.message.includes('very-secret'),
    );
  });
});
