import assert from 'node:assert/strict';
import { SlipwayError } from '../../environments/errors';
import pg from 'pg';
import { readCatalog } from '../../environments/data/catalog';
import { MaskingUnsafeError } from '../../environments/data/check';
import { draftPolicy } from '../../environments/data/draft';
import { MaskingPolicyError, parsePolicy } from '../../environments/data/policy';
import { seedMaskedData, type SeedEvent } from '../../environments/data/seed';
import { cells, POLICY, seedSource } from './masking-source';
import { startPostgres, withClient, type PostgresServer } from './postgres';

const KEY = 'project-key-for-tests-0001';
const OTHER_KEY = 'another-project-key-0002';

const rows = <T extends pg.QueryResultRow>(url: string, sql: string) =>
  withClient(url, async (c) => (await c.query<T>(sql)).rows);

/** Cells of the target holding (or, for longer values, containing) a personal value of the source. */
async function leaks(url: string, personal: Set<string>): Promise<string[]> {
  const long = [...personal].filter((v) => v.length >= 8);
  const found: string[] = [];
  for (const { at, value } of await cells(url)) {
    if (personal.has(value)) found.push(`${at}: ${value}`);
    else {
      const inside = long.find((p) => value.includes(p));
      if (inside) found.push(`${at}: contains ${inside}`);
    }
  }
  return found;
}

async function relationCount(url: string): Promise<number> {
  const [r] = await rows<{ n: string }>(
    url,
    `SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','S') AND n.nspname IN ('crm','billing','public')`,
  );
  return Number(r.n);
}

describe('masked production data (real PostgreSQL)', function () {
  this.timeout(180_000);
  let server: PostgresServer;
  let source: string;
  let personal: Set<string>;
  let targets = 0;
  const newTarget = () => server.createDatabase(`target_${++targets}`);
  const policy = parsePolicy(POLICY, '/project/masking.yaml');

  before(async () => {
    server = await startPostgres();
    source = await server.createDatabase('source');
    personal = await withClient(source, (c) => seedSource(c));
  });

  after(async () => {
    await server?.stop();
  });

  let full: string;
  const events: SeedEvent[] = [];

  it('copies every table masked: no personal value survives, keys and uniques hold, sequences move past the ids', async () => {
    full = await newTarget();
    const summary = await seedMaskedData(source, full, policy, { key: KEY, onEvent: (e) => events.push(e) });
    assert.equal(summary.tables.length, 5);
    for (const name of ['crm.customers', 'crm.addresses', 'crm.orders', 'billing.payments', 'public.settings']) {
      const [src] = await rows<{ n: string }>(source, `SELECT count(*) AS n FROM ${name}`);
      const [dst] = await rows<{ n: string }>(full, `SELECT count(*) AS n FROM ${name}`);
      assert.equal(dst.n, src.n, name);
      assert.ok(Number(dst.n) > 0, name);
    }
    assert.deepEqual(await leaks(full, personal), []);
    const constraints = `SELECT conrelid::regclass::text AS t, contype, conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname IN ('crm','billing','public') AND contype IN ('p','u','f') ORDER BY 1, 3`;
    const expected = await rows(source, constraints);
    assert.ok(expected.length >= 11, JSON.stringify(expected));
    assert.deepEqual(await rows(full, constraints), expected);
    const sourceCatalog = await withClient(source, (c) => readCatalog(c));
    assert.deepEqual(sourceCatalog.tables.get('crm.addresses')?.uniqueSets, [['customer_id', 'street']]);
    const [{ n: indexes }] = await rows<{ n: string }>(
      full,
      `SELECT count(*) AS n FROM pg_indexes WHERE indexname = 'orders_customer'`,
    );
    assert.equal(indexes, '1');
    const [{ next, max }] = await rows<{ next: string; max: string }>(
      full,
      `SELECT nextval('crm.customers_id_seq')::text AS next, (SELECT max(id) FROM crm.customers)::text AS max`,
    );
    assert.ok(Number(next) > Number(max), `${next} > ${max}`);
    const tableEvents = events.filter((e): e is Extract<SeedEvent, { type: 'table' }> => e.type === 'table' && e.done);
    assert.equal(tableEvents.length, 5);
    assert.ok(tableEvents.every((e) => e.rows > 0 && e.rowsPerSecond > 0));
    assert.ok(events.some((e) => e.type === 'schema' && e.section === 'post-data'));
  });

  it('masks one email alike in two tables and across runs, and differently under another key', async () => {
    const [{ id }] = await rows<{ id: number }>(source, 'SELECT min(customer_id) AS id FROM crm.orders');
    const emailOf = async (url: string) => {
      const [c] = await rows<{ email: string; profile: { email: string } }>(
        url,
        `SELECT email, profile FROM crm.customers WHERE id = ${id}`,
      );
      const orders = await rows<{ contact_email: string }>(
        url,
        `SELECT DISTINCT contact_email FROM crm.orders WHERE customer_id = ${id}`,
      );
      return { email: c.email, orders: orders.map((o) => o.contact_email), profile: c.profile.email };
    };
    const first = await emailOf(full);
    assert.deepEqual(first.orders, [first.email]);
    assert.match(first.email, /@example\.(com|net|org)$/);
    const again = await newTarget();
    await seedMaskedData(source, again, policy, { key: KEY });
    assert.deepEqual(await emailOf(again), first);
    const other = await newTarget();
    await seedMaskedData(source, other, policy, { key: OTHER_KEY });
    const otherEmail = await emailOf(other);
    assert.notEqual(otherEmail.email, first.email);
    assert.deepEqual(otherEmail.orders, [otherEmail.email]);
  });

  it('has a scan that finds a personal value when one is kept on purpose', async () => {
    const target = await newTarget();
    const reviewed = parsePolicy(
      POLICY.replace('contact_email: email', 'contact_email: { keep: reviewed }'),
      '/project/masking.yaml',
    );
    await seedMaskedData(source, target, reviewed, { key: KEY });
    const found = await leaks(target, personal);
    assert.ok(
      found.length > 0 && found.every((f) => f.startsWith('crm.orders.contact_email: ')),
      found.slice(0, 3).join('\n'),
    );
  });

  /** Seeds with `change` applied to the source (undone afterwards); returns the typed error. */
  async function refused(change: string, undo: string, seedPolicy = policy): Promise<MaskingUnsafeError> {
    const target = await newTarget();
    await withClient(source, (c) => c.query(change));
    try {
      await seedMaskedData(source, target, seedPolicy, { key: KEY });
    } catch (err) {
      assert.ok(MaskingUnsafeError.is(err), String(err));
      assert.equal(await relationCount(target), 0, 'nothing was written to the target');
      return err;
    } finally {
      await withClient(source, (c) => c.query(undo));
    }
    assert.fail('the seed went ahead');
  }

  it('stops before any row moves when a source column has no rule, naming it', async () => {
    const err = await refused(
      'ALTER TABLE crm.customers ADD COLUMN loyalty_tier text',
      'ALTER TABLE crm.customers DROP COLUMN loyalty_tier',
    );
    assert.deepEqual(
      err.columns.map((c) => [`${c.schema}.${c.table}.${c.column}`, c.problem]),
      [['crm.customers.loyalty_tier', 'no-rule']],
    );
    assert.match(err.message, /crm\.customers\.loyalty_tier: no rule names this column/);
  });

  it('stops when a kept column under a harmless name holds emails, naming it and why', async () => {
    const withRemark = parsePolicy(
      POLICY.replace('placed_at: keep, status: keep', 'placed_at: keep, status: keep, remark: keep'),
      '/project/masking.yaml',
    );
    const err = await refused(
      'ALTER TABLE crm.orders ADD COLUMN remark text; UPDATE crm.orders SET remark = contact_email',
      'ALTER TABLE crm.orders DROP COLUMN remark',
      withRemark,
    );
    assert.deepEqual(
      err.columns.map((c) => [`${c.schema}.${c.table}.${c.column}`, c.problem]),
      [['crm.orders.remark', 'personal-kept']],
    );
    assert.match(err.columns[0].why, /sampled values look like an email address/);
    // Marked reviewed, the same column passes the check (the team takes responsibility).
    const reviewed = parsePolicy(
      POLICY.replace('placed_at: keep, status: keep', 'placed_at: keep, status: keep, remark: { keep: reviewed }'),
      '/project/masking.yaml',
    );
    const target = await newTarget();
    await withClient(source, (c) => c.query('ALTER TABLE crm.orders ADD COLUMN remark text'));
    try {
      await seedMaskedData(source, target, reviewed, { key: KEY });
    } finally {
      await withClient(source, (c) => c.query('ALTER TABLE crm.orders DROP COLUMN remark'));
    }
    assert.ok((await relationCount(target)) > 0);
  });

  it('stops on a personal-looking column left to a keep default', async () => {
    const lenient = parsePolicy(`version: 1\ndefault: keep\nschemas: {}\n`, '/project/masking.yaml');
    const target = await newTarget();
    const err = await seedMaskedData(source, target, lenient, { key: KEY }).then(
      () => assert.fail('the seed went ahead'),
      (e: unknown) => e,
    );
    assert.ok(MaskingUnsafeError.is(err), String(err));
    const named = err.columns.map((c) => `${c.schema}.${c.table}.${c.column}`);
    for (const column of [
      'crm.customers.email',
      'crm.customers.first_name',
      'crm.customers.national_id',
      'crm.customers.birth_date',
      'crm.customers.profile',
      'crm.addresses.street',
      'billing.payments.card_number',
      'billing.payments.iban',
      'crm.orders.contact_email',
    ]) {
      assert.ok(named.includes(column), `${column} in ${named.join(', ')}`);
    }
    assert.ok(!named.includes('crm.orders.total') && !named.includes('public.settings.value'), named.join(', '));
    assert.equal(await relationCount(target), 0);
  });

  const ids = async (url: string, sql: string) =>
    (await rows<{ id: number }>(url, sql)).map((r) => Number(r.id)).sort((a, b) => a - b);

  it('copies a 10% subset of customers with exactly their addresses, orders and payments', async () => {
    const target = await newTarget();
    const subset = parsePolicy(
      POLICY.replace('      customers:\n', '      customers:\n        subset: { percent: 10 }\n'),
      '/project/masking.yaml',
    );
    const events: SeedEvent[] = [];
    await seedMaskedData(source, target, subset, { key: KEY, onEvent: (e) => events.push(e) });
    assert.ok(
      events.some((e) => e.type === 'subset' && e.tables === 4),
      JSON.stringify(events.filter((e) => e.type === 'subset')),
    );
    const customers = await ids(target, 'SELECT id FROM crm.customers');
    const [{ n: all }] = await rows<{ n: string }>(source, 'SELECT count(*) AS n FROM crm.customers');
    assert.ok(
      customers.length >= Math.ceil(Number(all) / 10) && customers.length < Number(all),
      `${customers.length} of ${all}`,
    );
    const list = customers.join(',');
    assert.deepEqual(
      await ids(target, 'SELECT id FROM crm.addresses'),
      await ids(source, `SELECT id FROM crm.addresses WHERE customer_id IN (${list})`),
    );
    const orders = await ids(target, 'SELECT id FROM crm.orders');
    assert.ok(orders.length > 0);
    assert.deepEqual(orders, await ids(source, `SELECT id FROM crm.orders WHERE customer_id IN (${list})`));
    assert.deepEqual(
      await ids(target, 'SELECT id FROM billing.payments'),
      await ids(source, `SELECT id FROM billing.payments WHERE order_id IN (${orders.join(',')})`),
    );
    // Every referrer of a kept customer came along (the self-reference), and the keys were created over the data.
    const referrers = await ids(
      target,
      'SELECT DISTINCT referred_by AS id FROM crm.customers WHERE referred_by IS NOT NULL',
    );
    assert.ok(referrers.every((r) => customers.includes(r)));
    const [{ n: fks }] = await rows<{ n: string }>(
      target,
      "SELECT count(*) AS n FROM pg_constraint WHERE contype = 'f'",
    );
    assert.equal(fks, '4');
    assert.deepEqual(await leaks(target, personal), []);
  });

  it('follows a where subset up a self-reference to the referrer and down to the referred', async () => {
    const [{ id, referrer }] = await rows<{ id: number; referrer: number }>(
      source,
      'SELECT id, referred_by AS referrer FROM crm.customers WHERE referred_by IS NOT NULL ORDER BY id LIMIT 1',
    );
    const target = await newTarget();
    const subset = parsePolicy(
      POLICY.replace('      customers:\n', `      customers:\n        subset: { where: "id = ${id}" }\n`),
      '/project/masking.yaml',
    );
    await seedMaskedData(source, target, subset, { key: KEY });
    const customers = await ids(target, 'SELECT id FROM crm.customers');
    assert.ok(customers.includes(id) && customers.includes(referrer), customers.join(','));
    // The referrer's tree (everyone it referred) is complete, and nothing outside it came.
    const tree = await ids(
      source,
      `WITH RECURSIVE up(id) AS (SELECT ${referrer} UNION SELECT c.referred_by FROM crm.customers c JOIN up ON c.id = up.id WHERE c.referred_by IS NOT NULL),
      down(id) AS (SELECT id FROM up UNION SELECT c.id FROM crm.customers c JOIN down ON c.referred_by = down.id) SELECT id FROM down`,
    );
    assert.deepEqual(customers, tree);
  });

  it('drafts a policy that covers every column, says why, and passes the scan', async () => {
    const draft = await draftPolicy(source);
    assert.match(draft, /^ {10}email: email {2}# looks personal: its name looks like an email address$/m);
    assert.match(draft, /^ {10}contact_email: email {2}#/m);
    assert.match(draft, /^ {10}total: keep {2}# numeric; nothing personal/m);
    assert.match(
      draft,
      /^ {10}profile: \{ json: \{ "\$\.email": email, .*"\$\.address\.line1": street.* \} \} {2}# JSON fields that look personal/m,
    );
    assert.match(draft, /^ {10}birth_date: \{ dateShift: \{ days: 180 \} \}/m);
    const policy = parsePolicy(draft, '/project/masking.yaml');
    assert.deepEqual(Object.keys(policy.schemas).sort(), ['billing', 'crm', 'public']);
    const target = await newTarget();
    await seedMaskedData(source, target, policy, { key: KEY });
    assert.deepEqual(await leaks(target, personal), []);
  });

  it('never writes to the source: a subset `where` cannot run a second statement', async () => {
    const target = await newTarget();
    const where = 'true) ON CONFLICT DO NOTHING; DELETE FROM public.settings; SELECT (1';
    const sneaky = parsePolicy(
      POLICY.replace('      customers:\n', `      customers:\n        subset: { where: ${JSON.stringify(where)} }\n`),
      '/project/masking.yaml',
    );
    const err = await seedMaskedData(source, target, sneaky, { key: KEY }).then(
      () => assert.fail('the seed went ahead'),
      (e: unknown) => e,
    );
    assert.ok(SlipwayError.is(err, 'data-copy-failed'), String(err));
    const [{ n }] = await rows<{ n: string }>(source, 'SELECT count(*) AS n FROM public.settings');
    assert.equal(n, '2');
    assert.equal(await relationCount(target), 0);
  });

  it('refuses, at its line, a foreign key masked differently from the key it references', async () => {
    const text = POLICY.replace(
      'columns: { id: keep, customer_id: keep, contact_email',
      'columns: { id: keep, customer_id: hash, contact_email',
    );
    const err = await seedMaskedData(source, await newTarget(), parsePolicy(text, '/project/masking.yaml'), {
      key: KEY,
    }).then(
      () => assert.fail('the seed went ahead'),
      (e: unknown) => e,
    );
    assert.ok(MaskingPolicyError.is(err), String(err));
    assert.equal(err.issues.length, 1);
    assert.equal(err.issues[0].field, 'schemas.crm.tables.orders.columns.customer_id');
    assert.equal(err.issues[0].line, text.split('\n').findIndex((l) => l.includes('customer_id: hash')) + 1);
    assert.match(err.issues[0].message, /references crm\.customers\.id .* masked differently \(hash vs keep\)/);
  });

  it('names the table and column when a rule makes values its column cannot hold, and leaves the target empty', async () => {
    const target = await newTarget();
    const bad = parsePolicy(
      POLICY.replace('total: { noise: { percent: 5 } }', 'total: { redact: "n/a" }'),
      '/project/masking.yaml',
    );
    const err = await seedMaskedData(source, target, bad, { key: KEY, concurrency: 2 }).then(
      () => assert.fail('the seed went ahead'),
      (e: unknown) => e,
    );
    assert.ok(SlipwayError.is(err, 'data-copy-failed'), String(err));
    assert.match(
      err.message,
      /^Copying crm\.orders failed: invalid input syntax for type numeric: "n\/a" \(COPY orders, line 1, column total/,
    );
    assert.equal(await relationCount(target), 0);
  });

  it('leaves the target empty when cancelled mid-copy, and a retry then succeeds', async () => {
    const target = await newTarget();
    const abort = new AbortController();
    const err = await seedMaskedData(source, target, policy, {
      key: KEY,
      signal: abort.signal,
      concurrency: 1,
      onEvent: (e) => e.type === 'table' && e.done && abort.abort(),
    }).then(
      () => assert.fail('the seed was not cancelled'),
      (e: unknown) => e,
    );
    assert.ok(SlipwayError.is(err, 'operation-cancelled'), String(err));
    assert.equal(await relationCount(target), 0);
    await seedMaskedData(source, target, policy, { key: KEY });
    const [{ n }] = await rows<{ n: string }>(target, 'SELECT count(*) AS n FROM crm.customers');
    assert.ok(Number(n) > 0);
  });

  it('refuses a target that already holds tables unless asked to replace it', async () => {
    const target = await newTarget();
    await withClient(target, (c) => c.query('CREATE TABLE public.keep_me (id int)'));
    const err = await seedMaskedData(source, target, policy, { key: KEY }).then(
      () => assert.fail('the seed went ahead'),
      (e: unknown) => e,
    );
    assert.ok(SlipwayError.is(err, 'data-copy-failed'), String(err));
    assert.deepEqual(await rows(target, "SELECT tablename FROM pg_tables WHERE tablename = 'keep_me'"), [
      { tablename: 'keep_me' },
    ]);
    await seedMaskedData(source, target, policy, { key: KEY, replace: true });
    assert.deepEqual(await rows(target, "SELECT tablename FROM pg_tables WHERE tablename = 'keep_me'"), []);
  });

  it('streams a table far larger than the memory it uses, and keeps escaped text intact', async () => {
    const big = await server.createDatabase('big_source');
    const payload = 'x'.repeat(480);
    await withClient(big, (c) =>
      c.query(`CREATE TABLE public.events (id bigserial PRIMARY KEY, secret text NOT NULL, body text NOT NULL);
        INSERT INTO public.events (secret, body) SELECT 'secret-' || g, '${payload}' || E'\\t\\n\\\\' || g FROM generate_series(1, 200000) g;`),
    );
    const bigPolicy = parsePolicy(
      'version: 1\nschemas:\n  public:\n    tables:\n      events:\n        columns: { id: keep, secret: hash, body: { keep: reviewed } }\n',
      '/project/masking.yaml',
    );
    const target = await newTarget();
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const progress: number[] = [];
    await seedMaskedData(big, target, bigPolicy, {
      key: KEY,
      onEvent: (e) => {
        peak = Math.max(peak, process.memoryUsage().heapUsed);
        if (e.type === 'table') progress.push(e.rows);
      },
    });
    const [{ n, bytes }] = await rows<{ n: string; bytes: string }>(
      target,
      'SELECT count(*) AS n, sum(octet_length(body) + octet_length(secret)) AS bytes FROM public.events',
    );
    assert.equal(n, '200000');
    assert.ok(Number(bytes) > 90_000_000, bytes);
    assert.ok(
      peak - before < 60_000_000,
      `heap grew by ${Math.round((peak - before) / 1e6)} MB while copying ${Math.round(Number(bytes) / 1e6)} MB`,
    );
    const [sample] = await rows<{ body: string; secret: string }>(
      target,
      'SELECT body, secret FROM public.events WHERE id = 7',
    );
    assert.equal(sample.body, `${payload}\t\n\\7`);
    assert.match(sample.secret, /^[0-9a-f]{16}$/);
  });
});
