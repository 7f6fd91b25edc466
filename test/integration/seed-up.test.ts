/**
 * `up` of a spec whose database has a seed, on the real Docker Engine + Pulumi, from a real
 * PostgreSQL source: the preview starts masked (its data volume layered on the snapshot, or copied
 * where overlays are turned off), the services after the seed, drift clean right after the clone,
 * no layer left behind by a re-seed or `down`, a failing check makes nothing, and `url --database`
 * masks the password unless asked.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCatalog, qualified, quoteIdent } from '../../environments/data/catalog';
import { readSeedRecord, seedRecordPath } from '../../environments/data/seed-record';
import { isLayered, uppersOf } from '../../environments/docker/provider/layered-volume';
import { viewPath } from '../../environments/docker/declared-view';
import { envNames } from '../../environments/naming';
import { POLICY, seededSpec, seedSource } from './masking-source';
import { startPostgres, withClient, type PostgresServer } from './postgres';
import { RUN, docker, forceDown, jsonData, labelled, removeDir, requireEngines, runCli, tempHome } from './helpers';
import { existsSync } from 'node:fs';

const PROJECT = 'seeded';

/** The volumes and containers of masked snapshot `id` (another checkout's older snapshot server for the same project name is not one). */
async function snapshotVolumes(id: string | undefined): Promise<string[]> {
  if (!id) return [];
  const { Volumes } = await docker.listVolumes({
    filters: JSON.stringify({ label: [`dev.slipway.snapshots=${PROJECT}`, `dev.slipway.snapshot=${id}`] }),
  });
  return (Volumes ?? []).map((v) => v.Name);
}

async function snapshotContainers(id: string | undefined): Promise<string[]> {
  const list = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`dev.slipway.snapshots=${PROJECT}`, `dev.slipway.snapshot=${id}`] }),
  });
  return list.map((c) => c.Names[0]);
}

/** Cells of every table of `url` holding (or containing, for longer values) a personal value. */
async function leaks(url: string, personal: Set<string>): Promise<string[]> {
  const long = [...personal].filter((v) => v.length >= 8);
  return withClient(url, async (c) => {
    const found: string[] = [];
    const catalog = await readCatalog(c);
    for (const table of catalog.tables.values()) {
      const list = table.columns.map((col) => `${quoteIdent(col.name)}::text`).join(', ');
      const result = await c.query({ text: `SELECT ${list} FROM ${qualified(table)}`, rowMode: 'array' });
      for (const row of result.rows as Array<Array<string | null>>) {
        for (const v of row)
          if (v !== null && (personal.has(v) || long.some((p) => v.includes(p)))) found.push(`${table.id}: ${v}`);
      }
    }
    return found;
  });
}

/** `slipway drift` of the branch: exit 0 and no item, from the declared view and (the view removed) from Pulumi. */
async function assertNoDrift(spec: string, branch: string, home: string): Promise<void> {
  const names = envNames(PROJECT, branch);
  for (const from of ['view', 'pulumi']) {
    if (from === 'pulumi') rmSync(viewPath(home, names.project, names.env), { force: true });
    const drift = await runCli(['drift', '--spec', spec, '--branch', branch, '--json'], home);
    assert.equal(drift.code, 0, `${from}: ${drift.stdout}${drift.stderr}`);
    assert.deepEqual(jsonData<{ items: unknown[] }>(drift.stdout).items, [], from);
  }
}

/** The data volume of the branch's database: layered or not, and its upper layers. */
async function dataVolume(branch: string): Promise<{ layered: boolean; uppers: string[] }> {
  const name = envNames(PROJECT, branch).volume('db');
  return { layered: isLayered(await docker.getVolume(name).inspect()), uppers: await uppersOf(docker, name) };
}

function writeProject(dir: string, policy: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'masking.yaml'), policy);
  const spec = join(dir, 'slipway.yaml');
  writeFileSync(spec, seededSpec(PROJECT));
  return spec;
}

describe('up seeds a preview database from a masked source (real Docker, Pulumi, PostgreSQL)', function () {
  this.timeout(15 * 60 * 1000);
  let home: string;
  let server: PostgresServer;
  let source: string;
  let personal: Set<string>;
  let spec: string;
  let snapId: string | undefined;
  const branch = `seed/one-${RUN}`;
  const second = `seed/two-${RUN}`;

  before(async () => {
    await requireEngines();
    home = tempHome('seed');
    server = await startPostgres();
    source = await server.createDatabase('source');
    personal = await withClient(source, (c) => seedSource(c, 120));
    spec = writeProject(join(home, 'project'), POLICY);
  });

  after(async () => {
    if (spec) await forceDown(spec, branch, home);
    if (spec) await forceDown(spec, second, home);
    for (const v of await snapshotVolumes(snapId))
      await docker
        .getVolume(v)
        .remove()
        .catch(() => undefined);
    await server?.stop();
    if (home) removeDir(home);
  });

  it('seeds the new database before the web service starts: no personal value, every key holds, the record names the source host only', async () => {
    const up = await runCli(['up', '--spec', spec, '--branch', branch], home, undefined, { SEED_SOURCE_URL: source });
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, /seed db crm\.customers: 120 rows/);
    const names = envNames(PROJECT, branch);
    const record = readSeedRecord(home, names.project, names.env);
    assert.ok(record?.databases.db, `no seed record at ${seedRecordPath(home, names.project, names.env)}`);
    const seed = record.databases.db;
    assert.equal(seed.source, `127.0.0.1:${server.port}/source`);
    assert.match(seed.policyHash, /^[0-9a-f]{64}$/);
    assert.equal(seed.tables, 5);
    assert.ok(seed.rows > 120);
    assert.match(seed.snapshot ?? '', /^snap_[0-9a-f]{16}$/);
    assert.match(up.stderr, /making the masked snapshot snap_/);
    snapId = seed.snapshot;
    // The snapshot is a stopped data folder in one labelled volume; no server runs for it.
    assert.equal((await snapshotVolumes(snapId)).length, 1);
    assert.deepEqual(await snapshotContainers(snapId), []);
    // Layered on it, no copy: one upper layer, the one made with the volume gone.
    assert.equal(seed.clone, 'overlay');
    assert.match(up.stderr, /layered on the snapshot, no copy/);
    const data = await dataVolume(branch);
    assert.ok(data.layered);
    assert.equal(data.uppers.length, 1);
    assert.equal(
      (await docker.getVolume(data.uppers[0]).inspect()).Labels?.['dev.slipway.layer-snapshot'],
      (await snapshotVolumes(snapId))[0],
    );
    await assertNoDrift(spec, branch, home);
    const status = await runCli(['status', '--spec', spec, '--branch', branch], home);
    assert.match(status.stdout, new RegExp(`data db: layered on snapshot ${snapId}`));

    const url = await runCli(['url', '--spec', spec, '--branch', branch, '--database', 'db', '--show-secrets'], home);
    assert.equal(url.code, 0, url.stderr);
    const target = url.stdout.trim();
    assert.deepEqual(await leaks(target, personal), []);
    // Keys were created over the data (post-data), so they hold; and they are all there.
    const fks = await withClient(
      target,
      async (c) =>
        (await c.query(`SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f' AND convalidated`)).rows[0].n,
    );
    assert.equal(fks, 4);
    const orphans = await withClient(
      target,
      async (c) =>
        (
          await c.query(
            'SELECT count(*)::int AS n FROM crm.orders o LEFT JOIN crm.customers c ON c.id = o.customer_id WHERE c.id IS NULL',
          )
        ).rows[0].n,
    );
    assert.equal(orphans, 0);

    // The web service was created after the seed finished.
    const web = await docker.getContainer(names.container('web')).inspect();
    assert.ok(
      new Date(web.Created).getTime() >= new Date(seed.at).getTime(),
      `web created ${web.Created}, seed finished ${seed.at}`,
    );
  });

  it('a second branch starts from a clone of the same snapshot, without masking again; data seed --fresh masks anew', async () => {
    const up = await runCli(['up', '--spec', spec, '--branch', second], home, undefined, { SEED_SOURCE_URL: source });
    assert.equal(up.code, 0, up.stderr);
    assert.doesNotMatch(up.stderr, /making the masked snapshot/);
    assert.match(up.stderr, /cloning the snapshot snap_/);
    const first = readSeedRecord(home, envNames(PROJECT, branch).project, envNames(PROJECT, branch).env)!.databases.db;
    const names = envNames(PROJECT, second);
    const seed = readSeedRecord(home, names.project, names.env)!.databases.db;
    assert.equal(seed.snapshot, first.snapshot);
    assert.equal(seed.rows, first.rows);
    const url = (
      await runCli(['url', '--spec', spec, '--branch', second, '--database', 'db', '--show-secrets'], home)
    ).stdout.trim();
    assert.deepEqual(await leaks(url, personal), []);
    // The same masked values as the first branch (one key per project).
    const emails = async (u: string) =>
      withClient(u, async (c) =>
        (await c.query('SELECT email FROM crm.customers ORDER BY id')).rows.map((r) => r.email),
      );
    const firstUrl = (
      await runCli(['url', '--spec', spec, '--branch', branch, '--database', 'db', '--show-secrets'], home)
    ).stdout.trim();
    assert.deepEqual(await emails(url), await emails(firstUrl));
    // Each clone logs in with its own environment's password (not the snapshot's), and only with it.
    assert.notEqual(new URL(url).password, new URL(firstUrl).password);
    const wrong = new URL(url);
    wrong.password = new URL(firstUrl).password;
    await assert.rejects(
      withClient(wrong.toString(), (c) => c.query('SELECT 1')),
      /password authentication failed/,
    );
    assert.deepEqual(await snapshotContainers(snapId), []);

    const fresh = await runCli(
      ['data', 'seed', '--spec', spec, '--branch', second, '--fresh', '--json'],
      home,
      undefined,
      { SEED_SOURCE_URL: source },
    );
    assert.equal(fresh.code, 0, fresh.stderr);
    const out = jsonData<{ snapshot?: string; rows: number; source: string }>(fresh.stdout);
    assert.equal(out.snapshot, undefined);
    assert.equal(out.rows, first.rows);
    assert.ok(!fresh.stdout.includes('postgres://'));
    assert.deepEqual(await leaks(url, personal), []);
    // Masked anew into the running database: still one upper layer, nothing left over.
    assert.equal((await dataVolume(second)).uppers.length, 1);
  });

  it('data sync remakes the snapshot from the source and re-seeds both running branches when the seed has a schedule', async () => {
    await withClient(source, (c) =>
      c.query(
        `INSERT INTO crm.customers (first_name, last_name, email) VALUES ('Zed', 'Newcomer', 'zed.newcomer@late.test')`,
      ),
    );
    const noSchedule = await runCli(['data', 'sync', '--spec', spec, '--json'], home, undefined, {
      SEED_SOURCE_URL: source,
    });
    assert.equal(noSchedule.code, 0, noSchedule.stderr);
    assert.deepEqual(jsonData<{ databases: unknown[] }>(noSchedule.stdout).databases, [
      { database: 'db', reseeded: [] },
    ]);
    writeFileSync(
      spec,
      readFileSync(spec, 'utf8').replace('policy: masking.yaml }', 'policy: masking.yaml, schedule: "0 3 * * *" }'),
    );
    const sync = await runCli(['data', 'sync', '--spec', spec, '--json'], home, undefined, { SEED_SOURCE_URL: source });
    assert.equal(sync.code, 0, sync.stderr);
    const [db] = jsonData<{ databases: Array<{ reseeded: string[]; snapshot: string }> }>(sync.stdout).databases;
    assert.deepEqual([...db.reseeded].sort(), [branch, second].sort());
    // The remade snapshot replaced the old one: one volume, no container left.
    assert.equal((await snapshotVolumes(snapId)).length, 1);
    assert.deepEqual(await snapshotContainers(snapId), []);
    // 121 customers in each: the snapshot was remade from the source, not the old one cloned.
    for (const b of [branch, second]) {
      const url = (
        await runCli(['url', '--spec', spec, '--branch', b, '--database', 'db', '--show-secrets'], home)
      ).stdout.trim();
      const n = await withClient(
        url,
        async (c) => (await c.query('SELECT count(*)::int AS n FROM crm.customers')).rows[0].n,
      );
      assert.equal(n, 121, b);
      assert.deepEqual(await leaks(url, new Set([...personal, 'zed.newcomer@late.test', 'Newcomer'])), []);
      // Re-seeded onto the new snapshot: one upper layer, naming it.
      const { uppers } = await dataVolume(b);
      assert.equal(uppers.length, 1, b);
      assert.equal(
        (await docker.getVolume(uppers[0]).inspect()).Labels?.['dev.slipway.layer-snapshot'],
        (await snapshotVolumes(snapId))[0],
      );
    }
    await assertNoDrift(spec, second, home);
  });

  it('where overlays are off (SLIPWAY_SNAPSHOT_CLONE=copy) the snapshot is copied, drift is clean, and down leaves nothing', async () => {
    const third = `seed/copy-${RUN}`;
    try {
      const up = await runCli(['up', '--spec', spec, '--branch', third], home, undefined, {
        SEED_SOURCE_URL: source,
        SLIPWAY_SNAPSHOT_CLONE: 'copy',
      });
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stderr, /copied: the engine mounts no overlay volume here/);
      const names = envNames(PROJECT, third);
      assert.equal(readSeedRecord(home, names.project, names.env)!.databases.db.clone, 'copy');
      assert.deepEqual(await dataVolume(third), { layered: false, uppers: [] });
      const url = (
        await runCli(['url', '--spec', spec, '--branch', third, '--database', 'db', '--show-secrets'], home)
      ).stdout.trim();
      assert.deepEqual(await leaks(url, personal), []);
      await assertNoDrift(spec, third, home);
      const status = await runCli(['status', '--spec', spec, '--branch', third, '--json'], home);
      assert.deepEqual(jsonData<{ seeds: unknown }>(status.stdout).seeds, { db: { snapshot: snapId, clone: 'copy' } });
      const down = await runCli(['down', '--spec', spec, '--branch', third], home);
      assert.equal(down.code, 0, down.stderr);
      const left = await labelled(PROJECT, third);
      assert.deepEqual([left.containers.length, left.networks.length, left.volumes.length], [0, 0, 0]);
    } finally {
      await forceDown(spec, third, home);
    }
  });

  it('a re-seed whose source gained a column without a rule stops naming it (exit 4), and the preview is untouched', async () => {
    const url = (
      await runCli(['url', '--spec', spec, '--branch', second, '--database', 'db', '--show-secrets'], home)
    ).stdout.trim();
    const state = (u: string) =>
      withClient(u, async (c) => (await c.query('SELECT id, email FROM crm.customers ORDER BY id')).rows);
    const before = await state(url);
    await withClient(source, (c) => c.query('ALTER TABLE crm.customers ADD COLUMN backup_phone text'));
    try {
      const seed = await runCli(['data', 'seed', '--spec', spec, '--branch', second], home, undefined, {
        SEED_SOURCE_URL: source,
      });
      assert.equal(seed.code, 4, seed.stderr);
      assert.match(seed.stderr, /crm\.customers\.backup_phone/);
    } finally {
      await withClient(source, (c) => c.query('ALTER TABLE crm.customers DROP COLUMN backup_phone'));
    }
    assert.deepEqual(await state(url), before);
    assert.deepEqual(await snapshotContainers(snapId), []);
  });

  it('url --database masks the password unless --show-secrets', async () => {
    const masked = await runCli(['url', '--spec', spec, '--branch', branch, '--database', 'db'], home);
    assert.equal(masked.code, 0, masked.stderr);
    const shown = await runCli(['url', '--spec', spec, '--branch', branch, '--database', 'db', '--show-secrets'], home);
    const password = new URL(shown.stdout.trim()).password;
    assert.ok(password.length >= 16);
    assert.ok(!masked.stdout.includes(password));
    assert.match(masked.stdout.trim(), /^postgres:\/\/app:\*\*\*@127\.0\.0\.1:\d+\/db$/);
    const noDb = await runCli(['url', '--spec', spec, '--branch', branch, '--database', 'nope'], home);
    assert.notEqual(noDb.code, 0);
    assert.match(noDb.stderr, /no database "nope"/);
  });

  it('a source column with no rule stops the up with that column named (exit 4): nothing is made, nothing recorded', async () => {
    const unsafe = await server.createDatabase('unsafe');
    await withClient(unsafe, async (c) => {
      await seedSource(c, 10);
      await c.query('ALTER TABLE crm.customers ADD COLUMN backup_contact text');
    });
    const other = `seed/unsafe-${RUN}`;
    try {
      const up = await runCli(['up', '--spec', spec, '--branch', other], home, undefined, { SEED_SOURCE_URL: unsafe });
      assert.equal(up.code, 4, up.stderr);
      assert.match(up.stderr, /crm\.customers\.backup_contact/);
      const left = await labelled(PROJECT, other);
      assert.deepEqual([left.containers.length, left.networks.length, left.volumes.length], [0, 0, 0]);
      const names = envNames(PROJECT, other);
      assert.ok(!existsSync(seedRecordPath(home, names.project, names.env)));
    } finally {
      await forceDown(spec, other, home);
    }
  });

  it('an unset source variable is a clear error naming it, before anything is made', async () => {
    const other = `seed/nosource-${RUN}`;
    const up = await runCli(['up', '--spec', spec, '--branch', other], home, undefined, { SEED_SOURCE_URL: '' });
    assert.equal(up.code, 1, up.stderr);
    assert.match(up.stderr, /SEED_SOURCE_URL, which is not set/);
    const left = await labelled(PROJECT, other);
    assert.equal(left.containers.length, 0);
  });

  it('down removes each preview data volume with its links and upper layers, and keeps only the snapshot the record names', async () => {
    const current = await snapshotVolumes(snapId);
    assert.equal(current.length, 1);
    for (const b of [branch, second]) {
      const down = await runCli(['down', '--spec', spec, '--branch', b], home);
      assert.equal(down.code, 0, down.stderr);
      const left = await labelled(PROJECT, b);
      assert.deepEqual([left.containers.length, left.networks.length, left.volumes.map((v) => v.Name)], [0, 0, []], b);
    }
    // Nothing names a removed data volume as its own (the links and upper layers carry the env's labels too).
    for (const b of [branch, second]) {
      const name = envNames(PROJECT, b).volume('db');
      assert.deepEqual(await uppersOf(docker, name), [], b);
      await assert.rejects(
        docker.getVolume(`${name}-links`).inspect(),
        (e: { statusCode?: number }) => e.statusCode === 404,
      );
    }
    assert.deepEqual(await snapshotVolumes(snapId), current);
  });
});
