/** A private PostgreSQL server for integration tests: initdb into a temp folder, postgres on a free 127.0.0.1 port. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { waitFor } from '../wait';

const INSTALL_HINT =
  'the data-masking tests need PostgreSQL (initdb, postgres, pg_dump): run `npm run setup` as root on Debian/Ubuntu ' +
  '(it installs the postgresql package), or install it yourself (Debian/Ubuntu: apt-get install postgresql; ' +
  'macOS: brew install postgresql@15; elsewhere: https://www.postgresql.org/download/).';

export interface PostgresServer {
  port: number;
  /** The folder holding this server's binaries (initdb, postgres, pg_dump). */
  binDir: string;
  /** The URL of `database` on this server, as the superuser. */
  url(database?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** The newest PostgreSQL server binaries: /usr/lib/postgresql/<version>/bin, else initdb on PATH. Throws saying how to install. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+(\.\d+)?$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const version of versions) {
    const dir = join(root, version, 'bin');
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const initdb = which.stdout.trim();
  if (which.status === 0 && initdb) return join(initdb, '..');
  throw new Error(`PostgreSQL is not installed: no initdb under ${root}/*/bin or on PATH; ${INSTALL_HINT}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs a command as the `postgres` user when we are root (PostgreSQL refuses to run as root). */
function asPostgres(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  let last = '';
  await waitFor(
    () => `postgres to accept connections (${last}):\n${log()}`,
    async () => {
      if (child.exitCode !== null)
        throw new Error(`postgres exited with code ${child.exitCode} before accepting connections:\n${log()}`);
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        await client.end();
        return true;
      } catch (err) {
        await client.end().catch(() => undefined);
        last = (err as Error).message;
        return false;
      }
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

/** Starts a private server (trust auth, 127.0.0.1 only). Fails, never skips, when PostgreSQL is missing. */
export async function startPostgres(): Promise<PostgresServer> {
  const binDir = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'slipway-pg-'));
  const dataDir = join(dir, 'data');
  if (process.getuid?.() === 0) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (id.status !== 0)
      throw new Error(
        `running as root, the tests start PostgreSQL as the \`postgres\` user, which does not exist; ${INSTALL_HINT}`,
      );
    chownSync(dir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
  }
  const [initCmd, initArgs] = asPostgres(join(binDir, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.error?.message}`);
  }
  const port = await freePort();
  const [cmd, args] = asPostgres(join(binDir, 'postgres'), [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
  ]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const url = (database = 'postgres') => `postgresql://postgres@127.0.0.1:${port}/${database}`;
  const stop = async () => {
    const pidFile = join(dataDir, 'postmaster.pid');
    if (child.exitCode === null) {
      // runuser forwards signals, but the postmaster's own pid is the one that must get SIGINT (fast shutdown).
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : child.pid;
      try {
        if (pid) process.kill(pid, 'SIGINT');
      } catch {
        /* already gone */
      }
      await waitFor('postgres to shut down', () => child.exitCode !== null || child.signalCode !== null, {
        timeoutMs: 15_000,
      }).catch(() => child.kill('SIGKILL'));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(url(), child, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    binDir,
    url,
    stop,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
  };
}

/** Runs `fn` with a client connected to `url`, and closes it. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The rows of one query against `url`. */
export function query<T = Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  return withClient(url, async (c) => (await c.query(text)).rows as T[]);
}
