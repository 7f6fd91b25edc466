/**
 * Masked snapshots: the masked copy of a (source, policy, project key) for one database image,
 * user and name is made once into a stopped PostgreSQL data folder in a Slipway-labelled Docker
 * volume (`dev.slipway.snapshots`), recorded in SLIPWAY_HOME/snapshots/<project>/<id>.json; each
 * new preview database is a copy of that folder (snapshot-clone.ts), not a masking run.
 */
import { createHash, randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import pg from 'pg';
import { SlipwayError } from '../errors';
import { writeFileAtomically } from '../files';
import type { DatabaseSpec } from '../spec/types';
import { checkFields, readStoredJson } from '../stored';

import {
  SNAPSHOT_HOME_LABEL,
  SNAPSHOT_ID_LABEL,
  SNAPSHOT_LABEL,
  homeId,
  recordPath,
  releaseSnapshots,
} from './snapshot-refs';

export { SNAPSHOT_HOME_LABEL, SNAPSHOT_ID_LABEL, SNAPSHOT_LABEL } from './snapshot-refs';
/** Where a snapshot volume holds its data folder, in the containers that make and copy it. */
export const SNAPSHOT_DATA = '/snapshot/data';
/** Bumped when masking gives other outputs for the same input, so older snapshots are not reused. */
const MASKING_VERSION = 2;

export interface Snapshot {
  id: string;
  /** The Docker volume holding the stopped data folder. */
  volume: string;
  rows: number;
  tables: number;
  madeAt: string;
  /** The image, superuser and database it was made with (a clone runs on the same). */
  image: string;
  user: string;
  database: string;
}

/** The snapshot id of a source (as shown, no password), a policy hash, the project key and the database it is made for. */
export function snapshotId(
  sourceShown: string,
  policyHash: string,
  key: Buffer,
  db?: Pick<DatabaseSpec, 'image' | 'user' | 'database'>,
): string {
  const keyId = createHash('sha256').update(key).digest('hex');
  const made = db ? `\0${db.image}\0${db.user}\0${db.database}\0v${MASKING_VERSION}` : '';
  return `snap_${createHash('sha256').update(`${sourceShown}\0${policyHash}\0${keyId}${made}`).digest('hex').slice(0, 16)}`;
}

/** The snapshot `id` of the project, when its record exists and its volume is still there. */
export async function findSnapshot(
  docker: Docker,
  home: string,
  project: string,
  id: string,
): Promise<Snapshot | undefined> {
  const snap = readStoredJson<Snapshot>(
    recordPath(home, project, id),
    (v) =>
      checkFields(v, {
        id: 'string',
        volume: 'string',
        rows: 'number',
        tables: 'number',
        madeAt: 'string',
        image: 'string',
        user: 'string',
        database: 'string',
      }),
    'remove it: the next seed makes the snapshot again',
  );
  if (!snap) return undefined;
  const exists = await docker
    .getVolume(snap.volume)
    .inspect()
    .then(() => true)
    .catch(() => false);
  return exists ? snap : undefined;
}

async function query(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Waits until `url` accepts a login (a PostgreSQL that was just started). */
export async function waitForLogin(url: string, what: string, signal?: AbortSignal, timeoutMs = 60_000): Promise<void> {
  let last: string | undefined;
  for (const deadline = Date.now() + timeoutMs; ;) {
    signal?.throwIfAborted();
    try {
      await query(url, 'SELECT 1');
      return;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline)
      throw new SlipwayError(
        'operation-failed',
        `${what} did not accept a login within ${timeoutMs / 1000} s (${last}).`,
        {
          hint: 'See its container log (docker logs); run the seed again.',
        },
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Removes a container (and the anonymous volume its image declares) if it is there. */
export async function removeContainer(docker: Docker, name: string): Promise<void> {
  await docker
    .getContainer(name)
    .remove({ force: true, v: true })
    .catch(() => undefined);
}

export interface SnapshotPlace {
  home: string;
  project: string;
  id: string;
  db: Pick<DatabaseSpec, 'image' | 'user' | 'database'>;
}

/**
 * Makes the snapshot with `fill` (the masked copy into the URL it is given): a new volume, a
 * PostgreSQL from the database's image initialised in it (published on 127.0.0.1 only, a password
 * of its own that dies with it), filled, analysed, stopped cleanly and removed. Only then is the
 * record written, so a failed or interrupted run leaves no snapshot that looks whole (its container
 * and volume are removed). The previous volume of the same id, and leftovers of interrupted runs,
 * are removed unless a clone is reading them or a preview database is layered on them
 * (./snapshot-refs.ts).
 */
export async function makeSnapshot(
  docker: Docker,
  place: SnapshotPlace,
  fill: (url: string) => Promise<{ rows: number; tables: number }>,
  signal?: AbortSignal,
): Promise<Snapshot> {
  const { home, project, id, db } = place;
  const volume = `slipway-snap-${project}-${id.slice(5, 13)}-${randomBytes(4).toString('hex')}`;
  const container = `${volume}-making`;
  const labels = { [SNAPSHOT_LABEL]: project, [SNAPSHOT_ID_LABEL]: id, [SNAPSHOT_HOME_LABEL]: homeId(home) };
  await docker.createVolume({ Name: volume, Labels: labels });
  const password = randomBytes(18).toString('hex');
  const cancel = () => void removeContainer(docker, container);
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    const made = await docker.createContainer({
      name: container,
      Image: db.image,
      Env: [
        `POSTGRES_USER=${db.user}`,
        `POSTGRES_DB=${db.database}`,
        `POSTGRES_PASSWORD=${password}`,
        `PGDATA=${SNAPSHOT_DATA}`,
      ],
      // While making: index builds skip the WAL, and spent WAL segments are removed, not kept
      // for reuse, so the folder each clone copies holds the data and little else.
      Cmd: ['postgres', '-c', 'wal_level=minimal', '-c', 'max_wal_senders=0', '-c', 'wal_recycle=off'],
      Labels: labels,
      ExposedPorts: { '5432/tcp': {} },
      HostConfig: {
        PortBindings: { '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
        Binds: [`${volume}:/snapshot`],
      },
    });
    await made.start();
    const port = (await made.inspect()).NetworkSettings.Ports?.['5432/tcp']?.[0]?.HostPort;
    if (!port) throw new SlipwayError('operation-failed', `The snapshot container ${container} publishes no port.`);
    const url = `postgres://${encodeURIComponent(db.user)}:${password}@127.0.0.1:${port}/${encodeURIComponent(db.database)}`;
    await waitForLogin(url, `The snapshot container ${container}`, signal);
    const figures = await fill(url);
    // Hint bits, visibility map and statistics once here, not in every preview.
    await query(url, 'VACUUM ANALYZE');
    await query(url, 'CHECKPOINT');
    await made.stop({ t: 60 });
    await removeContainer(docker, container);
    const snapshot: Snapshot = { id, volume, ...figures, madeAt: new Date().toISOString(), ...pick(db) };
    writeFileAtomically(recordPath(home, project, id), JSON.stringify(snapshot, null, 2) + '\n');
    // The volume it replaces goes now, or when the last preview layered on it is removed.
    await releaseSnapshots(docker, home, project);
    await removeSnapshotServer(docker, project);
    return snapshot;
  } catch (err) {
    await removeContainer(docker, container);
    await docker
      .getVolume(volume)
      .remove()
      .catch(() => undefined);
    throw err;
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
}

const pick = (db: SnapshotPlace['db']) => ({ image: db.image, user: db.user, database: db.database });

/**
 * Removes the project's snapshot server of earlier Slipway versions, which kept snapshots as
 * databases of a running PostgreSQL (container `slipway-snapshots-<project>`, volume
 * `<container>-data`, labelled for the project's snapshots but naming no snapshot): nothing reads
 * it any more. A container or volume of today's snapshots (labelled with their id) is never one.
 */
export async function removeSnapshotServer(docker: Docker, project: string): Promise<void> {
  const name = `slipway-snapshots-${project}`;
  const old = (labels: Record<string, string> | undefined | null) =>
    labels?.[SNAPSHOT_LABEL] === project && labels[SNAPSHOT_ID_LABEL] === undefined;
  const containers = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ name: [`^/${name}$`], label: [`${SNAPSHOT_LABEL}=${project}`] }),
  });
  for (const c of containers)
    if (c.Names.includes(`/${name}`) && old(c.Labels))
      await docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch((err: { statusCode?: number }) => (err.statusCode === 404 ? undefined : Promise.reject(err)));
  const volume = await docker
    .getVolume(`${name}-data`)
    .inspect()
    .catch(() => undefined);
  if (volume && old(volume.Labels))
    await docker
      .getVolume(volume.Name)
      .remove()
      .catch((err: { statusCode?: number }) => (err.statusCode === 404 ? undefined : Promise.reject(err)));
}
