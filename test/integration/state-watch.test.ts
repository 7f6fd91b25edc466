/**
 * Live changes of a stored item, as the pipeline view watches its project's audit log: with the
 * file layout through a file watch, and with team state through PostgreSQL's LISTEN/NOTIFY on a
 * real PostgreSQL, where a change made through another SLIPWAY_HOME (another machine, in
 * effect) reaches the watcher, another project's does not, and a dropped connection is listened
 * on again by itself.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { stateStore } from '../../environments/state/store';
import { watchItem, type ItemWatch } from '../../environments/state/watch';
import { waitFor } from '../wait';
import { removeDir, tempHome } from './helpers';
import { startPostgres, type PostgresServer } from './postgres';

/** Counts the calls of a watch, and waits for the next ones. */
function counter() {
  const c = { calls: 0 };
  return {
    c,
    onChange: () => void c.calls++,
    /** Waits until the count passes `after`. */
    until: (after: number, what: string) =>
      waitFor(
        () => `${what} (calls: ${c.calls})`,
        async () => (c.calls > after ? true : undefined),
        { timeoutMs: 20_000, intervalMs: 50 },
      ),
  };
}

const quiet = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('watching a stored item (files, and team state on a real PostgreSQL)', function () {
  this.timeout(120_000);
  const saved = process.env.SLIPWAY_STATE_URL;
  let server: PostgresServer | undefined;
  const homes: string[] = [];
  const watches: ItemWatch[] = [];

  before(() => delete process.env.SLIPWAY_STATE_URL);
  after(async () => {
    for (const w of watches) await w.close();
    await server?.stop();
    for (const h of homes) removeDir(h);
    if (saved !== undefined) process.env.SLIPWAY_STATE_URL = saved;
  });

  it('sees appends to the file layout’s audit log, and nothing of another project’s', async () => {
    const home = tempHome('watch-files');
    homes.push(home);
    const { c, onChange, until } = counter();
    watches.push(watchItem(home, 'audit/shop.jsonl', onChange));
    await quiet(500); // the watch is set up
    const before = c.calls;
    stateStore(home).appendLine('audit/shop.jsonl', '{"n":1}\n');
    await until(before, 'the watch to see the append');
    const seen = c.calls;
    stateStore(home).appendLine('audit/blog.jsonl', '{"n":1}\n');
    await quiet(1_000);
    assert.equal(c.calls, seen, 'another project’s audit log woke the watch');
  });

  it('sees another home’s appends through PostgreSQL, not another project’s, and listens again after its connection drops', async () => {
    server = await startPostgres();
    const url = await server.createDatabase('watch');
    const [watcherHome, writerHome] = ['watch-a', 'watch-b'].map((n) => {
      const h = tempHome(n);
      homes.push(h);
      writeFileSync(join(h, 'policy.yaml'), `state_url: ${url}\n`);
      return h;
    });
    const writer = stateStore(writerHome);
    assert.equal(writer.kind, 'postgres');
    writer.appendLine('audit/shop.jsonl', '{"n":0}\n'); // runs the migrations
    const errors: string[] = [];
    const { c, onChange, until } = counter();
    watches.push(
      watchItem(watcherHome, 'audit/shop.jsonl', onChange, { retryMs: 500, onError: (e) => errors.push(e.message) }),
    );
    // Listening: the first call catches up with what happened before it listened.
    await until(0, 'the watch to listen');

    let seen = c.calls;
    writer.appendLine('audit/shop.jsonl', '{"n":1}\n');
    await until(seen, 'the other home’s append to reach the watch');

    seen = c.calls;
    writer.appendLine('audit/blog.jsonl', '{"n":1}\n');
    writer.writeText('envs/shop/main.json', '{"env":"main"}\n');
    await quiet(1_000);
    assert.equal(c.calls, seen, 'another item’s change woke the watch');

    // The server ends the listening connection (a restart, a network cut): the watch listens again.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const ended = await admin.query(
        "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()",
      );
      assert.equal(ended.rows.length, 1, 'no listening connection on the server');
    } finally {
      await admin.end();
    }
    await waitFor(
      () => `the watch to report the dropped connection (errors: ${errors.length})`,
      async () => (errors.length > 0 ? true : undefined),
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    assert.ok(!errors.some((e) => e.includes(url)), 'an error message holds the state URL');
    seen = c.calls;
    await until(seen, 'the watch to listen again');
    seen = c.calls;
    writer.appendLine('audit/shop.jsonl', '{"n":2}\n');
    await until(seen, 'an append after the reconnection to reach the watch');
  });
});
