/** Recreates the source's schema in the target with pg_dump/pg_restore: pre-data before the rows, post-data (keys, indexes, triggers) after. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SlipwayError } from '../errors';

/** libpq environment for a connection URL, so no password ever appears in a process's arguments. */
export function libpqEnv(url: string): NodeJS.ProcessEnv {
  const u = new URL(url);
  const env: NodeJS.ProcessEnv = {
    PGHOST: decodeURIComponent(u.hostname.replace(/^\[|\]$/g, '')) || 'localhost',
    PGPORT: u.port || '5432',
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)) || 'postgres',
  };
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  const sslmode = u.searchParams.get('sslmode');
  if (sslmode) env.PGSSLMODE = sslmode;
  return env;
}

/** The folder of the newest PostgreSQL client tools (pg_dump must be at least the server's version). */
export function postgresTools(preferred?: string): string {
  if (preferred) return preferred;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (existsSync(join(root, v, 'bin', 'pg_dump'))) return join(root, v, 'bin');
  }
  return ''; // on PATH
}

/**
 * Settles when a PostgreSQL client tool ends: resolves on exit 0, else rejects with `failure`
 * (given the exit code and the end of its stderr); a missing tool gets an install hint.
 */
export function toolExit(
  child: ChildProcess,
  tool: string,
  failure: (code: number | null, stderr: string) => SlipwayError,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    child.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return reject(err);
      reject(
        new SlipwayError('data-copy-failed', `${tool} was not found, and the masked copy needs it.`, {
          hint: "Install the PostgreSQL client tools (Debian/Ubuntu: apt-get install postgresql-client; macOS: brew install libpq), at least the source server's version.",
          cause: err,
        }),
      );
    });
    child.on('close', (code) => (code === 0 ? resolve() : reject(failure(code, stderr.trim()))));
  });
}

function run(tool: string, args: string[], env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<void> {
  const child = spawn(tool, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], signal });
  return toolExit(
    child,
    tool,
    (code, stderr) =>
      new SlipwayError('data-copy-failed', `${tool} failed (exit ${code}): ${stderr}`, {
        hint: 'Check that the source and target databases are reachable and that the target is empty, then seed again.',
      }),
  );
}

export interface DumpOptions {
  /** A snapshot exported by the source session, so the schema matches the rows copied. */
  snapshot?: string;
  /** Tables (schema, name) left out entirely. */
  exclude: Array<{ schema: string; name: string }>;
  toolsDir?: string;
  signal?: AbortSignal;
}

/** pg_dump's pattern for exactly one table (quoted, so no wildcard or case folding applies). */
const pattern = (t: { schema: string; name: string }) =>
  `"${t.schema.replace(/"/g, '""')}"."${t.name.replace(/"/g, '""')}"`;

/** Dumps the source's schema (no rows, owners or grants) into `file` in pg_dump's custom format. */
export function dumpSchema(sourceUrl: string, file: string, options: DumpOptions): Promise<void> {
  const args = ['--schema-only', '--format=custom', '--no-owner', '--no-privileges', '--file', file];
  if (options.snapshot) args.push(`--snapshot=${options.snapshot}`);
  for (const t of options.exclude) args.push(`--exclude-table=${pattern(t)}`);
  return run(join(postgresTools(options.toolsDir), 'pg_dump'), args, libpqEnv(sourceUrl), options.signal);
}

/** Restores one section of a schema dump into the target, in one transaction (all or nothing). */
export function restoreSection(
  targetUrl: string,
  file: string,
  section: 'pre-data' | 'post-data',
  options: { toolsDir?: string; signal?: AbortSignal },
): Promise<void> {
  const env = libpqEnv(targetUrl);
  const args = [
    `--section=${section}`,
    '--no-owner',
    '--no-privileges',
    '--exit-on-error',
    '--single-transaction',
    '--dbname',
    env.PGDATABASE ?? 'postgres',
    file,
  ];
  return run(join(postgresTools(options.toolsDir), 'pg_restore'), args, env, options.signal);
}
