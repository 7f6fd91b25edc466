/**
 * The warm stack worker through the real `slipway` CLI on the real Docker Engine and Pulumi:
 * successive operations of a project run in one worker process, a warm worker killed in the
 * middle of an `up` fails that `up` clearly and the next one converges, a worker of another
 * build is never used, and Ctrl+C of an `up` run in it cancels that run and leaves the worker for
 * the next. With no warm worker, the CLI starts none.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envNames } from '../../environments/naming';
import {
  ROOT,
  RUN,
  docker,
  forceDown,
  jsonData,
  labelled,
  pollFor,
  removeDir,
  requireEngines,
  runCli,
  tempHome,
} from './helpers';

const PROJECT = 'warmworker';
const BUSYBOX = 'slipway/busybox:local';
const WORKER = join(ROOT, 'dist', 'stack-worker.js');

/** A web service that answers /healthz beside a database; `value` is the web's env APP_VALUE. */
function specText(value: string): string {
  return `version: 1
name: ${PROJECT}
services:
  web:
    image: ${BUSYBOX}
    command: "mkdir -p /www && echo ok > /www/healthz && exec httpd -f -p 8080 -h /www"
    ports: [8080]
    env:
      APP_VALUE: "${value}"
      DATABASE_URL: \${{ databases.db.url }}
    healthcheck:
      http: /healthz
      timeout: 30s
databases:
  db:
    engine: postgres
    version: "15"
`;
}

interface WarmInfo {
  pid: number;
  socket: string;
}

/** The project's warm worker as its pid file says, if one is written. */
function warmInfo(home: string): WarmInfo | undefined {
  const dir = join(home, 'workers');
  const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.json')) : undefined;
  return file ? (JSON.parse(readFileSync(join(dir, file), 'utf8')) as WarmInfo) : undefined;
}

/** Whether `pid` runs (a zombie waiting to be reaped does not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/**
 * Pulumi's processes started for `home`: the CLI, and any plugin (the nodejs shim and its
 * dynamic-provider child, when the engine starts it rather than attaching to the worker's thread).
 */
function pulumiProcesses(home: string): number[] {
  const pids = ['/bin/pulumi ', 'pulumi-resource-pulumi-nodejs', 'cmd/dynamic-provider'].flatMap((pattern) =>
    spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number),
  );
  return [...new Set(pids)].filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`SLIPWAY_HOME=${home}`);
    } catch {
      return false;
    }
  });
}

describe('the warm stack worker on real Docker + Pulumi', function () {
  this.timeout(20 * 60 * 1000);
  let home: string;
  let dir: string;
  let spec: string;
  const branches = [`warm-a-${RUN}`, `warm-b-${RUN}`, `warm-c-${RUN}`];
  const write = (value: string) => writeFileSync(spec, specText(value));
  const up = (branch: string, env: NodeJS.ProcessEnv = {}) =>
    runCli(['up', '--spec', spec, '--branch', branch, '--verbose'], home, 600_000, env);
  const appValue = async (branch: string) =>
    (await docker.getContainer(envNames(PROJECT, branch).container('web')).inspect()).Config.Env.find((e) =>
      e.startsWith('APP_VALUE='),
    );

  before(async () => {
    await requireEngines();
    await docker
      .getImage(BUSYBOX)
      .inspect()
      .catch((err: Error) => {
        throw new Error(`these tests need the local image ${BUSYBOX}; run \`npm run setup\` (${err.message})`);
      });
    home = tempHome('warm');
    dir = mkdtempSync(join(tmpdir(), 'slipway-warm-spec-'));
    spec = join(dir, 'slipway.yaml');
    write('one');
  });

  after(async () => {
    for (const b of branches) await forceDown(spec, b, home);
    const info = warmInfo(home);
    if (info && running(info.pid)) process.kill(info.pid, 'SIGTERM');
    removeDir(dir);
    removeDir(home);
  });

  it('is not started by a CLI that was not asked to, and the CLI works as before', async () => {
    const r = await up(branches[0]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /warm stack worker/);
    assert.equal(warmInfo(home), undefined, 'no warm worker was started');
    assert.ok(!existsSync(join(home, 'workers')), 'nothing of a warm worker is made under SLIPWAY_HOME');
  });

  it('runs two successive operations in one worker process (same pid), started once and then found', async () => {
    write('two');
    const first = await up(branches[0], { SLIPWAY_WARM_WORKER: '1' });
    assert.equal(first.code, 0, first.stderr);
    const pid = Number(/started a warm stack worker \(pid (\d+)\)/.exec(first.stderr)?.[1]);
    assert.ok(pid > 0, `a warm worker was started:\n${first.stderr}`);
    assert.match(first.stderr, new RegExp(`using the warm stack worker \\(pid ${pid}\\)`));
    assert.equal(await appValue(branches[0]), 'APP_VALUE=two');

    const info = warmInfo(home)!;
    assert.equal(info.pid, pid);
    assert.equal(statSync(info.socket).mode & 0o777, 0o600, 'the socket is the owner’s only');
    assert.equal(statSync(join(home, 'workers')).mode & 0o777, 0o700, 'its folder too');
    assert.ok(running(pid), 'the warm worker outlives the CLI that started it');

    // A plain CLI (not asked to start one) finds it and runs its up there.
    // With --timings the CLI probes health waits after the answer, while the worker has already
    // closed the connection: that close is no death, so the CLI waits for nothing and exits.
    write('three');
    const second = await runCli(
      ['up', '--spec', spec, '--branch', branches[0], '--verbose', '--timings'],
      home,
      600_000,
    );
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stderr, /closed its connection before answering/);
    assert.match(second.stderr, /stack worker \(warm, request to result\)/);
    assert.match(second.stderr, new RegExp(`using the warm stack worker \\(pid ${pid}\\)`));
    assert.doesNotMatch(second.stderr, /started a warm stack worker/);
    assert.equal(await appValue(branches[0]), 'APP_VALUE=three');
    assert.equal(warmInfo(home)?.pid, pid);
    assert.ok(running(pid));
  });

  it('killed (kill -9) in the middle of an up: that up fails clearly, the next up converges with no orphan and no drift', async () => {
    const warm = warmInfo(home);
    assert.ok(warm && running(warm.pid), 'the warm worker of the previous test runs');
    const branch = branches[1];
    const cli = spawn(process.execPath, [join(ROOT, 'dist', 'slipway.js'), 'up', '--spec', spec, '--branch', branch], {
      env: { ...process.env, SLIPWAY_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    cli.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => cli.once('close', resolve));
    await pollFor(
      'the database container being created',
      () => /create\s+container db \.\.\./.test(stderr) || undefined,
      300_000,
    );
    const pluginsBefore = pulumiProcesses(home);
    process.kill(warm.pid, 'SIGKILL'); // the worker alone, not its group
    const code = await closed;
    assert.ok(pluginsBefore.length > 0, 'Pulumi processes were running before the kill');
    assert.equal(code, 1, `exit code 1, not ${code}:\n${stderr}`);
    assert.match(
      stderr,
      new RegExp(`up of ${PROJECT} / ${branch} stopped: the stack worker \\(pid ${warm.pid}\\) ended`),
    );
    assert.match(stderr, /Run `slipway up` again/);
    assert.deepEqual(pulumiProcesses(home), [], 'no Pulumi process outlives the worker');
    assert.ok(!existsSync(warm.socket), 'the dead worker’s socket was removed');
    assert.equal(warmInfo(home), undefined, 'and its pid file');

    const status = jsonData<{ status: string; lastOperation?: { error?: string } }>(
      (await runCli(['status', '--spec', spec, '--branch', branch, '--json'], home)).stdout,
    );
    assert.equal(status.status, 'failed');
    assert.match(status.lastOperation?.error ?? '', /stack worker \(pid \d+\) ended/);

    // The next up starts a new warm worker and converges. The killed up was this environment's
    // first: it starts over (whether Pulumi's state still held the step in flight, which it then
    // also clears, depends on the moment of the kill).
    const again = await up(branch, { SLIPWAY_WARM_WORKER: '1' });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /the interrupted first up starts over/);
    const fresh = Number(/using the warm stack worker \(pid (\d+)\)/.exec(again.stderr)?.[1]);
    assert.ok(fresh > 0 && fresh !== warm.pid, `a new warm worker ran it:\n${again.stderr}`);
    const objs = await labelled(PROJECT, branch);
    assert.deepEqual(objs.containers.map((c) => c.Labels['dev.slipway.service']).sort(), ['db', 'web'], 'no orphan');
    assert.ok(objs.containers.every((c) => c.State === 'running'));
    const drift = await runCli(['drift', '--spec', spec, '--branch', branch, '--json'], home);
    assert.equal(drift.code, 0, `drift is clean:\n${drift.stdout}\n${drift.stderr}`);
    assert.equal(jsonData<{ drifted: boolean }>(drift.stdout).drifted, false);
  });

  it('of another build is not used: the operation runs in a worker of its own and the old one exits', async () => {
    const warm = warmInfo(home);
    assert.ok(warm && running(warm.pid), 'a warm worker runs');
    // A rebuilt bundle: same path, another modification time.
    const later = new Date(statSync(WORKER).mtimeMs + 5000);
    utimesSync(WORKER, later, later);
    write('four');
    const r = await up(branches[0]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`the warm stack worker \\(pid ${warm.pid}\\) is of another build: not used`));
    assert.doesNotMatch(r.stderr, /using the warm stack worker/);
    assert.equal(await appValue(branches[0]), 'APP_VALUE=four');
    await pollFor('the old warm worker to exit', () => !running(warm.pid) || undefined, 30_000);
    assert.ok(!existsSync(warm.socket), 'its socket went with it');
  });

  it('Ctrl+C in the middle of an up in it cancels cleanly (exit 130); the worker stays and runs the next up, which converges', async () => {
    const branch = branches[2];
    const cli = spawn(
      process.execPath,
      [join(ROOT, 'dist', 'slipway.js'), 'up', '--spec', spec, '--branch', branch, '--verbose'],
      { env: { ...process.env, SLIPWAY_HOME: home, SLIPWAY_WARM_WORKER: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    cli.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => cli.once('close', resolve));
    await pollFor(
      'the database container being created',
      () => /create\s+container db \.\.\./.test(stderr) || undefined,
      300_000,
    );
    const pid = Number(/using the warm stack worker \(pid (\d+)\)/.exec(stderr)?.[1]);
    assert.ok(pid > 0, `the up runs in a warm worker:\n${stderr}`);
    cli.kill('SIGINT');
    assert.equal(await closed, 130, stderr);
    assert.ok(stderr.includes('Cancelling: finishing the step in flight'), stderr);
    assert.match(stderr, /was cancelled/);
    assert.ok(running(pid), 'the warm worker outlives a cancelled run');
    assert.equal(warmInfo(home)?.pid, pid);

    const again = await up(branch);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, new RegExp(`using the warm stack worker \\(pid ${pid}\\)`));
    const objs = await labelled(PROJECT, branch);
    assert.deepEqual(objs.containers.map((c) => c.Labels['dev.slipway.service']).sort(), ['db', 'web'], 'no orphan');
    const drift = await runCli(['drift', '--spec', spec, '--branch', branch, '--json'], home);
    assert.equal(drift.code, 0, `drift is clean:\n${drift.stdout}\n${drift.stderr}`);
  });
});
