/** A real image registry for tests: Debian's docker-registry serving a temp folder on a free 127.0.0.1 port, optionally behind htpasswd basic auth, stopped and removed by `stop()`. */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { removeDir, tempHome } from './helpers';

export interface RegistryServer {
  /** host:port, as image names and a stage's `registry` write it. */
  address: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * A bcrypt hash of `password` (the only kind docker-registry's htpasswd accepts), made by the C
 * library's crypt(3) through perl, which every Debian has.
 */
function bcrypt(password: string): string {
  const salt = randomBytes(16)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '.')
    .slice(0, 22);
  const run = spawnSync('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, `$2b$05$${salt}`], {
    encoding: 'utf8',
  });
  if (run.error || !run.stdout.startsWith('$2b$'))
    throw new Error(
      `perl's crypt() made no bcrypt hash for the registry's htpasswd: ${run.error?.message ?? run.stderr}`,
    );
  return run.stdout;
}

/**
 * Starts it and waits for its /v2/ answer; fails saying why (not installed, did not answer, with
 * its output). With `auth`, every request needs that user and password (htpasswd basic auth,
 * which it serves over plain HTTP: engines trust 127.0.0.0/8 registries without TLS).
 */
export async function startRegistry(
  prefix: string,
  auth?: { username: string; password: string },
): Promise<RegistryServer> {
  if (spawnSync('docker-registry', ['--version']).error)
    throw new Error(
      "docker-registry is not installed: run `npm run setup` (scripts/bootstrap-system.sh installs Debian's docker-registry).",
    );
  const dir = tempHome(prefix);
  const port = await freePort();
  const config = join(dir, 'config.yml');
  const htpasswd = join(dir, 'htpasswd');
  if (auth) writeFileSync(htpasswd, `${auth.username}:${bcrypt(auth.password)}\n`);
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\nhttp:\n  addr: 127.0.0.1:${port}\n` +
      (auth ? `auth:\n  htpasswd:\n    realm: slipway-test\n    path: ${htpasswd}\n` : ''),
  );
  const server = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  server.stderr.on('data', (d) => (output = (output + String(d)).slice(-4000)));
  server.on('error', () => undefined); // one that fails to start is reported below
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    }
    removeDir(dir);
  };
  const until = Date.now() + 30_000;
  for (;;) {
    const status = await fetch(`http://127.0.0.1:${port}/v2/`)
      .then((r) => r.status)
      .catch(() => 0);
    if (status === (auth ? 401 : 200)) return { address: `127.0.0.1:${port}`, stop };
    if (server.exitCode !== null || Date.now() > until) {
      await stop();
      throw new Error(`docker-registry did not answer on 127.0.0.1:${port} within 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
