/** A pg_dump file as a seed's source: restored into a scratch database beside the target, masked from there, then dropped. */
import { spawn } from 'node:child_process';
import { openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { SlipwayError } from '../errors';
import { libpqEnv, postgresTools, toolExit } from './schema-copy';

const SCRATCH = 'slipway_seed_source';

function isCustomFormat(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(5);
    readSync(fd, head, 0, 5, 0);
    return head.toString('latin1') === 'PGDMP';
  } finally {
    closeSync(fd);
  }
}

async function admin(targetUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: targetUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function restore(file: string, url: string, signal?: AbortSignal): Promise<void> {
  const env = libpqEnv(url);
  const tools = postgresTools();
  const [tool, args] = isCustomFormat(file)
    ? [
        join(tools, 'pg_restore'),
        ['--no-owner', '--no-privileges', '--exit-on-error', '--dbname', env.PGDATABASE!, file],
      ]
    : [join(tools, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file]];
  const child = spawn(tool, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], signal });
  return toolExit(
    child,
    tool,
    (code, stderr) =>
      new SlipwayError('data-copy-failed', `Restoring the dump ${file} failed (exit ${code}): ${stderr}`, {
        hint: 'Check that it is a pg_dump file (custom or plain format) of a PostgreSQL version no newer than the client tools.',
      }),
  );
}

/** Restores `file` into a scratch database on the target's server, runs `copy` from it, and drops it whatever happens. */
export async function restoreDump<T>(
  file: string,
  targetUrl: string,
  signal: AbortSignal | undefined,
  copy: (sourceUrl: string) => Promise<T>,
): Promise<T> {
  const scratch = new URL(targetUrl);
  scratch.pathname = `/${SCRATCH}`;
  await admin(targetUrl, `DROP DATABASE IF EXISTS ${SCRATCH}`);
  await admin(targetUrl, `CREATE DATABASE ${SCRATCH}`);
  try {
    await restore(file, scratch.toString(), signal);
    return await copy(scratch.toString());
  } finally {
    await admin(targetUrl, `DROP DATABASE IF EXISTS ${SCRATCH} WITH (FORCE)`).catch(() => undefined);
  }
}
