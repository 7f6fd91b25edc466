/**
 * The `slipway` CLI's exit-code contract, through the real CLI on the real Docker Engine and
 * Pulumi: 0 ok, 1 failed, 2 usage, 3 drift, 4 blocked, 130 / 143 / 129 for a signal that
 * cancelled an `up` (the step in flight finishes, the record says cancelled, the next `up`
 * converges), and `not-found` for a branch with no environment.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT,
  SHOP_SPEC,
  RUN,
  copyFixture,
  docker,
  forceDown,
  getStatus,
  jsonData,
  labelled,
  removeDir,
  requireEngines,
  runCli,
  startCli,
  tempHome,
} from './helpers';

const PROJECT = 'shop';

interface ErrorJson {
  error: { reason: string; message: string; hint?: string };
}

/** Resolves once `pattern` shows on the child's stderr (all of it so far is returned). */
function waitForStderr(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} on stderr within ${timeoutMs} ms:\n${seen}`)),
      timeoutMs,
    );
    child.stderr!.on('data', (d) => {
      seen += d;
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
  });
}

/** The child's exit code and everything it wrote after `waitForStderr`. */
function exited(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('slipway exit codes on real Docker + Pulumi', function () {
  this.timeout(20 * 60 * 1000);
  let home: string;

  before(async () => {
    await requireEngines();
    home = tempHome('cli');
  });
  after(() => removeDir(home));

  describe('usage (2), before anything runs', () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['an unknown option', ['up', '--frobnicate'], /unknown option --frobnicate/],
      ['a missing value', ['status', '--branch'], /--branch needs a value/],
      ['a missing required option', ['promote'], /--to STAGE is required/],
      ['an unexpected argument', ['status', 'main'], /unexpected argument "main"/],
      ['--reapply with --accept', ['drift', '--reapply', '--accept'], /--reapply and --accept cannot be used together/],
      [
        '--stage with --branch',
        ['drift', '--stage', 'staging', '--branch', 'x'],
        /--branch and --stage cannot be used together/,
      ],
      ['--watch with --reapply', ['drift', '--watch', '--reapply'], /--reapply and --watch cannot be used together/],
      ['--watch with --accept', ['drift', '--watch', '--accept'], /--accept and --watch cannot be used together/],
      ['down --mine with --branch', ['down', '--mine', '--branch', 'x'], /--branch and --mine cannot be used together/],
      [
        'a stage name with a path in it',
        ['drift', '--stage', '../../x'],
        /--stage "\.\.\/\.\.\/x" is not a stage of .*: its stages are staging, production/,
      ],
      [
        'a stage the spec does not declare',
        ['rollback', '--stage', 'qa'],
        /--stage "qa" is not a stage of .*: its stages are staging, production/,
      ],
      [
        'a stage as a branch',
        ['status', '--branch', 'stage:../../x'],
        /--branch "stage:\.\.\/\.\.\/x" names a pipeline stage, not a branch/,
      ],
    ];
    for (const [label, args, message] of cases) {
      it(`${label}: one line, and where to look`, async () => {
        const r = await runCli([...args, '--spec', SHOP_SPEC], home, 60_000);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, message);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`^slipway ${args[0]}: .*; see \`slipway ${args[0]} --help\`\\n$`));
      });
    }
  });

  describe('a branch with no environment', () => {
    const branch = `cli-nothing-${RUN}`;
    for (const cmd of [['status'], ['drift'], ['logs', '--service', 'web'], ['down']]) {
      it(`${cmd[0]}: not-found (exit 1) with a hint`, async () => {
        const r = await runCli([...cmd, '--spec', SHOP_SPEC, '--branch', branch, '--json'], home, 120_000);
        assert.equal(r.code, 1, r.stderr);
        const { error } = JSON.parse(r.stdout) as ErrorJson;
        assert.equal(error.reason, 'not-found');
        assert.match(error.message, new RegExp(`shop / ${branch} has no environment`));
        assert.match(error.hint ?? '', /slipway up --branch/);
        assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at /);
      });
    }

    it('an engine that does not answer: docker-unavailable with a hint, no stack trace', async () => {
      const r = await runCli(['status', '--spec', SHOP_SPEC, '--branch', branch, '--json'], home, 60_000, {
        DOCKER_HOST: 'tcp://127.0.0.1:1',
      });
      assert.equal(r.code, 1, r.stderr);
      const { error } = JSON.parse(r.stdout) as ErrorJson;
      assert.equal(error.reason, 'docker-unavailable');
      assert.match(error.message, /tcp:\/\/127\.0\.0\.1:1/);
      assert.ok(error.hint);
      assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at /);
    });
  });

  describe('a failed up (1)', () => {
    const branch = `cli-fails-${RUN}`;
    let dir: string;
    let spec: string;
    before(() => {
      dir = tempHome('cli-fail');
      mkdirSync(join(dir, 'app'));
      writeFileSync(
        join(dir, 'app', 'Dockerfile'),
        'FROM slipway/node:bookworm\nRUN echo "the build step fails" && exit 3\n',
      );
      spec = join(dir, 'slipway.yaml');
      writeFileSync(spec, `version: 1\nname: ${PROJECT}\nservices:\n  web:\n    build: ./app\n    ports: [8080]\n`);
    });
    after(async () => {
      await forceDown(spec, branch, home);
      removeDir(dir);
    });

    it('a build error exits 1 with a typed message, not a stack', async () => {
      const r = await runCli(['up', '--spec', spec, '--branch', branch, '--json'], home);
      assert.equal(r.code, 1, r.stderr);
      const { error } = JSON.parse(r.stdout) as ErrorJson;
      assert.equal(error.reason, 'operation-failed');
      assert.doesNotMatch(r.stderr, /unexpected error/);
    });
  });

  describe('an environment that runs', () => {
    const branch = `cli-contract-${RUN}`;
    const web = async () =>
      (await labelled(PROJECT, branch)).containers.find((c) => c.Labels['dev.slipway.service'] === 'web')!;
    const cli = (...args: string[]) => runCli([...args, '--spec', shopSpec, '--branch', branch], home);
    // A copy outside git: what the checkout around the example holds (uncommitted edits) does not decide the test.
    let shopDir: string;
    let shopSpec: string;
    before(async () => {
      shopDir = copyFixture(join(ROOT, 'examples', 'shop'), 'contract-shop');
      shopSpec = join(shopDir, 'slipway.yaml');
      const up = await cli('up', '--json');
      assert.equal(up.code, 0, up.stderr);
    });
    after(async () => {
      await forceDown(shopSpec, branch, home);
      removeDir(shopDir);
    });

    it('status and drift with nothing changed: 0', async () => {
      assert.equal((await cli('status')).code, 0);
      const d = await cli('drift');
      assert.equal(d.code, 0, d.stderr);
      assert.match(d.stdout, /no drift/);
    });

    it('a promotion whose gates do not pass is blocked (4), and so is `gates`', async () => {
      const promote = await runCli(
        ['promote', '--spec', shopSpec, '--from', branch, '--to', 'staging', '--as', 'alice@example.com'],
        home,
      );
      assert.equal(promote.code, 4, promote.stderr);
      assert.match(promote.stderr, /approval \(approval\) pending/);
      const history = await runCli(['history', '--spec', shopSpec, '--stage', 'staging', '--json'], home);
      const actions = jsonData<{ entries: Array<{ action: string }> }>(history.stdout).entries.map((e) => e.action);
      assert.ok(actions.includes('promote-refused') && !actions.includes('promote'), actions.join(', '));
      const gates = await runCli(['gates', '--spec', shopSpec, '--from', branch, '--to', 'staging', '--json'], home);
      assert.equal(gates.code, 4, gates.stderr);
      const results = jsonData<Array<{ name: string; state: string }>>(gates.stdout);
      assert.equal(results.find((g) => g.name === 'approval')?.state, 'pending');
    });

    it('drift --watch ends 0 on Ctrl+C when it saw no drift', async () => {
      const watcher = startCli(
        ['drift', '--spec', shopSpec, '--branch', branch, '--watch', '--interval', '2s', '--json'],
        home,
      );
      const done = exited(watcher);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no first report within 120 s')), 120_000);
        watcher.stdout!.once('data', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      watcher.kill('SIGINT');
      const r = await done;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(jsonData<{ drifted: boolean }>(r.stdout.split('\n')[0]).drifted, false);
    });

    it('a limit changed by hand (docker update) is drift (3); drift --watch that saw it ends 3 on Ctrl+C; reapply clears it (0)', async () => {
      await docker.getContainer((await web()).Id).update({ Memory: 300 * 1024 * 1024, MemorySwap: -1 });
      const d = await cli('drift', '--json');
      assert.equal(d.code, 3, d.stderr);
      const report = jsonData<{ items: Array<{ resource: string; property: string }> }>(d.stdout);
      assert.ok(
        report.items.some((i) => i.resource === 'web' && i.property === 'memory'),
        d.stdout,
      );

      const watcher = startCli(
        ['drift', '--spec', shopSpec, '--branch', branch, '--watch', '--interval', '2s', '--json'],
        home,
      );
      const done = exited(watcher);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no report within 120 s')), 120_000);
        watcher.stdout!.once('data', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      watcher.kill('SIGINT');
      const w = await done;
      assert.equal(w.code, 3, w.stderr);

      const fixed = await cli('drift', '--reapply');
      assert.equal(fixed.code, 0, fixed.stderr);
      assert.equal((await cli('drift')).code, 0);
    });
  });

  describe('a signal in the middle of up', () => {
    for (const [signals, code] of [
      [['SIGINT'], 130],
      [['SIGTERM'], 143],
      [['SIGHUP'], 129],
      [['SIGTERM', 'SIGINT'], 130],
    ] as const) {
      const branch = `cli-${signals.join('-').toLowerCase()}-${RUN}`;
      after(() => forceDown(SHOP_SPEC, branch, home));

      const converges = signals.length === 1 && signals[0] === 'SIGTERM' ? ', the next up converges' : '';
      const label =
        signals.length === 1
          ? `${signals[0]} cancels cleanly: exit ${code}, a message, the record says cancelled${converges}, down removes everything`
          : `a second signal (${signals.join(' then ')}) quits at once, without waiting for the cancel: exit ${code}; down still removes everything`;
      it(label, async () => {
        const child = startCli(['up', '--spec', SHOP_SPEC, '--branch', branch], home);
        const done = exited(child);
        // Mid-flight, with state written: the database container is being created.
        await waitForStderr(child, /create\s+container db \.\.\./, 300_000);
        // One at a time: two signals pending at once are delivered in signal-number order, not sending order.
        for (const [i, sig] of signals.entries()) {
          const cancelling = i < signals.length - 1 ? waitForStderr(child, /Cancelling/, 30_000) : undefined;
          child.kill(sig);
          await cancelling;
        }
        const r = await done;
        assert.equal(r.code, code, r.stderr);
        if (signals.length > 1)
          assert.doesNotMatch(r.stderr, /was cancelled/, 'it did not wait for the step in flight');
        if (signals.length === 1) {
          const named = signals[0] === 'SIGINT' ? 'Cancelling:' : `Cancelling (${signals[0]}):`;
          assert.ok(r.stderr.includes(`${named} finishing the step in flight`), r.stderr);
          assert.match(r.stderr, /was cancelled/);
          const status = await runCli(['status', '--spec', SHOP_SPEC, '--branch', branch, '--json'], home);
          assert.equal(status.code, 0, status.stderr);
          const s = jsonData<{ lastOperation?: { op: string; status: string } }>(status.stdout);
          assert.deepEqual([s.lastOperation?.op, s.lastOperation?.status], ['up', 'cancelled']);
        }
        if (signals[0] === 'SIGTERM' && signals.length === 1) {
          const up = await runCli(['up', '--spec', SHOP_SPEC, '--branch', branch, '--json'], home);
          assert.equal(up.code, 0, up.stderr);
          assert.equal(
            await getStatus(`${jsonData<{ urls: Record<string, string> }>(up.stdout).urls.web}/healthz`),
            200,
          );
          assert.equal(
            (await labelled(PROJECT, branch)).containers.length,
            3,
            'one container per service and mock: no orphan',
          );
        }
        const down = await runCli(['down', '--spec', SHOP_SPEC, '--branch', branch], home);
        assert.equal(down.code, 0, down.stderr);
        const left = await labelled(PROJECT, branch);
        assert.deepEqual([left.containers.length, left.networks.length, left.volumes.length], [0, 0, 0]);
      });
    }
  });
});
