/** Masked copies of tables of every shape: both COPY formats, partitioned and inherited tables, user-defined types. */
import assert from 'node:assert/strict';
import { parsePolicy } from '../../environments/data/policy';
import { seedMaskedData } from '../../environments/data/seed';
import { cells } from './masking-source';
import { query, startPostgres, withClient, type PostgresServer } from './postgres';

const KEY = 'project-key-for-tests-0001';

describe('masked copies of tables of every shape (real PostgreSQL)', function () {
  this.timeout(180_000);
  let server: PostgresServer;
  let targets = 0;
  const newTarget = () => server.createDatabase(`target_${++targets}`);
  const rows = query;

  before(async () => {
    server = await startPostgres();
  });

  after(async () => {
    await server?.stop();
  });

  it('gives the same rows in COPY binary as in COPY text, rows frozen, a partitioned table and a user-defined type included', async () => {
    const mixed = await server.createDatabase('mixed_source');
    await withClient(mixed, (c) =>
      c.query(`CREATE TYPE public.mood AS ENUM ('calm', 'cross');
        CREATE TABLE public.people (id bigint PRIMARY KEY, name text NOT NULL, email varchar(200) UNIQUE, born date,
          score numeric(10, 3), seen timestamptz, tags text[], about text);
        INSERT INTO public.people SELECT g, 'Name ' || g || E'\\t' || (g % 7), 'p' || g || '@mail.test',
          date '1970-01-01' + g, g * 1.125, timestamptz '2020-01-01 00:00:00+00' + g * interval '1 hour',
          ARRAY['a' || g, NULL], CASE WHEN g % 5 = 0 THEN NULL ELSE 'Zoë ' || g END FROM generate_series(1, 3000) g;
        CREATE TABLE public.visits (id int NOT NULL, at date NOT NULL, note text) PARTITION BY RANGE (at);
        CREATE TABLE public.visits_old PARTITION OF public.visits FOR VALUES FROM ('1900-01-01') TO ('2000-01-01');
        CREATE TABLE public.visits_new PARTITION OF public.visits FOR VALUES FROM ('2000-01-01') TO ('2100-01-01');
        INSERT INTO public.visits SELECT g, date '1990-01-01' + g * 3, 'visit ' || g FROM generate_series(1, 2000) g;
        CREATE TABLE public.moods (id int PRIMARY KEY, mood public.mood NOT NULL, contact text);
        INSERT INTO public.moods SELECT g, CASE WHEN g % 2 = 0 THEN 'calm' ELSE 'cross' END::public.mood, 'c' || g || '@mail.test'
          FROM generate_series(1, 500) g;
        ANALYZE;`),
    );
    const mixedPolicy = parsePolicy(
      `version: 1
schemas:
  public:
    tables:
      people:
        columns: { id: keep, name: fullName, email: email, born: { keep: reviewed }, score: keep, seen: keep, tags: { keep: reviewed }, about: scramble }
      visits:
        columns: { id: keep, at: keep, note: hash }
      moods:
        columns: { id: keep, mood: keep, contact: email }
`,
      '/project/masking.yaml',
    );
    const [binary, text] = [await newTarget(), await newTarget()];
    await seedMaskedData(mixed, binary, mixedPolicy, { key: KEY });
    await seedMaskedData(mixed, text, mixedPolicy, { key: KEY, format: 'text' });
    const all = async (url: string) => (await cells(url)).map((c) => `${c.at}=${c.value}`).sort();
    const [fromBinary, fromText] = [await all(binary), await all(text)];
    assert.equal(fromBinary.length, 3000 * 8 - 600 + 2000 * 3 + 500 * 3);
    assert.deepEqual(fromBinary, fromText);
    const [person] = await rows<{ name: string; born: string; score: string; seen: string; tags: string[] }>(
      binary,
      'SELECT name, born::text, score::text, seen::text, tags FROM public.people WHERE id = 42',
    );
    assert.equal(person.born, '1970-02-12');
    assert.equal(person.score, '47.250');
    assert.equal(person.seen, '2020-01-02 18:00:00+00');
    assert.deepEqual(person.tags, ['a42', null]);
    assert.doesNotMatch(person.name, /^Name /);
    // The tables copied whole were loaded frozen: every page all-visible and all-frozen.
    await withClient(binary, async (c) => {
      await c.query('CREATE EXTENSION IF NOT EXISTS pg_visibility');
      for (const table of ['public.people', 'public.moods']) {
        const [map] = (
          await c.query<{ pages: string; visible: string; frozen: string }>(
            `SELECT (SELECT relpages FROM pg_class WHERE oid = $1::regclass) AS pages, all_visible AS visible, all_frozen AS frozen FROM pg_visibility_map_summary($1::regclass)`,
            [table],
          )
        ).rows;
        assert.ok(Number(map.pages) > 0, `${table}: ${JSON.stringify(map)}`);
        assert.equal(Number(map.frozen), Number(map.pages), `${table}: ${JSON.stringify(map)}`);
      }
    });
  });

  it("copies a table that others inherit from with its own rows only: each child's rows come once, in the child", async () => {
    const inherited = await server.createDatabase('inherited_source');
    await withClient(inherited, (c) =>
      c.query(`CREATE TABLE public.events (id int PRIMARY KEY, contact text NOT NULL);
        CREATE TABLE public.special_events (reason text NOT NULL) INHERITS (public.events);
        INSERT INTO public.events SELECT g, 'e' || g || '@mail.test' FROM generate_series(1, 100) g;
        INSERT INTO public.special_events SELECT g, 's' || g || '@mail.test', 'why ' || g FROM generate_series(101, 140) g;`),
    );
    const text = `version: 1
schemas:
  public:
    tables:
      events:
        columns: { id: keep, contact: email }
      special_events:
        columns: { id: keep, contact: email, reason: hash }
`;
    const inheritedPolicy = parsePolicy(text, '/project/masking.yaml');
    const target = await newTarget();
    await seedMaskedData(inherited, target, inheritedPolicy, { key: KEY });
    const counts = await rows<{ own: string; all: string; children: string }>(
      target,
      `SELECT (SELECT count(*) FROM ONLY public.events) AS own, (SELECT count(*) FROM public.events) AS all,
        (SELECT count(*) FROM public.special_events) AS children`,
    );
    assert.deepEqual(counts, [{ own: '100', all: '140', children: '40' }]);
    // A 10% subset of the parent takes its own rows only.
    const subsetPolicy = parsePolicy(
      text.replace('      events:\n', '      events:\n        subset: { percent: 10 }\n'),
      '/project/masking.yaml',
    );
    const subset = await newTarget();
    await seedMaskedData(inherited, subset, subsetPolicy, { key: KEY });
    const [few] = await rows<{ own: string; max: number }>(
      subset,
      'SELECT count(*) AS own, max(id) AS max FROM ONLY public.events',
    );
    assert.equal(few.own, '10');
    assert.ok(few.max <= 100, `a child's row was taken into the parent: id ${few.max}`);
  });
});
