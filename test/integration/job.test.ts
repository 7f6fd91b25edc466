/**
 * A job (`services.<name>.job`) on the real Docker Engine and Pulumi, through the real CLI: it
 * runs to completion before the services that depend on it start, is shown as completed (status,
 * drift, the health gate), runs again only when it changes, and a job that fails fails `up` with
 * its exit code and last log lines while what ran before keeps running.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN, cliJson, docker, forceDown, labelled, removeDir, requireEngines, runCli, tempHome } from './helpers';

const PROJECT = `job-${RUN}`;

describe('jobs on real Docker + Pulumi', function () {
  this.timeout(10 * 60 * 1000);
  let home: string;
  let dir: string;
  let specFile: string;
  const branch = `feature/job-${RUN}`;

  /** The migration job writes its version into the database; api checks at start that it is there. */
  const spec = (version: string, exit = 0) =>
    [
      'version: 1',
      `name: ${PROJECT}`,
      'services:',
      '  migrate:',
      '    image: slipway/postgres:15',
      `    command: ["sh", "-c", "psql \\"$DATABASE_URL\\" -v ON_ERROR_STOP=1 -q -c 'CREATE TABLE IF NOT EXISTS runs (version text)' -c \\"INSERT INTO runs VALUES ('${version}')\\" && echo ran ${version} && exit ${exit}"]`,
      '    job: { timeout: 2m }',
      '    env:',
      '      DATABASE_URL: ${{ databases.db.url }}',
      '  api:',
      '    image: slipway/postgres:15',
      // It fails to start unless the job has run: depends_on waits for the job's completion.
      `    command: ["sh", "-c", "psql \\"$DATABASE_URL\\" -tA -c 'SELECT count(*) FROM runs' && exec sleep 3600"]`,
      '    env:',
      '      DATABASE_URL: ${{ databases.db.url }}',
      '    depends_on: [migrate]',
      'databases:',
      '  db:',
      '    engine: postgres',
      '    version: "15"',
      '',
    ].join('\n');

  async function containerOf(service: string) {
    const { containers } = await labelled(PROJECT, branch);
    const c = containers.find((x) => x.Labels['dev.slipway.service'] === service);
    assert.ok(c, `no container of ${service}`);
    return docker.getContainer(c.Id).inspect();
  }

  /** The versions the job wrote, read from inside api (which has the database's URL). */
  async function runs(): Promise<string> {
    const api = await containerOf('api');
    const exec = await docker.getContainer(api.Id).exec({
      Cmd: ['sh', '-c', `psql "$DATABASE_URL" -tA -c "SELECT string_agg(version, ',') FROM runs"`],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({});
    const chunks: Buffer[] = [];
    await new Promise((resolve) => {
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', resolve);
    });
    // Docker's 8-byte frame headers (stream, three zero bytes, length) dropped.
    const buf = Buffer.concat(chunks);
    const out: Buffer[] = [];
    for (let i = 0; i + 8 <= buf.length; i += 8 + buf.readUInt32BE(i + 4))
      out.push(buf.subarray(i + 8, i + 8 + buf.readUInt32BE(i + 4)));
    return Buffer.concat(out).toString('utf8').trim();
  }

  before(async () => {
    await requireEngines();
    home = tempHome('job-home');
    dir = tempHome('job-ws');
    specFile = join(dir, 'slipway.yaml');
  });

  after(async () => {
    if (specFile) await forceDown(specFile, branch, home);
    removeDir(home);
    removeDir(dir);
  });

  it('runs before what depends on it, once per change, and a failed run leaves what ran before', async () => {
    writeFileSync(specFile, spec('v1'));
    let r = await runCli(['up', '--spec', specFile, '--branch', branch], home);
    assert.equal(r.code, 0, r.stderr);
    const first = await containerOf('migrate');
    assert.equal(first.State.Status, 'exited');
    assert.equal(first.State.ExitCode, 0);
    assert.equal(first.HostConfig.RestartPolicy?.Name, 'no');
    assert.equal((await containerOf('api')).State.Running, true, 'api started after the job had run');
    assert.equal(await runs(), 'v1');

    const status = await cliJson<{ status: string; services: Array<{ service: string; state: string }> }>(
      ['status', '--spec', specFile, '--branch', branch, '--json'],
      home,
    );
    assert.equal(status.status, 'running');
    assert.equal(status.services.find((s) => s.service === 'migrate')?.state, 'completed');
    const drift = await runCli(['drift', '--spec', specFile, '--branch', branch, '--json'], home);
    assert.equal(drift.code, 0, drift.stdout + drift.stderr);

    // Nothing changed: the job does not run again.
    r = await runCli(['up', '--spec', specFile, '--branch', branch], home);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr + r.stdout, /recreating/);
    assert.equal((await containerOf('migrate')).Id, first.Id);
    assert.equal(await runs(), 'v1');

    // Changed: it runs again, once.
    writeFileSync(specFile, spec('v2'));
    r = await runCli(['up', '--spec', specFile, '--branch', branch], home);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr + r.stdout, /recreating/);
    assert.equal(await runs(), 'v1,v2');

    // restart runs it again and waits for it; its logs are there after it exited.
    const again = await cliJson<{ status: string }>(
      ['restart', 'migrate', '--spec', specFile, '--branch', branch, '--json'],
      home,
    );
    assert.equal(again.status, 'completed');
    assert.equal(await runs(), 'v1,v2,v2');
    const logs = await runCli(['logs', 'migrate', '--spec', specFile, '--branch', branch], home);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /ran v2/);

    // A job that fails fails up, by its exit code and its last lines.
    writeFileSync(specFile, spec('v3', 3));
    r = await runCli(['up', '--spec', specFile, '--branch', branch], home);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /the job migrate exited with code 3/);
    assert.match(r.stderr, /ran v3/);
    assert.equal((await containerOf('api')).State.Running, true, 'what ran before still runs');

    // Removed by hand: drift says so, and the next up runs it again.
    writeFileSync(specFile, spec('v4'));
    r = await runCli(['up', '--spec', specFile, '--branch', branch], home);
    assert.equal(r.code, 0, r.stderr);
    await docker.getContainer((await containerOf('migrate')).Id).remove();
    const gone = await runCli(['drift', '--spec', specFile, '--branch', branch, '--json'], home);
    assert.equal(gone.code, 3, gone.stdout + gone.stderr);
    assert.match(gone.stdout, /"resource": "migrate"/);
  });
});
