/**
 * The data benchmark (`npm run bench` runs it; `node scripts/bench.mjs --only data` runs it alone):
 * a 1,000,000-row table with four masked columns (first name, last name, email, phone) copied
 * through Slipway's masked seed, beside its floor in the same run on the same PostgreSQL server:
 * a plain `COPY ... TO STDOUT | COPY ... FROM STDIN` of the same table (same Node process,
 * pg-copy-streams' streams piped as they are), each run five times (`--repeats`, at least three),
 * the order alternating, each run once the server has checkpointed and the system has written its
 * dirty pages out (so no run pays for the writes of the one before); beside them, for comparison,
 * the same plain copy in COPY's binary format, which the masked seed streams this table in. Prints
 * the median of each side with its min and max, the ratio of the medians and the masking process's
 * peak memory (RSS), with the RSS seen at a quarter of the rows, to show that it does not grow with
 * the table; and the time to make a new preview database from the masked snapshot of that table,
 * of its first 1,000 rows, and of that table padded with a large one (`--pad-mb`, default 2048),
 * each both ways: layered on the snapshot (an overlay data volume, what `up` makes) and copied (the
 * fallback where the engine mounts no overlay). Needs Docker and the local slipway/postgres:15 image.
 *
 *   npx tsx scripts/bench-data.ts [--rows N] [--pad-mb MB] [--repeats N]
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import Docker from 'dockerode';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { parsePolicy } from '../environments/data/policy';
import { seedMaskedData } from '../environments/data/seed';
import { makeSnapshot, removeContainer, waitForLogin, type Snapshot } from '../environments/data/snapshot';
import { cloneSnapshot, type ClonePath } from '../environments/data/snapshot-clone';
import { createLayeredVolume, removeLayers } from '../environments/docker/provider/layered-volume';
import { startPostgres } from '../test/integration/postgres';

const arg = (name: string, fallback: number) =>
  Number(process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const PAD_MB = arg('--pad-mb', 2048);
const ROWS = Number(process.argv.includes('--rows') ? process.argv[process.argv.indexOf('--rows') + 1] : 1_000_000);
/** Runs of each side (at least 3, 5 by default): the figures are their medians, printed with min and max. */
const REPEATS = Math.max(3, arg('--repeats', 5));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const range = (xs: number[]) => `(${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`;
const TABLE = `CREATE TABLE public.people (id bigint PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, email text NOT NULL, phone text, joined date NOT NULL, score integer NOT NULL)`;
const POLICY = parsePolicy(
  `version: 1
schemas:
  public:
    tables:
      people:
        columns: { id: keep, first_name: firstName, last_name: lastName, email: email, phone: phone, joined: keep, score: keep }
`,
  'bench-masking.yaml',
);

async function sql(url: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** The masked table copied as it is (already masked: every column reviewed), whole or its first rows. */
const copyPolicy = (where?: string) =>
  parsePolicy(
    `version: 1
schemas:
  public:
    tables:
      people:
        ${where ? `subset: { where: "${where}" }\n        ` : ''}columns: { id: keep, first_name: { keep: reviewed }, last_name: { keep: reviewed }, email: { keep: reviewed }, phone: { keep: reviewed }, joined: keep, score: keep }
`,
    'bench-copy.yaml',
  );

const IMAGE = 'slipway/postgres:15';
const DB = { image: IMAGE, user: 'app', database: 'app' };

/** Times a new preview database made from `snapshot`: a running PostgreSQL (as `up` makes it) becomes its clone. */
async function timeClone(
  docker: Docker,
  snapshot: Snapshot,
  name: string,
  path: ClonePath,
): Promise<{ seconds: number; phases: string }> {
  const password = randomBytes(12).toString('hex');
  const labels = { 'dev.slipway.bench': 'data' };
  if (path === 'copy') await docker.createVolume({ Name: `${name}-data`, Labels: labels });
  else if (!(await createLayeredVolume('', `${name}-data`, labels, IMAGE)))
    throw new Error('this Docker Engine refuses overlay volumes: only the copy can be timed');
  try {
    const c = await docker.createContainer({
      name,
      Image: IMAGE,
      Env: ['POSTGRES_USER=app', 'POSTGRES_DB=app', `POSTGRES_PASSWORD=${password}`],
      Labels: { 'dev.slipway.bench': 'data' },
      ExposedPorts: { '5432/tcp': {} },
      HostConfig: {
        PortBindings: { '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
        Binds: [`${name}-data:/var/lib/postgresql/data`],
      },
    });
    await c.start();
    const port = (await c.inspect()).NetworkSettings.Ports['5432/tcp'][0].HostPort;
    const url = `postgres://app:${password}@127.0.0.1:${port}/app`;
    await waitForLogin(url, name);
    const t = process.hrtime.bigint();
    const phases: string[] = [];
    const took = await cloneSnapshot(
      docker,
      snapshot,
      { container: name, user: 'app', password, url },
      { onPhase: (phase, ms) => phases.push(`${phase} ${(ms / 1000).toFixed(2)}`) },
    );
    if (took !== path) throw new Error(`the clone was ${took}, not ${path}`);
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    const after = (await c.inspect()).NetworkSettings.Ports['5432/tcp'][0].HostPort;
    const c2 = new pg.Client({ connectionString: url.replace(`:${port}/`, `:${after}/`) });
    await c2.connect();
    const n = (await c2.query<{ n: string }>('SELECT count(*) AS n FROM public.people')).rows[0].n;
    await c2.end();
    if (Number(n) !== snapshot.rows) throw new Error(`the clone holds ${n} rows, the snapshot ${snapshot.rows}`);
    return { seconds, phases: phases.join(', ') };
  } finally {
    await removeContainer(docker, name);
    await docker
      .getVolume(`${name}-data`)
      .remove()
      .catch(() => undefined);
    await removeLayers(docker, `${name}-data`);
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function main(): Promise<void> {
  const server = await startPostgres();
  try {
    const source = await server.createDatabase('source');
    console.error(`data: generating ${ROWS} rows (not timed) ...`);
    await sql(source, TABLE);
    await sql(
      source,
      `INSERT INTO public.people SELECT g, 'First' || (g % 5000), 'Last' || (g % 20000), 'person' || g || '@mail' || (g % 97) || '.test',
         '+44 7700 9' || lpad((g % 100000)::text, 5, '0'), date '1990-01-01' + (g % 9000), g % 1000 FROM generate_series(1, ${ROWS}) g`,
    );
    await sql(source, 'VACUUM ANALYZE public.people');
    // Before each timed run: the writes of what came before (the source's rows, the last run's
    // copy) on disk, so that they do not land in the next run, whichever side it is.
    const settle = async (): Promise<void> => {
      await sql(server.url(), 'CHECKPOINT');
      spawnSync('sync', { stdio: 'ignore' });
    };

    // Floor: the same table, plain COPY out and in, no parsing or masking, each into a new database
    // (COPY text, the goal's floor; and, for comparison, COPY's binary format, which the masked
    // seed streams this table in).
    const floorOnce = async (r: number, binary = false): Promise<number> => {
      const floorDb = await server.createDatabase(`floor${r}${binary ? 'b' : ''}`);
      await sql(floorDb, TABLE);
      const out = new pg.Client({ connectionString: source });
      const into = new pg.Client({ connectionString: floorDb });
      await out.connect();
      await into.connect();
      await settle();
      const t = process.hrtime.bigint();
      const format = binary ? ' (FORMAT binary)' : '';
      await pipeline(
        out.query(copyTo(`COPY public.people TO STDOUT${format}`)),
        into.query(copyFrom(`COPY public.people FROM STDIN${format}`)),
      );
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      await out.end();
      await into.end();
      await sql(server.url(), `DROP DATABASE floor${r}${binary ? 'b' : ''}`);
      return seconds;
    };
    // Slipway's masked copy (schema, rows masked, keys after the data); the last one stays for the snapshots.
    let quarterRss = 0;
    const before = process.memoryUsage().rss;
    let masked = '';
    const maskOnce = async (r: number): Promise<{ seconds: number; cpu: number }> => {
      if (masked) await sql(server.url(), `DROP DATABASE masked${r - 1}`);
      masked = await server.createDatabase(`masked${r}`);
      await settle();
      const cpu = process.cpuUsage();
      const t = process.hrtime.bigint();
      await seedMaskedData(source, masked, POLICY, {
        key: 'bench-project-key-000000000000',
        onEvent: (e) => {
          if (e.type === 'table' && !quarterRss && e.rows >= ROWS / 4) quarterRss = process.memoryUsage().rss;
        },
      });
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      const used = process.cpuUsage(cpu);
      return { seconds, cpu: (used.user + used.system) / 1e6 };
    };
    // Each side REPEATS times, the order alternating, so that neither always runs on a warmer machine.
    const floorRuns: number[] = [];
    const binaryRuns: number[] = [];
    const maskRuns: Array<{ seconds: number; cpu: number }> = [];
    for (let r = 0; r < REPEATS; r++) {
      console.error(`data: run ${r + 1} of ${REPEATS} (${r % 2 === 0 ? 'floor first' : 'masked seed first'}) ...`);
      if (r % 2 === 0) floorRuns.push(await floorOnce(r));
      maskRuns.push(await maskOnce(r));
      if (r % 2 === 1) floorRuns.push(await floorOnce(r));
      binaryRuns.push(await floorOnce(r, true));
    }
    const peak = process.resourceUsage().maxRSS * 1024;
    const floorS = median(floorRuns);
    const maskS = median(maskRuns.map((m) => m.seconds));
    const maskCpuS = median(maskRuns.map((m) => m.cpu));

    // A new preview database from the masked snapshot of that table (Slipway's clone: the
    // snapshot's stopped data folder copied into the preview's volume), beside the same for a
    // snapshot of its first 1,000 rows: the clone's time hardly depends on the table's size.
    const docker = new Docker();
    await docker
      .getImage(IMAGE)
      .inspect()
      .catch(() => {
        throw new Error(`the snapshot clone needs Docker and the local image ${IMAGE}: run \`npm run setup\``);
      });
    const home = mkdtempSync(join(tmpdir(), 'slipway-bench-data-'));
    const snapshots: Snapshot[] = [];
    const sizes: Array<{ label: string; snapshot: Snapshot }> = [];
    const times: Array<{ label: string; path: ClonePath; seconds: number; phases: string }> = [];
    const bytes = new Map<string, number>();
    try {
      const make = async (id: string, where?: string, padMb = 0) => {
        const snap = await makeSnapshot(docker, { home, project: 'bench', id, db: DB }, async (url) => {
          const done = await seedMaskedData(masked, url, copyPolicy(where), { key: 'bench-project-key-000000000000' });
          // Padding: a table of ~1 kB rows that the clone carries and nothing reads.
          if (padMb)
            await sql(
              url,
              `CREATE TABLE public.padding AS SELECT g AS id, repeat(md5(g::text), 31) AS filler FROM generate_series(1, ${padMb * 1024}) g`,
            );
          const c = new pg.Client({ connectionString: url });
          await c.connect();
          bytes.set(id, Number((await c.query('SELECT pg_database_size(current_database()) AS n')).rows[0].n));
          await c.end();
          return { rows: done.tables.reduce((n, x) => n + x.rows, 0), tables: done.tables.length };
        });
        snapshots.push(snap);
        return snap;
      };
      sizes.push({ label: '1000 rows', snapshot: await make('snap_bench0000000small', 'id <= 1000') });
      sizes.push({ label: `${ROWS} rows`, snapshot: await make('snap_bench00000000big') });
      if (PAD_MB > 0)
        sizes.push({
          label: `${ROWS} rows + ${PAD_MB} MB padding`,
          snapshot: await make('snap_bench0000000pad', undefined, PAD_MB),
        });
      for (const { label, snapshot } of sizes)
        for (const path of ['overlay', 'copy'] as const)
          times.push({ label, path, ...(await timeClone(docker, snapshot, `slipway-bench-clone-${path}`, path)) });
    } finally {
      for (const snap of snapshots)
        await docker
          .getVolume(snap.volume)
          .remove()
          .catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    }

    const floorRate = ROWS / floorS;
    const maskRate = ROWS / maskS;
    console.log(
      `\nMasked seed vs plain COPY, ${ROWS} rows, 4 masked columns, same run, same PostgreSQL ${server.binDir}`,
    );
    console.log(
      `${'floor (COPY | COPY)'.padEnd(28)}${floorS.toFixed(2).padStart(8)}s ${range(floorRuns).padEnd(12)} ${Math.round(floorRate).toString().padStart(9)} rows/s`,
    );
    console.log(
      `${'slipway masked seed'.padEnd(28)}${maskS.toFixed(2).padStart(8)}s ${range(maskRuns.map((m) => m.seconds)).padEnd(12)} ${Math.round(maskRate).toString().padStart(9)} rows/s`,
    );
    const binaryS = median(binaryRuns);
    console.log(
      `${'binary floor (COPY | COPY)'.padEnd(28)}${binaryS.toFixed(2).padStart(8)}s ${range(binaryRuns).padEnd(12)} ${Math.round(
        ROWS / binaryS,
      )
        .toString()
        .padStart(
          9,
        )} rows/s  (the format the masked seed streams this table in, for comparison: the seed runs at ${((binaryS / maskS) * 100).toFixed(0)}% of its rows/s)`,
    );
    const pairs = floorRuns.map((f, i) => `${((f / maskRuns[i].seconds) * 100).toFixed(0)}%`).join(', ');
    console.log(
      `ratio (masked rows/s / floor rows/s, medians of ${REPEATS} runs each, alternating): ${((maskRate / floorRate) * 100).toFixed(0)}% (goal >= 60%); run by run: ${pairs}`,
    );
    console.log(
      `masking process CPU (median): ${maskCpuS.toFixed(2)}s for ${maskS.toFixed(2)}s of wall time (load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores: a busy machine lowers both rates)`,
    );
    console.log(
      `masking process memory: RSS before ${mb(before)}, at a quarter of the rows ${quarterRss ? mb(quarterRss) : 'n/a'}, peak ${mb(peak)}`,
    );
    console.log('new preview database from the masked snapshot (goal < 5 s whatever the size):');
    for (const { label, snapshot } of sizes) {
      const [layered, copied] = ['overlay', 'copy'].map((p) => times.find((x) => x.label === label && x.path === p)!);
      console.log(
        `  ${label.padEnd(34)} ${`(${mb(bytes.get(snapshot.id) ?? 0)})`.padEnd(9)} layered ${layered.seconds.toFixed(2)}s, copied ${copied.seconds.toFixed(2)}s`,
      );
    }
    for (const t of times)
      console.log(`  steps, ${t.label}, ${t.path === 'overlay' ? 'layered' : 'copied'} (s): ${t.phases}`);
    console.log(
      '(the masked seed also creates the primary key after the rows; the floor copies into a table that has it)',
    );
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
