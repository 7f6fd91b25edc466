/**
 * Masked snapshots on the real Docker Engine: made into a labelled volume with no container left,
 * nothing left behind when making fails, a clone that logs in with its own password only (and
 * keeps working after the snapshot's container is long gone), a remade snapshot replacing
 * its volume, and the snapshot server of earlier versions removed.
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

/** A running PostgreSQL as `up` makes a preview database: its own volume and generated password. */
async function preview(name: string): Promise<{ url: string; password: string }> {
  const password = randomBytes(12).toString('hex');
  await docker.createVolume({ Name: `${name}-data` });
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
    await cloneSnapshot(docker, snap, { container: a, user: 'app', password: pa.password, url: pa.url });
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
});
