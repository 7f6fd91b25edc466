/**
 * A stage on a Docker Swarm cluster, end to end: a second dockerd started here with TLS on
 * 127.0.0.1 becomes a one-node Swarm (`docker swarm init --advertise-addr 127.0.0.1`); promoting to
 * the stage runs each service as a Swarm service on an overlay network, healthy and answering on
 * loopback; a later release whose health check fails on the cluster is rolled back by Swarm with
 * no command from the user, the stage keeps answering with the release before, and the audit log
 * records the automatic rollback. Afterwards the first engine still builds.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditPath } from '../../environments/pipeline/audit';
import { stageBranch } from '../../environments/naming';
import { RUN, docker, jsonData, removeDir, requireEngines, runCli, tempHome } from './helpers';
import { waitFor } from '../wait';
import { firstEngineBuilds, startSecondEngine, type SecondEngine } from './second-engine';

interface ListedEnv {
  branch: string;
  status: string;
  urls: Record<string, string>;
  services: Array<{ service: string; state: string; health: string }>;
}

describe('a stage on a Docker Swarm cluster (real one-node Swarm on a second dockerd over TLS)', function () {
  this.timeout(20 * 60 * 1000);
  const project = `swarm-${RUN}`;
  const branch = 'feature';
  let engine: SecondEngine | undefined;
  let root: string;
  let app: string;
  let home: string;
  let specFile: string;
  const cli = (...args: string[]) => runCli([...args, '--spec', specFile], home, 900_000);
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: app,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'dev',
        GIT_AUTHOR_EMAIL: 'dev@corp.test',
        GIT_COMMITTER_NAME: 'dev',
        GIT_COMMITTER_EMAIL: 'dev@corp.test',
      },
    });
  const stageUrl = async () => {
    const list = jsonData<ListedEnv[]>((await cli('list', '--json')).stdout);
    const stage = list.find((e) => e.branch === stageBranch('cluster'));
    assert.ok(stage, JSON.stringify(list));
    return { stage, url: stage.urls.web };
  };
  const version = async (url: string) => (await (await fetch(`${url}/version.txt`)).text()).trim();

  before(async () => {
    await requireEngines();
    await docker
      .getImage('slipway/busybox:local')
      .inspect()
      .catch(() => assert.fail('the base image slipway/busybox:local is missing: run `npm run setup` first'));
    engine = await startSecondEngine('swarm-engine');
    engine.cli([
      'swarm',
      'init',
      '--advertise-addr',
      '127.0.0.1',
      '--default-addr-pool',
      engine.pool,
      '--default-addr-pool-mask-length',
      '24',
    ]);
    root = tempHome('swarm-app');
    home = tempHome('swarm');
    app = join(root, 'app');
    mkdirSync(join(app, 'www'), { recursive: true });
    specFile = join(app, 'slipway.yaml');
    writeFileSync(
      specFile,
      [
        'version: 1',
        `name: ${project}`,
        'services:',
        '  web:',
        '    build: .',
        '    ports: [8080]',
        '    healthcheck: { http: /health, timeout: 8s }',
        '    resources: { cpus: 0.5, memory: 64Mi }',
        'pipeline:',
        '  stages:',
        '    - preview',
        '    - name: cluster',
        `      dockerHost: ${engine.tcp}`,
        `      tls: { certPath: ${engine.certPath} }`,
        '      orchestrator: swarm',
        '      replicas: 1',
        '      placement: [node.role==manager]',
        '      rollout: { strategy: rolling, parallelism: 1, delay: 0s, monitor: 5s }',
        '',
      ].join('\n'),
    );
    writeFileSync(join(app, 'www', 'health'), 'ok\n');
    writeFileSync(join(app, 'www', 'version.txt'), 'v1\n');
    writeFileSync(join(app, 'start.sh'), '#!/bin/sh\nexec httpd -f -v -p 8080 -h /www\n');
    writeFileSync(
      join(app, 'Dockerfile'),
      'FROM slipway/busybox:local\nCOPY www /www\nCOPY start.sh /start.sh\nCMD ["sh", "/start.sh"]\n',
    );
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-q', '-m', 'app');
    git('checkout', '-q', '-b', branch);
  });

  after(async () => {
    try {
      if (specFile) {
        await cli('down', '--branch', branch);
        await cli('down', '--stage', 'cluster');
      }
    } finally {
      await engine?.stop();
      if (root) removeDir(root);
      if (home) removeDir(home);
    }
    firstEngineBuilds();
  });

  it('runs each service as a Swarm service on an overlay network, healthy and answering on loopback', async () => {
    const up = await cli('up', '--branch', branch);
    assert.equal(up.code, 0, up.stderr);
    const promoted = await cli('promote', '--from', branch, '--to', 'cluster', '--as', 'dev@corp.test');
    assert.equal(promoted.code, 0, promoted.stderr + promoted.stdout);
    const services = await engine!.docker.listServices();
    const web = services.find((s) => s.Spec?.Labels?.['dev.slipway.service'] === 'web');
    assert.ok(web, 'web is a Swarm service');
    assert.equal(web.Spec?.Mode?.Replicated?.Replicas, 1);
    assert.deepEqual(web.Spec?.TaskTemplate?.Placement?.Constraints, ['node.role==manager']);
    assert.equal(web.Spec?.TaskTemplate?.Resources?.Limits?.MemoryBytes, 64 * 1024 * 1024);
    assert.equal(web.Spec?.UpdateConfig?.FailureAction, 'rollback');
    const network = (await engine!.docker.listNetworks()).find((n) => n.Name === `slipway-${project}-stage_cluster`);
    assert.equal(network?.Driver, 'overlay');
    const { stage, url } = await stageUrl();
    assert.equal(stage.status, 'running', JSON.stringify(stage));
    assert.equal(stage.services[0].health, 'healthy');
    assert.equal(await version(url), 'v1');
  });

  it('rolls a release that fails its health check on the cluster back by itself, and audits it', async () => {
    // v2 is healthy as a preview, but on the cluster (where a task has a second interface, on
    // Swarm's docker_gwbridge) it stops serving its health check: only Swarm can catch it.
    writeFileSync(join(app, 'www', 'version.txt'), 'v2\n');
    writeFileSync(
      join(app, 'start.sh'),
      '#!/bin/sh\nif [ -e /sys/class/net/eth1 ]; then rm -f /www/health; fi\nexec httpd -f -v -p 8080 -h /www\n',
    );
    git('commit', '-q', '-am', 'v2');
    const up = await cli('up', '--branch', branch);
    assert.equal(up.code, 0, up.stderr);
    const { url } = await stageUrl();
    const promoted = await cli('promote', '--from', branch, '--to', 'cluster', '--as', 'dev@corp.test');
    assert.equal(promoted.code, 1, promoted.stdout);
    assert.match(promoted.stderr, /Swarm rolled .*web.* back/);
    const web = (await engine!.docker.listServices()).find((s) => s.Spec?.Labels?.['dev.slipway.service'] === 'web');
    assert.equal(web?.UpdateStatus?.State, 'rollback_completed');
    // The stage answers with the release it ran before (once Swarm's restored task is healthy again).
    await waitFor(`${url} to answer v1 again`, async () => (await version(url).catch(() => '')) === 'v1', {
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    const audit = readFileSync(auditPath(home, project), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; actor: string; stage: string; note?: string; release?: number });
    const automatic = audit.find((e) => e.action === 'rollback-automatic');
    assert.ok(automatic, audit.map((e) => e.action).join(', '));
    assert.equal(automatic.stage, 'cluster');
    assert.equal(automatic.release, 2);
    assert.match(automatic.note ?? '', /web: rollback completed/);
    const verified = await cli('history', '--verify');
    assert.equal(verified.code, 0, verified.stderr);
  });
});
