/** What a Swarm task runs: its HTTP health check (curl, nc, or node when the image has neither) and the shell that reads secrets into variables. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { secretLaunch, swarmHealthcheck, taskProcess } from '../../environments/docker/provider/swarm-service';

/** Runs the check's shell with only node on PATH (`bin`: an image with neither curl nor nc); its exit code. */
function runCheck(bin: string, port: number, path: string): Promise<number | null> {
  const check = swarmHealthcheck({ http: { path, port }, intervalMs: 500, timeoutMs: 1000 }) as { Test: string[] };
  assert.equal(check.Test[0], 'CMD-SHELL');
  // Not spawnSync: the server answering it runs in this process.
  const child = spawn('/bin/sh', ['-c', check.Test[1]], { env: { PATH: bin }, stdio: 'ignore' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('a Swarm task', () => {
  let server: Server;
  let port: number;
  let bin: string;
  before(async () => {
    bin = mkdtempSync(join(tmpdir(), 'slipway-node-only-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    server = createServer((req, res) => {
      res.statusCode = req.url === '/healthz' ? 200 : 503;
      res.end('x');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    rmSync(bin, { recursive: true, force: true });
    await new Promise((resolve) => server.close(resolve));
  });

  it('passes its HTTP health check through node on a 2xx only, in an image with neither curl nor nc', async () => {
    assert.equal(await runCheck(bin, port, '/healthz'), 0);
    assert.equal(await runCheck(bin, port, '/broken'), 1);
    // Port 1: nothing listens there.
    assert.equal(await runCheck(bin, 1, '/healthz'), 1);
  });

  it("runs the service's entrypoint instead of the image's, and then not the image's CMD", () => {
    const image = { Entrypoint: ['docker-entrypoint.sh'], Cmd: ['postgres'] };
    assert.deepEqual(taskProcess({}, image), { entrypoint: ['docker-entrypoint.sh'], args: ['postgres'] });
    assert.deepEqual(taskProcess({ command: ['psql'] }, image), {
      entrypoint: ['docker-entrypoint.sh'],
      args: ['psql'],
    });
    assert.deepEqual(taskProcess({ entrypoint: ['/app/run'] }, image), { entrypoint: ['/app/run'], args: [] });
    assert.deepEqual(taskProcess({ entrypoint: ['/app/run'], command: ['--fast'] }, { Entrypoint: null, Cmd: null }), {
      entrypoint: ['/app/run'],
      args: ['--fast'],
    });
  });

  it("exports each secret variable from its file, drops its _FILE, and runs the image's entrypoint and command", () => {
    const launch = secretLaunch(['DATABASE_URL'], ['docker-entrypoint.sh'], ['node', 'server.js']);
    assert.deepEqual(launch.Command, [
      '/bin/sh',
      '-c',
      'export DATABASE_URL="$(cat /run/secrets/DATABASE_URL)"; unset DATABASE_URL_FILE; exec "$@"',
      'sh',
    ]);
    assert.deepEqual(launch.Args, ['docker-entrypoint.sh', 'node', 'server.js']);
    // The same script over a folder of this machine: the variable reaches the command, _FILE does not.
    const script = launch.Command[2].replaceAll('/run/secrets', '"$SECRETS"');
    const dir = mkdtempSync(join(tmpdir(), 'slipway-secrets-'));
    writeFileSync(join(dir, 'DATABASE_URL'), 'postgres://u:p@db:5432/d');
    const run = spawnSync('/bin/sh', ['-c', script, 'sh', 'sh', '-c', 'echo "$DATABASE_URL|${DATABASE_URL_FILE:-}"'], {
      env: { PATH: process.env.PATH, SECRETS: dir, DATABASE_URL_FILE: `${dir}/DATABASE_URL` },
      encoding: 'utf8',
    });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(run.stdout.trim(), 'postgres://u:p@db:5432/d|');
  });
});
