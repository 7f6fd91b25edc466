/**
 * The pipeline and drift on the real Docker Engine and Pulumi: promotion refused by a failing
 * gate, promotion of the exact image digests, rollback, the audit log, a freeze window with an
 * injected clock, and drift found per resource and property, then cleared.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalEnvironments } from '../../environments/engine';
import { SlipwayError } from '../../environments/errors';
import { auditPath } from '../../environments/pipeline/audit';
import { LocalPipeline } from '../../environments/pipeline/pipeline';
import { loadSpec } from '../../environments/spec/load';
import {
  ROOT,
  RUN,
  copyFixture,
  docker,
  getStatus,
  jsonData,
  labelled,
  removeDir,
  requireEngines,
  runCli,
  startCli,
  tempHome,
} from './helpers';

interface DriftJson {
  drifted: boolean;
  items: Array<{ resource: string; property: string; source: string; declared: string; actual: string }>;
}

const PIPELINE = `
pipeline:
  stages:
    - preview
    - name: staging
      dockerHost: unix:///var/run/docker.sock
      gates:
        - health
        - drift
        - command: { name: tests, run: "test -f tests-passed.marker", timeout: 30s }
        - approval: { count: 2 }
    - name: production
      gates:
        - health
        - window: { timezone: Europe/Berlin, freeze: [{ from: "2026-12-20T00:00", to: "2027-01-02T00:00", reason: year-end freeze }] }
`;

async function containerImage(project: string, branch: string, service: string): Promise<string> {
  const c = (await labelled(project, branch)).containers.find((x) => x.Labels['dev.slipway.service'] === service);
  assert.ok(c, `${service} runs in ${branch}`);
  return (await docker.getContainer(c.Id).inspect()).Image;
}

describe('pipeline and drift on real Docker + Pulumi', function () {
  this.timeout(20 * 60 * 1000);
  const branch = `pipeline-${RUN}`;
  // A project of this run's own: stage environments are named by project and stage alone.
  const project = `shop-${RUN}`;
  let home: string;
  let app: string;
  let specFile: string;
  const cli = (...args: string[]) => runCli([...args, '--spec', specFile], home);
  const keys: Record<string, string> = {};
  let keyDir: string;
  const approve = (who: string) =>
    cli('approve', '--from', branch, '--to', 'staging', '--as', `${who}@example.com`, '--key', keys[who]);

  before(async () => {
    await requireEngines();
    home = tempHome('pipe');
    app = copyFixture(join(ROOT, 'examples', 'shop'), 'pipe-app');
    specFile = join(app, 'slipway.yaml');
    // The test's own pipeline in place of the example's.
    const example = readFileSync(specFile, 'utf8')
      .split(/^pipeline:/m)[0]
      .trimEnd()
      .replace(/^name: shop$/m, `name: ${project}`);
    writeFileSync(specFile, example + '\n' + PIPELINE);
    // The test gate's marker is not part of the image (else the preview would differ from its source).
    appendFileSync(join(app, '.dockerignore'), '\n*.marker\n');
    // Approvers sign with keys of their own, listed in the spec's allowed_signers.
    keyDir = tempHome('pipe-keys');
    for (const who of ['alice', 'bob', 'carol']) {
      keys[who] = join(keyDir, `${who}_ed25519`);
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', who, '-f', keys[who]]);
      appendFileSync(
        join(app, 'allowed_signers'),
        `${who}@example.com ${readFileSync(`${keys[who]}.pub`, 'utf8').trim()}\n`,
      );
    }
    const up = await cli('up', '--branch', branch, '--json');
    assert.equal(up.code, 0, up.stderr);
  });

  after(async () => {
    await cli('down', '--branch', branch);
    for (const stage of ['staging', 'production']) await cli('down', '--stage', stage);
    for (const stage of ['staging', 'production'])
      assert.equal((await labelled(project, `stage:${stage}`)).containers.length, 0);
    const tags = (await docker.listImages({ filters: { reference: [`slipway/${project}-*`] } })).flatMap(
      (i) => i.RepoTags ?? [],
    );
    assert.deepEqual(
      tags.filter((t) => t.includes(':stage_')),
      [],
      'a stage teardown removes its release tags',
    );
    removeDir(app);
    removeDir(home);
    removeDir(keyDir);
  });

  describe('drift', () => {
    const web = async () =>
      (await labelled(project, branch)).containers.find((c) => c.Labels['dev.slipway.service'] === 'web')!;
    const drift = async (...extra: string[]) => {
      const r = await cli('drift', '--branch', branch, '--json', ...extra);
      // A failure (exit 1) has no report: its envelope's data is null and its error says why.
      return { code: r.code, report: (JSON.parse(r.stdout) as { data: DriftJson }).data, stderr: r.stderr };
    };

    it('is none right after up (exit 0)', async () => {
      const { code, report } = await drift();
      assert.equal(code, 0);
      assert.deepEqual(report.items, []);
    });

    it('reports a container stopped by hand as its state, and reapply clears it', async () => {
      await docker.getContainer((await web()).Id).stop();
      const { code, report } = await drift();
      assert.equal(code, 3);
      assert.ok(
        report.items.some(
          (i) => i.resource === 'web' && i.property === 'state' && i.declared === 'running' && i.actual === 'exited',
        ),
        JSON.stringify(report.items),
      );
      const fixed = await drift('--reapply');
      assert.equal(fixed.code, 0, fixed.stderr);
      assert.deepEqual(fixed.report.items, []);
    });

    it('reports a container removed by hand as missing, and reapply clears it', async () => {
      await docker.getContainer((await web()).Id).remove({ force: true });
      const { code, report } = await drift();
      assert.equal(code, 3);
      assert.deepEqual(
        report.items.map((i) => [i.resource, i.property, i.actual]),
        [['web', 'existence', 'missing']],
      );
      assert.equal((await drift('--reapply')).code, 0);
    });

    it('reports a container recreated with another env as the exact variable, and reapply clears it', async () => {
      const info = await docker.getContainer((await web()).Id).inspect();
      await docker.getContainer(info.Id).remove({ force: true });
      const env = info.Config.Env.map((e) => (e.startsWith('GREETING=') ? 'GREETING=changed by hand' : e));
      const c = await docker.createContainer({
        name: info.Name.slice(1),
        Image: info.Image,
        Env: env,
        Labels: info.Config.Labels,
        HostConfig: info.HostConfig,
      });
      await c.start();
      const { code, report } = await drift();
      assert.equal(code, 3);
      const greeting = report.items.find((i) => i.property === 'env.GREETING');
      // The env holds the database URL, a secret: values are never shown, only which key differs.
      assert.ok(greeting && greeting.resource === 'web', JSON.stringify(report.items));
      assert.doesNotMatch(JSON.stringify(report), /postgres:\/\//);
      assert.equal((await drift('--reapply')).code, 0);
    });

    it('in watch mode, reports a container stopped by hand soon after it happens (Docker events), not at the next interval', async () => {
      const watcher = startCli(
        ['drift', '--spec', specFile, '--branch', branch, '--watch', '--interval', '60s', '--json'],
        home,
      );
      const reports: DriftJson[] = [];
      let buffered = '';
      const next = (count: number, timeoutMs: number) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`no report ${count} within ${timeoutMs} ms; got ${reports.length}`)),
            timeoutMs,
          );
          const check = () => {
            if (reports.length >= count) {
              clearTimeout(timer);
              watcher.stdout!.off('data', onData);
              resolve();
            }
          };
          const onData = (d: Buffer) => {
            buffered += d.toString();
            const lines = buffered.split('\n');
            buffered = lines.pop() ?? '';
            for (const l of lines) if (l.trim()) reports.push(jsonData<DriftJson>(l));
            check();
          };
          watcher.stdout!.on('data', onData);
          check();
        });
      try {
        await next(1, 60_000);
        assert.equal(reports[0].drifted, false);
        await docker.getContainer((await web()).Id).stop();
        await next(2, 30_000); // fails past 30 s: well before the 60 s interval
        assert.ok(
          reports[1].items.some((i) => i.resource === 'web' && i.property === 'state'),
          JSON.stringify(reports[1].items),
        );
      } finally {
        watcher.kill('SIGINT');
        await new Promise((r) => watcher.once('close', r));
      }
      assert.equal((await drift('--reapply')).code, 0);
    });

    it('takes a limit changed by hand (docker update) into state with accept, then shows it as a spec difference', async () => {
      await docker.getContainer((await web()).Id).update({ Memory: 300 * 1024 * 1024, MemorySwap: -1 });
      const before = await drift();
      assert.ok(
        before.report.items.some(
          (i) => i.property === 'memory' && i.source === 'reality' && i.actual === String(300 * 1024 * 1024),
        ),
        JSON.stringify(before.report.items),
      );
      const accepted = await drift('--accept');
      assert.equal(
        accepted.report.items.filter((i) => i.source === 'reality').length,
        0,
        JSON.stringify(accepted.report.items),
      );
      assert.ok(
        accepted.report.items.some((i) => i.source === 'spec' && i.resource === 'web' && i.property === 'memoryBytes'),
        JSON.stringify(accepted.report.items),
      );
      // Reality taken into the state (the env holds the database URL) stays encrypted there.
      const stacks = join(home, 'state', '.pulumi', 'stacks', `slipway-${project}`);
      for (const f of readdirSync(stacks))
        assert.doesNotMatch(readFileSync(join(stacks, f), 'utf8'), /postgres:\/\/app:/);
      assert.equal((await drift('--reapply')).code, 0);
    });

    it("reapplies one resource's spec difference alone (--resource), leaving the others for later", async () => {
      const original = readFileSync(specFile, 'utf8');
      const dbBefore = (await labelled(project, branch)).containers.find(
        (c) => c.Labels['dev.slipway.service'] === 'db',
      )!.Id;
      try {
        // Two spec changes: web's greeting and the database's memory.
        const edited = original
          .replace('GREETING: Hello from Slipway', 'GREETING: Hello from one resource')
          .replace(/(databases:[\s\S]*?memory: )256Mi/, '$1320Mi');
        assert.notEqual(edited, original);
        writeFileSync(specFile, edited);
        const before = await drift();
        assert.equal(before.code, 3);
        const resources = (r: DriftJson) => [...new Set(r.items.map((i) => i.resource))].sort();
        assert.deepEqual(resources(before.report), ['db', 'web'], JSON.stringify(before.report.items));

        const one = await drift('--reapply', '--resource', 'web');
        assert.equal(one.code, 3, one.stderr); // db's change is still there
        assert.deepEqual(resources(one.report), ['db'], JSON.stringify(one.report.items));
        const webAfter = (await web()).Id;
        const webEnv = (await docker.getContainer(webAfter).inspect()).Config.Env;
        assert.ok(webEnv.includes('GREETING=Hello from one resource'), 'web runs the new greeting');
        const dbNow = (await labelled(project, branch)).containers.find(
          (c) => c.Labels['dev.slipway.service'] === 'db',
        )!;
        assert.equal(dbNow.Id, dbBefore, 'the database was left alone');

        const unknown = await drift('--reapply', '--resource', 'nope');
        assert.equal(unknown.code, 1);

        // Partly applied, the branch has no one release: promotion is refused before any gate runs.
        const partial = await cli('promote', '--from', branch, '--to', 'staging', '--as', 'alice@example.com');
        assert.equal(partial.code, 1);
        assert.match(partial.stderr, /runs a partly applied spec/);
        assert.equal((await labelled(project, 'stage:staging')).containers.length, 0);

        // The next up applies the rest (the targeted update left the fast path off).
        const up = await cli('up', '--branch', branch, '--json');
        assert.equal(up.code, 0, up.stderr);
        assert.equal((await drift()).code, 0);
        // ... and knows web's container from the targeted update: it is not made again.
        assert.equal((await web()).Id, webAfter);
      } finally {
        writeFileSync(specFile, original);
        const back = await cli('up', '--branch', branch);
        assert.equal(back.code, 0, back.stderr);
      }
    });
  });

  describe('promotion', () => {
    it('is refused while a gate fails, naming the gate, and creates no stage', async () => {
      const r = await cli('promote', '--from', branch, '--to', 'staging', '--as', 'alice@example.com');
      assert.equal(r.code, 4, 'blocked: a gate does not pass');
      assert.match(r.stderr, /tests \(command\) fail/);
      assert.match(r.stderr, /approval \(approval\) pending/);
      assert.equal((await labelled(project, 'stage:staging')).containers.length, 0);
    });

    it("does not count the author's own approval; two distinct approvers pass", async () => {
      writeFileSync(join(app, 'tests-passed.marker'), 'ok\n');
      for (const who of ['alice', 'bob']) assert.equal((await approve(who)).code, 0);
      const r = await cli('gates', '--from', branch, '--to', 'staging', '--as', 'alice@example.com', '--json');
      const approval = jsonData<Array<{ name: string; state: string; reason: string }>>(r.stdout).find(
        (g) => g.name === 'approval',
      )!;
      assert.equal(approval.state, 'pending', approval.reason);
      assert.equal((await approve('carol')).code, 0);

      // A reviewer sees the evidence stored by the last run, without running anything.
      const stored = await cli('gates', '--from', branch, '--to', 'staging', '--stored', '--json');
      const storedApproval = jsonData<Array<{ name: string; state: string; reason: string }>>(stored.stdout).find(
        (g) => g.name === 'approval',
      )!;
      assert.deepEqual(storedApproval, approval);
    });

    it('deploys to staging the exact image digests the preview ran; rollback restores the previous ones', async () => {
      const previewWeb = await containerImage(project, branch, 'web');
      const first = await cli('promote', '--from', branch, '--to', 'staging', '--as', 'alice@example.com', '--json');
      assert.equal(first.code, 0, first.stderr);
      const r1 = jsonData<{ release: number; images: Record<string, string>; urls: Record<string, string> }>(
        first.stdout,
      );
      assert.equal(r1.release, 1);
      assert.equal(
        await containerImage(project, 'stage:staging', 'web'),
        previewWeb,
        'staging runs the preview image by digest',
      );
      assert.equal(r1.images.web, previewWeb);
      assert.equal(await getStatus(`${r1.urls.web}/healthz`), 200);

      // A new build of the preview, promoted as release 2.
      writeFileSync(join(app, 'server.js'), readFileSync(join(app, 'server.js'), 'utf8') + '\n// release 2\n');
      assert.equal((await cli('up', '--branch', branch)).code, 0);
      const previewWeb2 = await containerImage(project, branch, 'web');
      assert.notEqual(previewWeb2, previewWeb);
      // The approvals were signed for the first build's digests: the rebuild needs its own.
      const stale = await cli('promote', '--from', branch, '--to', 'staging', '--as', 'alice@example.com');
      assert.equal(stale.code, 4, stale.stderr);
      assert.match(
        stale.stderr,
        /approval \(approval\) pending: 0 of 2 signed approvals; 3 invalid approvals not counted/,
      );
      for (const who of ['bob', 'carol']) assert.equal((await approve(who)).code, 0);
      const second = await cli('promote', '--from', branch, '--to', 'staging', '--as', 'alice@example.com', '--json');
      assert.equal(second.code, 0, second.stderr);
      assert.equal(await containerImage(project, 'stage:staging', 'web'), previewWeb2);

      // Each release tags the images it pins, so no branch teardown or prune can take them away.
      assert.equal((await docker.getImage(`slipway/${project}-web:stage_staging-r1`).inspect()).Id, previewWeb);
      assert.equal((await docker.getImage(`slipway/${project}-web:stage_staging-r2`).inspect()).Id, previewWeb2);
      const back = await cli('rollback', '--stage', 'staging', '--as', 'alice@example.com', '--json');
      assert.equal(back.code, 0, back.stderr);
      assert.equal(
        await containerImage(project, 'stage:staging', 'web'),
        previewWeb,
        'rollback restores the previous digest',
      );

      const history = await cli('history', '--json');
      const h = jsonData<{
        entries: Array<{ action: string; stage: string; images?: Record<string, string> }>;
        verification: { ok: boolean };
      }>(history.stdout);
      assert.equal(h.verification.ok, true);
      const actions = h.entries.filter((e) => e.stage === 'staging').map((e) => e.action);
      assert.deepEqual(
        actions.filter((a) => a !== 'gates' && a !== 'approve'),
        ['promote-refused', 'promote', 'promote-refused', 'promote', 'rollback'],
      );
      assert.deepEqual(
        h.entries.filter((e) => e.action === 'promote').map((e) => e.images!.web),
        [previewWeb, previewWeb2],
      );
      assert.equal(h.entries.find((e) => e.action === 'rollback')!.images!.web, previewWeb);
    });

    it('keeps the audit log tamper-evident', async () => {
      const file = auditPath(home, project);
      const original = readFileSync(file, 'utf8');
      writeFileSync(file, original.replace('"promote"', '"rollback"'));
      const r = await cli('history');
      assert.equal(r.code, 1);
      assert.match(r.stdout, /AUDIT LOG BROKEN/);
      writeFileSync(file, original);
      appendFileSync(file, '');
      assert.equal((await cli('history')).code, 0);
    });

    it('is blocked by a freeze window during it and allowed after it (injected clock)', async () => {
      const spec = await loadSpec(specFile);
      const pipeline = new LocalPipeline(await LocalEnvironments.create({ home }));
      const during = () => new Date('2026-12-24T10:00:00Z');
      await assert.rejects(
        pipeline.promote(spec, { stage: 'staging' }, 'production', { actor: 'alice@example.com', now: during }),
        (err: unknown) => {
          assert.ok(SlipwayError.is(err, 'gates-failed'));
          assert.match((err as Error).message, /window \(window\) fail: .*year-end freeze/);
          return true;
        },
      );
      const after = () => new Date('2027-01-05T10:00:00Z');
      const r = await pipeline.promote(spec, { stage: 'staging' }, 'production', {
        actor: 'alice@example.com',
        now: after,
      });
      assert.equal(r.release, 1);
      assert.equal(
        await containerImage(project, 'stage:production', 'web'),
        await containerImage(project, 'stage:staging', 'web'),
      );
    });
  });
});
