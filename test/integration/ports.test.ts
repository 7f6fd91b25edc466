/**
 * Host ports and locks on the real Docker Engine and Pulumi: concurrent `up`s from two
 * SLIPWAY_HOMEs never share a port, a port taken between two `up`s is replaced and reported, a
 * lock whose pid was reused is not "provisioning", and a drift gate that times out leaves no
 * worker and no lock behind.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { viewPath } from '../../environments/docker/declared-view';
import { hostPortRange } from '../../environments/docker/engine';
import { LocalEnvironments } from '../../environments/engine';
import { processStart } from '../../environments/lock';
import { envNames } from '../../environments/naming';
import { LocalPipeline } from '../../environments/pipeline/pipeline';
import { readLedger } from '../../environments/ports';
import { lockPath, recordPath, type EnvRecord } from '../../environments/records';
import { loadSpec } from '../../environments/spec/load';
import { SlipwayError } from '../../environments/errors';
import {
  ROOT,
  RUN,
  cliJson,
  docker,
  forceDown,
  getStatus,
  labelled,
  liveInGroup,
  pgrep,
  removeDir,
  requireEngines,
  runCli,
  tempHome,
} from './helpers';
import { waitFor } from '../wait';

interface UpJson {
  env: string;
  urls: Record<string, string>;
}

const PROJECT = `ports-${RUN}`;

/** One small service publishing two ports (busybox httpd answers on the first), and a drift gate. */
function spec(dir: string): string {
  const file = join(dir, 'slipway.yaml');
  writeFileSync(
    file,
    `version: 1
name: ${PROJECT}
services:
  static:
    build: ${join(ROOT, 'test', 'fixtures', 'two-services', 'static')}
    ports: [8081, 8082]
    healthcheck:
      http: /index.html
pipeline:
  stages:
    - preview
    - name: staging
      gates:
        - drift
`,
  );
  return file;
}

function record(home: string, branch: string): EnvRecord {
  const names = envNames(PROJECT, branch);
  return JSON.parse(readFileSync(recordPath(home, names.project, names.env), 'utf8')) as EnvRecord;
}

function hostPorts(rec: EnvRecord): number[] {
  return Object.values(rec.ports ?? {}).flatMap((byPort) => Object.values(byPort));
}

describe('host ports and locks on real Docker + Pulumi', function () {
  this.timeout(20 * 60 * 1000);
  const homes: string[] = [];
  let dir: string;
  let specFile: string;
  const branches = [0, 1, 2, 3, 4, 5].map((i) => `ports/${i}-${RUN}`);
  const homeOf = (i: number) => homes[i % 2];

  before(async () => {
    await requireEngines();
    homes.push(tempHome('ports-a'), tempHome('ports-b'));
    dir = tempHome('ports-spec');
    specFile = spec(dir);
  });

  after(async () => {
    await Promise.all(branches.map((b, i) => forceDown(specFile, b, homeOf(i))));
    homes.forEach(removeDir);
    removeDir(dir);
  });

  it('six concurrent ups from two SLIPWAY_HOMEs come up on distinct ports, held in the ledger until down', async () => {
    const ups = await Promise.all(
      branches.map((b, i) => cliJson<UpJson>(['up', '--spec', specFile, '--branch', b], homeOf(i))),
    );
    const ports = branches.flatMap((b, i) => hostPorts(record(homeOf(i), b)));
    assert.equal(ports.length, 12);
    assert.equal(new Set(ports).size, 12, `a port was handed out twice: ${ports.join(' ')}`);
    const range = hostPortRange()!;
    assert.ok(
      ports.every((p) => p >= range.min && p <= range.max),
      ports.join(' '),
    );
    for (const up of ups) assert.equal(await getStatus(`${up.urls.static}/index.html`), 200);
    const held = readLedger().filter((r) => homes.includes(r.home));
    assert.deepEqual(held.map((r) => r.port).sort(), [...ports].sort());

    const downs = await Promise.all(
      branches.map((b, i) => cliJson<{ status: string }>(['down', '--spec', specFile, '--branch', b], homeOf(i))),
    );
    assert.ok(downs.every((d) => d.status === 'absent'));
    for (const b of branches) {
      const left = await labelled(PROJECT, b);
      assert.deepEqual([left.containers.length, left.networks.length, left.volumes.length], [0, 0, 0], b);
    }
    assert.deepEqual(
      readLedger().filter((r) => homes.includes(r.home)),
      [],
      'down gives the ports back',
    );
  });

  describe('one environment', () => {
    const branch = branches[0];
    const home = () => homes[0];

    it('replaces a port another process took between two ups, records it and says so', async () => {
      const first = await cliJson<UpJson>(['up', '--spec', specFile, '--branch', branch], home());
      const old = Number(new URL(first.urls.static).port);
      const range = hostPortRange()!;
      assert.ok(old >= range.min && old <= range.max, 'the busy port is inside the allocation range');
      // The container stops (its port is free), and another process listens there before the next up.
      const [container] = (await labelled(PROJECT, branch)).containers;
      await docker.getContainer(container.Id).stop();
      const listener: Server = await new Promise((resolve, reject) => {
        const srv = createServer((s) => s.end('not slipway\n'));
        srv.once('error', reject);
        srv.listen(old, '127.0.0.1', () => resolve(srv));
      });
      try {
        // Without --json: the CLI prints the run's progress and warnings on stderr.
        const again = await runCli(['up', '--spec', specFile, '--branch', branch], home());
        assert.equal(again.code, 0, again.stderr);
        const status = await cliJson<{ urls: Record<string, string> }>(
          ['status', '--spec', specFile, '--branch', branch],
          home(),
        );
        const url = status.urls.static;
        const now = Number(new URL(url).port);
        assert.notEqual(now, old);
        assert.ok(now >= range.min && now <= range.max);
        assert.ok(
          again.stderr.includes(`static: 127.0.0.1:${old} was taken by another process; now http://127.0.0.1:${now}`),
          again.stderr,
        );
        assert.equal(await getStatus(`${url}/index.html`), 200);
        assert.equal(record(home(), branch).ports?.static?.['8081'], now, 'the new port is recorded');
        assert.equal(record(home(), branch).urls.static, url);
      } finally {
        listener.close();
      }
    });

    it("is not 'provisioning' when the running operation's lock names a pid that now belongs to another process", async () => {
      const names = envNames(PROJECT, branch);
      const saved = readFileSync(recordPath(home(), names.project, names.env), 'utf8');
      const rec = JSON.parse(saved) as EnvRecord;
      writeFileSync(
        recordPath(home(), names.project, names.env),
        JSON.stringify({ ...rec, lastOperation: { op: 'up', status: 'running', at: rec.updatedAt } }),
      );
      const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
      const lock = lockPath(home(), names.project, names.env);
      try {
        await waitFor('the sleeper process to start', () => processStart(sleeper.pid!) !== undefined);
        const start = Number(processStart(sleeper.pid!));
        writeFileSync(lock, `${sleeper.pid} ${start}`);
        const live = await cliJson<{ status: string }>(['status', '--spec', specFile, '--branch', branch], home());
        assert.equal(live.status, 'provisioning');
        writeFileSync(lock, `${sleeper.pid} ${start - 7}`);
        const reused = await cliJson<{ status: string }>(['status', '--spec', specFile, '--branch', branch], home());
        assert.equal(reused.status, 'failed', 'an operation whose owner is gone was interrupted');
      } finally {
        sleeper.kill('SIGKILL');
        writeFileSync(recordPath(home(), names.project, names.env), saved);
        removeDir(lock);
      }
    });

    it('a stack worker that does not stop on cancel is killed with its process group after the grace, and its lock removed', async () => {
      const names = envNames(PROJECT, branch);
      const lock = lockPath(home(), names.project, names.env);
      // A worker stuck in a step: it takes the environment's lock, starts a child in its process
      // group (as Pulumi is), and ignores the cancel.
      const script = join(dir, 'stuck-worker.js');
      writeFileSync(
        script,
        `const { acquireLock } = require(${JSON.stringify(join(ROOT, 'environments', 'lock.ts'))});
         const { spawn } = require('node:child_process');
         process.on('message', async (msg) => {
           if (msg.type !== 'run') return;
           await acquireLock(${JSON.stringify(lock)}, 'stuck', { timeoutMs: 5000 });
           const child = spawn('sleep', ['120'], { stdio: 'ignore' });
           process.send({ type: 'event', event: { type: 'step', message: 'locked ' + child.pid } });
         });`,
      );
      // Without the declared view the last up kept, drift asks the stack worker (what is tested here).
      rmSync(viewPath(home(), names.project, names.env), { force: true });
      const saved = process.env.SLIPWAY_WORKER;
      process.env.SLIPWAY_WORKER = script;
      try {
        const envs = await LocalEnvironments.create({ home: home() });
        const abort = new AbortController();
        let worker = 0;
        let sleeper = 0;
        const started = Date.now();
        const drift = envs.drift(await loadSpec(specFile), branch, {
          signal: abort.signal,
          stopGraceMs: 1500,
          onEvent: (e) => {
            if (e.type !== 'step') return;
            sleeper = Number(e.message.split(' ')[1]);
            worker = pgrep(['-P', String(process.pid), '-f', 'stuck-worker'])[0];
            abort.abort();
          },
        });
        await assert.rejects(drift, (err: unknown) => SlipwayError.is(err, 'operation-cancelled'));
        // The grace is what is tested: the cancelled drift settles only after it (a lower bound).
        assert.ok(Date.now() - started >= 1500, 'it settled before the grace was over');
        assert.ok(worker > 0 && sleeper > 0, 'the stuck worker ran');
        assert.deepEqual(liveInGroup(worker), [], 'the worker or its child outlived the kill');
        assert.equal(existsSync(lock), false, "the killed worker's lock was left behind");
      } finally {
        if (saved === undefined) delete process.env.SLIPWAY_WORKER;
        else process.env.SLIPWAY_WORKER = saved;
      }
    });

    it('a drift gate that times out leaves no stack worker running and no lock file', async () => {
      await cliJson(['up', '--spec', specFile, '--branch', branch], home()); // (a no-op after the tests above)
      // Without the declared view, the drift gate runs through a stack worker (what is tested here).
      const viewOf = envNames(PROJECT, branch);
      rmSync(viewPath(home(), viewOf.project, viewOf.env), { force: true });
      const envs = await LocalEnvironments.create({ home: home() });
      const pipeline = new LocalPipeline(envs);
      const loaded = await loadSpec(specFile);
      const workers = new Set<number>();
      let running = true;
      // Samples the stack workers while the gate runs (every 20 ms: a watcher, not a wait).
      const watch = (async () => {
        while (running) {
          for (const pid of pgrep(['-P', String(process.pid), '-f', 'stack-worker'])) workers.add(pid);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const gates = pipeline
        .gates(loaded, { branch }, 'staging', { actor: 'ports@slipway.test', gateTimeoutMs: 300 })
        .finally(() => (running = false));
      // A stuck worker gets a grace, never more: the result comes well within 15 s.
      await waitFor(
        'the timed-out gate to give its result (it waited for its worker far longer than its grace)',
        () => !running,
        { timeoutMs: 15_000 },
      );
      const [result] = await gates;
      await watch;
      assert.equal(result.kind, 'drift');
      assert.equal(result.state, 'fail');
      assert.equal(result.reason, 'timed out after 0.3s');
      assert.ok(workers.size >= 1, 'the drift gate started a stack worker');
      for (const pid of workers)
        assert.deepEqual(liveInGroup(pid), [], `stack worker ${pid} (or a process of its group) still runs`);
      const names = envNames(PROJECT, branch);
      assert.equal(existsSync(lockPath(home(), names.project, names.env)), false, 'the lock was left behind');
      // Nothing stays locked: the next check runs at once.
      const report = await envs.drift(loaded, branch);
      assert.equal(report.drifted, false, JSON.stringify(report.items));
    });
  });
});
