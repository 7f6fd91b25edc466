/**
 * Masked snapshots on the real Docker Engine: made into a labelled volume with no container left,
 * nothing left behind when making fails, a clone that logs in with its own password only (and
 * keeps working after the snapshot's container is long gone), a remade snapshot replacing
 * its volume, and the snapshot server of earlier versions removed. A preview whose data volume is
 * a plain volume gets a copy; one whose data volume is layered (an overlay, as `up` makes a seeded
 * database's) is layered on the snapshot with no copy, leaves the snapshot's files unchanged, and
 * keeps a replaced snapshot alive until it moves off it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import {
  SNAPSHOT_ID_LABEL,
  SNAPSHOT_LABEL,
  findSnapshot,
  makeSnapshot,
  removeContainer,
  waitForLogin,
} from '../../environments/data/snapshot';
import { cloneSnapshot } from '../../environments/data/snapshot-clone';
import { releaseSnapshots } from '../../environments/data/snapshot-refs';
import {
  LAYER_SNAPSHOT_LABEL,
  createLayeredVolume,
  removeLayers,
  uppersOf,
} from '../../environments/docker/provider/layered-volume';
import { RUN, docker, removeDir, tempHome } from './helpers';

const IMAGE = 'slipway/postgres:15';
const DB = { image: IMAGE, user: 'app', database: 'app' };
const PROJECT = `snaptest${RUN}`;

async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}

const labelled = async (id: string) => ({
  volumes: (
    (await docker.listVolumes({ filters: JSON.stringify({ label: [`${SNAPSHOT_ID_LABEL}=${id}`] }) })).Volumes ?? []
  ).map((v) => v.Name),
  containers: (
    await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${SNAPSHOT_ID_LABEL}=${id}`] }) })
  ).map((c) => c.Names[0]),
});

/** A running PostgreSQL as `up` makes a preview database: its own volume (layered: an overlay) and generated password. */
async function preview(name: string, layered = false): Promise<{ url: string; password: string }> {
  const password = randomBytes(12).toString('hex');
  if (!layered) await docker.createVolume({ Name: `${name}-data` });
  else assert.ok(await createLayeredVolume('', `${name}-data`, {}, IMAGE), 'this engine refused the overlay volume');
  const c = await docker.createContainer({
    name,
    Image: IMAGE,
    Env: ['POSTGRES_USER=app', 'POSTGRES_DB=app', `POSTGRES_PASSWORD=${password}`],
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
  return { url, password };
}

/** The preview's URL after a restart (its port was not fixed). */
async function urlOf(name: string, password: string): Promise<string> {
  const port = (await docker.getContainer(name).inspect()).NetworkSettings.Ports['5432/tcp'][0].HostPort;
  return `postgres://app:${password}@127.0.0.1:${port}/app`;
}

describe('masked snapshots as volumes, cloned at the Docker level (real Docker)', function () {
  this.timeout(10 * 60 * 1000);
  let home: string;
  const previews: string[] = [];
  const ids = [`snap_${RUN}aaaaaaaaaa`, `snap_${RUN}bbbbbbbbbb`];

  before(async () => {
    await docker.ping().catch((err: Error) => {
      throw new Error(`these tests need a Docker Engine (${err.message}): run \`npm run setup\``);
    });
    await docker
      .getImage(IMAGE)
      .inspect()
      .catch(() => {
        throw new Error(`these tests need the local image ${IMAGE}: run \`npm run setup\``);
      });
    home = tempHome('snapshot');
  });

  after(async () => {
    for (const p of previews) {
      await removeContainer(docker, p);
      await docker
        .getVolume(`${p}-data`)
        .remove()
        .catch(() => undefined);
      await removeLayers(docker, `${p}-data`).catch(() => undefined);
    }
    for (const id of ids)
      for (const v of (await labelled(id)).volumes)
        await docker
          .getVolume(v)
          .remove()
          .catch(() => undefined);
    if (home) removeDir(home);
  });

  const fill = (rows: number) => async (url: string) => {
    await sql(
      url,
      `CREATE TABLE people (id int PRIMARY KEY, email text); INSERT INTO people SELECT g, 'p' || g || '@example.com' FROM generate_series(1, ${rows}) g`,
    );
    return { rows, tables: 1 };
  };

  it('makes a snapshot into one labelled volume, removes its container, records it; a failed making leaves nothing', async () => {
    const snap = await makeSnapshot(docker, { home, project: PROJECT, id: ids[0], db: DB }, fill(500));
    assert.equal(snap.rows, 500);
    assert.deepEqual(await labelled(ids[0]), { volumes: [snap.volume], containers: [] });
    assert.deepEqual(await findSnapshot(docker, home, PROJECT, ids[0]), snap);

    await assert.rejects(
      makeSnapshot(docker, { home, project: PROJECT, id: ids[1], db: DB }, async (url) => {
        await fill(10)(url);
        throw new Error('the source went away');
      }),
      /the source went away/,
    );
    assert.deepEqual(await labelled(ids[1]), { volumes: [], containers: [] });
    assert.equal(await findSnapshot(docker, home, PROJECT, ids[1]), undefined);
    assert.ok(!existsSync(join(home, 'snapshots', PROJECT, `${ids[1]}.json`)));
  });

  it('clones into previews that log in with their own passwords only, refusing a non-empty one unless replacing', async () => {
    const snap = (await findSnapshot(docker, home, PROJECT, ids[0]))!;
    const [a, b] = [`slipway-${PROJECT}-a`, `slipway-${PROJECT}-b`];
    previews.push(a, b);
    const pa = await preview(a);
    const pb = await preview(b);
    // Plain data volumes: the engine's volumes are not overlays, so the snapshot is copied.
    assert.equal(
      await cloneSnapshot(docker, snap, { container: a, user: 'app', password: pa.password, url: pa.url }),
      'copy',
    );
    await cloneSnapshot(docker, snap, { container: b, user: 'app', password: pb.password, url: pb.url });
    const ua = await urlOf(a, pa.password);
    const ub = await urlOf(b, pb.password);
    assert.deepEqual(await sql(ua, 'SELECT count(*)::int AS n FROM people'), [{ n: 500 }]);
    assert.deepEqual(await sql(ub, 'SELECT count(*)::int AS n FROM people'), [{ n: 500 }]);
    await assert.rejects(sql(ua.replace(pa.password, pb.password), 'SELECT 1'), /password authentication failed/);
    // Each clone is its own copy.
    await sql(ua, 'DELETE FROM people WHERE id > 100');
    assert.deepEqual(await sql(ub, 'SELECT count(*)::int AS n FROM people'), [{ n: 500 }]);
    await assert.rejects(
      cloneSnapshot(docker, snap, { container: a, user: 'app', password: pa.password, url: ua }),
      /already holds tables/,
    );
    assert.ok((await docker.getContainer(a).inspect()).State.Running, 'a refused clone leaves the database running');
    await cloneSnapshot(docker, snap, { container: a, user: 'app', password: pa.password, url: ua }, { replace: true });
    assert.deepEqual(await sql(await urlOf(a, pa.password), 'SELECT count(*)::int AS n FROM people'), [{ n: 500 }]);
    assert.deepEqual((await labelled(ids[0])).containers, []);
  });

  it('a remade snapshot replaces its volume, and new clones get the new data', async () => {
    const old = (await findSnapshot(docker, home, PROJECT, ids[0]))!;
    const snap = await makeSnapshot(docker, { home, project: PROJECT, id: ids[0], db: DB }, fill(700));
    assert.notEqual(snap.volume, old.volume);
    assert.deepEqual(await labelled(ids[0]), { volumes: [snap.volume], containers: [] });
    const c = `slipway-${PROJECT}-c`;
    previews.push(c);
    const pc = await preview(c);
    await cloneSnapshot(docker, snap, { container: c, user: 'app', password: pc.password, url: pc.url });
    assert.deepEqual(await sql(await urlOf(c, pc.password), 'SELECT count(*)::int AS n FROM people'), [{ n: 700 }]);
  });

  it("making a snapshot removes the project's snapshot server of earlier versions (container and volume), and no other project's", async () => {
    const server = (project: string) => `slipway-snapshots-${project}`;
    const other = `${PROJECT}x`;
    const made: string[] = [];
    try {
      for (const project of [PROJECT, other]) {
        const name = server(project);
        made.push(name);
        await docker.createVolume({ Name: `${name}-data`, Labels: { [SNAPSHOT_LABEL]: project } });
        const c = await docker.createContainer({
          name,
          Image: 'slipway/busybox:local',
          Cmd: ['sleep', '3600'],
          Labels: { [SNAPSHOT_LABEL]: project },
          HostConfig: { Binds: [`${name}-data:/var/lib/postgresql/data`], RestartPolicy: { Name: 'unless-stopped' } },
        });
        await c.start();
      }
      const snap = await makeSnapshot(docker, { home, project: PROJECT, id: ids[1], db: DB }, fill(20));
      const gone = (err: { statusCode?: number }) => err.statusCode === 404;
      await assert.rejects(docker.getContainer(server(PROJECT)).inspect(), gone);
      await assert.rejects(docker.getVolume(`${server(PROJECT)}-data`).inspect(), gone);
      assert.ok((await docker.getContainer(server(other)).inspect()).State.Running, "another project's stays");
      await docker.getVolume(`${server(other)}-data`).inspect();
      // Today's snapshots of the project are not touched.
      assert.deepEqual(await labelled(ids[1]), { volumes: [snap.volume], containers: [] });
      assert.deepEqual((await labelled(ids[0])).volumes.length, 1);
    } finally {
      for (const name of made) {
        await removeContainer(docker, name);
        await docker
          .getVolume(`${name}-data`)
          .remove()
          .catch(() => undefined);
      }
    }
  });

  it('layers previews on the snapshot with no copy: own passwords, own writes, the snapshot files unchanged', async () => {
    // The image declares a data VOLUME: a throwaway container of it that is removed without its
    // anonymous volume leaves one behind on every clone.
    const anonymous = async () =>
      ((await docker.listVolumes({ filters: JSON.stringify({ dangling: ['true'] }) })).Volumes ?? [])
        .map((v) => v.Name)
        .filter((n) => /^[0-9a-f]{64}$/.test(n));
    const leftBefore = new Set(await anonymous());
    const snap = (await findSnapshot(docker, home, PROJECT, ids[0]))!;
    const before = await digest(snap.volume);
    const [a, b] = [`slipway-${PROJECT}-la`, `slipway-${PROJECT}-lb`];
    previews.push(a, b);
    const pa = await preview(a, true);
    const pb = await preview(b, true);
    const ta = { container: a, user: 'app', password: pa.password, url: pa.url };
    assert.equal(await cloneSnapshot(docker, snap, ta), 'overlay');
    assert.equal(
      await cloneSnapshot(docker, snap, { container: b, user: 'app', password: pb.password, url: pb.url }),
      'overlay',
    );
    const ua = await urlOf(a, pa.password);
    const ub = await urlOf(b, pb.password);
    const count = async (u: string) => (await sql<{ n: number }>(u, 'SELECT count(*)::int AS n FROM people'))[0].n;
    assert.equal(await count(ua), 700);
    assert.equal(await count(ub), 700);
    await assert.rejects(sql(ua.replace(pa.password, pb.password), 'SELECT 1'), /password authentication failed/);
    // Writes of one preview reach neither the other nor the snapshot.
    await sql(
      ua,
      "DELETE FROM people WHERE id > 100; UPDATE people SET email = 'x'; CREATE TABLE extra AS SELECT g FROM generate_series(1, 50000) g; CHECKPOINT",
    );
    assert.equal(await count(ua), 100);
    assert.equal(await count(ub), 700);
    assert.equal(await digest(snap.volume), before);
    // One upper layer per preview, naming the snapshot volume; the one `up` made before the clone is gone.
    for (const p of [a, b]) {
      const uppers = await uppersOf(docker, `${p}-data`);
      assert.equal(uppers.length, 1, p);
      const v = await docker.getVolume(uppers[0]).inspect();
      assert.equal(v.Labels?.[LAYER_SNAPSHOT_LABEL], snap.volume);
    }
    // A re-seed is a new upper layer: the preview's writes are gone, the old layer with them.
    const old = await uppersOf(docker, `${a}-data`);
    assert.equal(await cloneSnapshot(docker, snap, { ...ta, url: ua }, { replace: true }), 'overlay');
    assert.equal(await count(await urlOf(a, pa.password)), 700);
    const now = await uppersOf(docker, `${a}-data`);
    assert.equal(now.length, 1);
    assert.notEqual(now[0], old[0]);
    assert.deepEqual((await labelled(ids[0])).containers, []);
    assert.deepEqual(
      (await anonymous()).filter((v) => !leftBefore.has(v)),
      [],
      'no anonymous volume of a helper container is left',
    );
  });

  it('a remade snapshot stays while a layered preview reads it, and goes when the last one moves off', async () => {
    const old = (await findSnapshot(docker, home, PROJECT, ids[0]))!;
    const snap = await makeSnapshot(docker, { home, project: PROJECT, id: ids[0], db: DB }, fill(900));
    assert.deepEqual((await labelled(ids[0])).volumes.sort(), [old.volume, snap.volume].sort());
    const [a, b] = [`slipway-${PROJECT}-la`, `slipway-${PROJECT}-lb`];
    const passwordOf = async (c: string) =>
      (await docker.getContainer(c).inspect()).Config.Env.find((e) => e.startsWith('POSTGRES_PASSWORD='))!.slice(18);
    const [pa, pb] = [await passwordOf(a), await passwordOf(b)];
    // The preview still on the old snapshot keeps working across a restart.
    await docker.getContainer(b).restart();
    const ub = await urlOf(b, pb);
    await waitForLogin(ub, b);
    assert.equal((await sql<{ n: number }>(ub, 'SELECT count(*)::int AS n FROM people'))[0].n, 700);
    const ta = { container: a, user: 'app', password: pa, url: await urlOf(a, pa) };
    assert.equal(await cloneSnapshot(docker, snap, ta, { replace: true }), 'overlay');
    assert.deepEqual(await releaseSnapshots(docker, home, PROJECT), []);
    await docker.getVolume(old.volume).inspect();
    assert.equal(
      await cloneSnapshot(docker, snap, { container: b, user: 'app', password: pb, url: ub }, { replace: true }),
      'overlay',
    );
    assert.deepEqual(await releaseSnapshots(docker, home, PROJECT), [old.volume]);
    assert.deepEqual((await labelled(ids[0])).volumes, [snap.volume]);
    assert.equal((await sql<{ n: number }>(await urlOf(b, pb), 'SELECT count(*)::int AS n FROM people'))[0].n, 900);
  });
});

/** A digest of every file of a volume (names, sizes and contents), read in a throwaway container. */
async function digest(volume: string): Promise<string> {
  const c = await docker.createContainer({
    Image: IMAGE,
    Entrypoint: ['sh', '-c', 'cd /v && find . -type f -print0 | sort -z | xargs -0 md5sum | md5sum'],
    Cmd: [],
    NetworkDisabled: true,
    HostConfig: { Binds: [`${volume}:/v:ro`] },
  });
  try {
    await c.start();
    assert.equal(((await c.wait()) as { StatusCode: number }).StatusCode, 0);
    return (await c.logs({ stdout: true }))
      .toString('latin1')
      .replace(/[^0-9a-f]/g, '')
      .slice(0, 32);
  } finally {
    await c.remove({ force: true, v: true });
  }
}
