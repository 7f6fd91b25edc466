/**
 * Masked snapshots: the masked copy of a (source, policy, project key) is made once into a template
 * database `snap_<id>` of a PostgreSQL server Slipway keeps per project (container and volume
 * `slipway-snapshots-<project>`, label `dev.slipway.snapshots`); each new preview database is a
 * plain copy of that snapshot (pg_dump | pg_restore: no masking, no check), not a masking run.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type Docker from 'dockerode';
import pg from 'pg';
import { SlipwayError } from '../errors';
import type { DatabaseSpec } from '../spec/types';
import { libpqEnv, postgresTools, toolExit } from './schema-copy';
import { prepareTarget } from './target';

export const SNAPSHOT_LABEL = 'dev.slipway.snapshots';

export interface Snapshot {
  id: string;
  rows: number;
  tables: number;
  madeAt: string;
}

/** The snapshot id of a source (as shown, no password), a policy hash and the project key. */
export function snapshotId(sourceShown: string, policyHash: string, key: Buffer): string {
  const keyId = createHash('sha256').update(key).digest('hex');
  return `snap_${createHash('sha256').update(`${sourceShown}\0${policyHash}\0${keyId}`).digest('hex').slice(0, 16)}`;
}

async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const withDatabase = (url: string, database: string) => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};

/** The project's snapshot server, started (and made the first time) from the database's image; its admin URL on 127.0.0.1. */
export async function snapshotServer(docker: Docker, project: string, db: DatabaseSpec): Promise<string> {
  const name = `slipway-snapshots-${project}`;
  let info = await docker
    .getContainer(name)
    .inspect()
    .catch(() => undefined);
  if (!info) {
    await docker.createVolume({ Name: `${name}-data`, Labels: { [SNAPSHOT_LABEL]: project } });
    await docker
      .createContainer({
        name,
        Image: db.image,
        Env: ['POSTGRES_USER=slipway', 'POSTGRES_DB=postgres', `POSTGRES_PASSWORD=${randomBytes(18).toString('hex')}`],
        Labels: { [SNAPSHOT_LABEL]: project },
        ExposedPorts: { '5432/tcp': {} },
        HostConfig: {
          PortBindings: { '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
          Binds: [`${name}-data:/var/lib/postgresql/data`],
          RestartPolicy: { Name: 'unless-stopped' },
        },
      })
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 409) throw err; // made by another process meanwhile
      });
    info = await docker.getContainer(name).inspect();
  }
  if (!info.State.Running)
    await docker
      .getContainer(name)
      .start()
      .catch((err: { statusCode?: number }) => (err.statusCode === 304 ? undefined : Promise.reject(err)));
  info = await docker.getContainer(name).inspect();
  const password = (info.Config.Env ?? [])
    .find((e) => e.startsWith('POSTGRES_PASSWORD='))!
    .slice('POSTGRES_PASSWORD='.length);
  const port = info.NetworkSettings.Ports?.['5432/tcp']?.[0]?.HostPort;
  if (!port)
    throw new SlipwayError('operation-failed', `The snapshot server ${name} publishes no port.`, {
      hint: `Remove it (docker rm -f ${name}); the next seed makes it again.`,
    });
  const url = `postgres://slipway:${password}@127.0.0.1:${port}/postgres`;
  let last: string | undefined;
  for (const deadline = Date.now() + 60_000; ;) {
    try {
      await query(url, 'SELECT 1');
      break;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline)
      throw new SlipwayError(
        'operation-failed',
        `The snapshot server ${name} did not accept connections within 60 s (${last}).`,
        { hint: `See \`docker logs ${name}\`; remove it (docker rm -f ${name}) and the next seed makes it again.` },
      );
    await new Promise((r) => setTimeout(r, 250));
  }
  return url;
}

/** The snapshot, when it was made completely (its database's comment holds its figures). */
export async function findSnapshot(serverUrl: string, id: string): Promise<Snapshot | undefined> {
  const rows = await query<{ comment: string | null }>(
    serverUrl,
    "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1",
    [id],
  );
  const comment = rows[0]?.comment;
  if (!comment?.startsWith('slipway snapshot ')) return undefined;
  return { id, ...(JSON.parse(comment.slice('slipway snapshot '.length)) as Omit<Snapshot, 'id'>) };
}

/**
 * Makes the snapshot `id` with `fill` (the masked copy into the URL it is given): into a scratch
 * database renamed to `id` only once complete, so a failed or interrupted run never leaves a
 * snapshot that looks whole. An older snapshot of the same id is replaced.
 */
export async function makeSnapshot(
  serverUrl: string,
  id: string,
  fill: (url: string) => Promise<{ rows: number; tables: number }>,
): Promise<Snapshot> {
  const scratch = `${id}_making`;
  await query(serverUrl, `DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
  await query(serverUrl, `CREATE DATABASE ${scratch}`);
  try {
    const { rows, tables } = await fill(withDatabase(serverUrl, scratch));
    const snapshot: Snapshot = { id, rows, tables, madeAt: new Date().toISOString() };
    await query(serverUrl, `DROP DATABASE IF EXISTS ${id} WITH (FORCE)`);
    await query(serverUrl, `ALTER DATABASE ${scratch} RENAME TO ${id}`);
    const { id: _, ...figures } = snapshot;
    await query(
      serverUrl,
      `COMMENT ON DATABASE ${id} IS ${pg.escapeLiteral(`slipway snapshot ${JSON.stringify(figures)}`)}`,
    );
    return snapshot;
  } catch (err) {
    await query(serverUrl, `DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`).catch(() => undefined);
    throw err;
  }
}

/** Copies the snapshot into the (empty, or cleared with `replace`) target: pg_dump's custom format piped into pg_restore. */
export async function cloneSnapshot(
  serverUrl: string,
  id: string,
  targetUrl: string,
  opts: { replace?: boolean; signal?: AbortSignal } = {},
): Promise<void> {
  const target = new pg.Client({ connectionString: targetUrl });
  target.on('error', () => undefined);
  await target.connect();
  try {
    await prepareTarget(target, !!opts.replace);
  } finally {
    await target.end().catch(() => undefined);
  }
  const tools = postgresTools();
  const targetEnv = libpqEnv(targetUrl);
  const dump = spawn(join(tools, 'pg_dump'), ['--format=custom', '--compress=0', '--no-owner', '--no-privileges'], {
    env: { ...process.env, ...libpqEnv(withDatabase(serverUrl, id)) },
    stdio: ['ignore', 'pipe', 'pipe'],
    signal: opts.signal,
  });
  const restore = spawn(
    join(tools, 'pg_restore'),
    ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', '--dbname', targetEnv.PGDATABASE!],
    { env: { ...process.env, ...targetEnv }, stdio: ['pipe', 'ignore', 'pipe'], signal: opts.signal },
  );
  dump.stdout.pipe(restore.stdin);
  const finished = (child: ReturnType<typeof spawn>, what: string) =>
    toolExit(
      child,
      what,
      (code, stderr) =>
        new SlipwayError('data-copy-failed', `${what} of snapshot ${id} failed (exit ${code}): ${stderr}`, {
          hint: 'Run `slipway data seed --fresh` to mask anew, or `slipway data sync` to remake the snapshot.',
        }),
    );
  await Promise.all([finished(dump, 'pg_dump'), finished(restore, 'pg_restore')]);
}
