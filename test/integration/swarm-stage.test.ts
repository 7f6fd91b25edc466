/**
 * A stage on a Docker Swarm cluster, end to end: a second dockerd started here, with TLS on
 * 127.0.0.1, becomes a one-node Swarm (`docker swarm init --advertise-addr 127.0.0.1`); promoting to
 * the stage runs each service as a Swarm service on an overlay network, healthy and answering on
 * 127.0.0.1 (its host-mode published port); a service scaled or removed by hand shows as drift and
 * `drift --reapply` makes it again; a later release whose health check fails on the cluster is rolled back by Swarm with
 * no command from the user, the stage keeps answering with the release before, and the audit log
 * records the automatic rollback. Afterwards the first engine still builds.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditPath } from '../../environments/pipeline/audit';
import type { DriftReport } from '../../environments/pipeline/drift';
import { stageRollouts } from '../../environments/pipeline/swarm-rollout';
import { loadSpec } from '../../environments/spec/load';
import { stageBranch } from '../../environments/naming';
import { RUN, jsonData } from './helpers';
import { waitFor } from '../wait';
import type { SecondEngine } from './second-engine';
import { clusterPipeline, startSwarmApp, tearDownSwarmApp, type SwarmApp } from './swarm-app';

interface ListedEnv {
  branch: string;
  status: string;
  urls: Record<string, string>;
  services: Array<{ service: string; state: string; health: string }>;
}

describe('a stage on a Docker Swarm cluster (real one-node Swarm on a second dockerd on 127.0.0.1)', function () {
  this.timeout(20 * 60 * 1000);
  const project = `swarm-${RUN}`;
  const branch = 'feature';
  let fixture: SwarmApp | undefined;
  const cli = (...args: string[]) => fixture!.cli(...args);
  const stageUrl = async () => {
    const list = jsonData<ListedEnv[]>((await cli('list', '--json')).stdout);
    const stage = list.find((e) => e.branch === stageBranch('cluster'));
    assert.ok(stage, JSON.stringify(list));
    return { stage, url: stage.urls.web };
  };
  const version = async (url: string) => (await (await fetch(`${url}/version.txt`)).text()).trim();

  before(async () => {
    fixture = await startSwarmApp(
      'swarm',
      branch,
      (engine: SecondEngine) => [
        'version: 1',
        `name: ${project}`,
        'services:',
        '  web:',
        '    build: .',
        '    ports: [8080]',
        '    healthcheck: { http: /health, timeout: 8s }',
        '    resources: { cpus: 0.5, memory: 64Mi }',
        '    volumes: [cache:/data]',
        ...clusterPipeline(engine, [
          'replicas: 1',
          'placement: [node.role==manager]',
          'rollout: { strategy: rolling, parallelism: 1, delay: 0s, monitor: 5s }',
        ]),
      ],
      {
        'www/health': 'ok\n',
        'www/version.txt': 'v1\n',
        'start.sh': '#!/bin/sh\nexec httpd -f -v -p 8080 -h /www\n',
        Dockerfile: 'FROM slipway/busybox:local\nCOPY www /www\nCOPY start.sh /start.sh\nCMD ["sh", "/start.sh"]\n',
      },
    );
  });

  after(() => tearDownSwarmApp(fixture, branch, 'cluster'));

  it('runs each service as a Swarm service on an overlay network, healthy and answering on 127.0.0.1', async () => {
    const up = await cli('up', '--branch', branch);
    assert.equal(up.code, 0, up.stderr);
    const promoted = await cli('promote', '--from', branch, '--to', 'cluster', '--as', 'dev@corp.test');
    assert.equal(promoted.code, 0, promoted.stderr + promoted.stdout);
    const services = await fixture!.engine.docker.listServices();
    const web = services.find((s) => s.Spec?.Labels?.['dev.slipway.service'] === 'web');
    assert.ok(web, 'web is a Swarm service');
    assert.equal(web.Spec?.Mode?.Replicated?.Replicas, 1);
    // Its named volume is made through the stage's engine, and its tasks pinned to that node.
    const node = ((await fixture!.engine.docker.info()) as { Swarm: { NodeID: string } }).Swarm.NodeID;
    assert.deepEqual(web.Spec?.TaskTemplate?.Placement?.Constraints, [`node.id==${node}`]);
    const volume = `slipway-${project}-stage_cluster-vol.cache-data`;
    assert.deepEqual(
      (
        web.Spec?.TaskTemplate as {
          ContainerSpec?: { Mounts?: Array<{ Type?: string; Source?: string; Target?: string }> };
        }
      ).ContainerSpec?.Mounts?.map((m) => [m.Type, m.Source, m.Target]),
      [['volume', volume, '/data']],
    );
    assert.ok(
      (await fixture!.engine.docker.listVolumes()).Volumes.some((v) => v.Name === volume),
      `volume ${volume} on the stage's engine`,
    );
    assert.equal(web.Spec?.TaskTemplate?.Resources?.Limits?.MemoryBytes, 64 * 1024 * 1024);
    assert.equal(web.Spec?.UpdateConfig?.FailureAction, 'rollback');
    const network = (await fixture!.engine.docker.listNetworks()).find(
      (n) => n.Name === `slipway-${project}-stage_cluster`,
    );
    assert.equal(network?.Driver, 'overlay');
    const { stage, url } = await stageUrl();
    assert.equal(stage.status, 'running', JSON.stringify(stage));
    assert.equal(stage.services[0].health, 'healthy');
    assert.equal(new URL(url).hostname, '127.0.0.1');
    assert.equal(await version(url), 'v1');
  });

  it('reports a Swarm service removed or scaled by hand as drift, and reapply makes it again', async () => {
    const clean = await cli('drift', '--stage', 'cluster', '--json');
    assert.equal(clean.code, 0, clean.stderr + clean.stdout);
    const docker = fixture!.engine.docker;
    const webService = async () =>
      (await docker.listServices()).find((s) => s.Spec?.Labels?.['dev.slipway.service'] === 'web');
    const before = await webService();
    assert.ok(before, 'web is a Swarm service');
    // Scaled by hand: reported with what was declared and what runs.
    await docker
      .getService(before.ID)
      .update({ ...before.Spec, Mode: { Replicated: { Replicas: 2 } }, version: before.Version!.Index } as never);
    const scaled = await cli('drift', '--stage', 'cluster', '--json');
    assert.equal(scaled.code, 3, scaled.stderr + scaled.stdout);
    const scaledItems = jsonData<DriftReport>(scaled.stdout).items;
    assert.deepEqual(
      scaledItems.map((i) => [i.resource, i.kind, i.property, i.declared, i.actual]),
      [['web', 'swarm-service', 'replicas', '1', '2']],
    );
    // Removed by hand through the cluster's engine.
    await docker.getService(before.ID).remove();
    const drifted = await cli('drift', '--stage', 'cluster', '--json');
    assert.equal(drifted.code, 3, drifted.stderr + drifted.stdout);
    const report = jsonData<DriftReport>(drifted.stdout);
    assert.equal(report.drifted, true);
    assert.deepEqual(
      report.items.map((i) => [i.resource, i.kind, i.property, i.source, i.actual, i.remedies]),
      [['web', 'swarm-service', 'existence', 'reality', 'missing', ['reapply']]],
    );
    const text = await cli('drift', '--stage', 'cluster');
    assert.equal(text.code, 3, text.stdout);
    assert.match(text.stdout, /web/);
    const reapplied = await cli('drift', '--stage', 'cluster', '--reapply');
    assert.equal(reapplied.code, 0, reapplied.stderr + reapplied.stdout);
    const after = await webService();
    assert.ok(after, 'web is a Swarm service again');
    assert.notEqual(after.ID, before.ID);
    assert.equal(after.Spec?.Mode?.Replicated?.Replicas, 1);
    const again = await cli('drift', '--stage', 'cluster', '--json');
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.deepEqual(jsonData<DriftReport>(again.stdout).items, []);
    const { url } = await stageUrl();
    assert.equal(await version(url), 'v1');
  });

  it('rolls a release that fails its health check on the cluster back by itself, and audits it', async () => {
    // v2 is healthy as a preview, but on the cluster (where a task has a second interface, on
    // Swarm's docker_gwbridge) it stops serving its health check: only Swarm can catch it.
    writeFileSync(join(fixture!.app, 'www', 'version.txt'), 'v2\n');
    writeFileSync(
      join(fixture!.app, 'start.sh'),
      '#!/bin/sh\nif [ -e /sys/class/net/eth1 ]; then rm -f /www/health; fi\nexec httpd -f -v -p 8080 -h /www\n',
    );
    fixture!.git('commit', '-q', '-am', 'v2');
    const up = await cli('up', '--branch', branch);
    assert.equal(up.code, 0, up.stderr);
    const { url } = await stageUrl();
    const promoted = await cli('promote', '--from', branch, '--to', 'cluster', '--as', 'dev@corp.test');
    assert.equal(promoted.code, 1, promoted.stdout);
    assert.match(promoted.stderr, /Swarm rolled .*web.* back/);
    const web = (await fixture!.engine.docker.listServices()).find(
      (s) => s.Spec?.Labels?.['dev.slipway.service'] === 'web',
    );
    assert.equal(web?.UpdateStatus?.State, 'rollback_completed');
    // The stage answers with the release it ran before (once Swarm's restored task is healthy again).
    await waitFor(`${url} to answer v1 again`, async () => (await version(url).catch(() => '')) === 'v1', {
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    const audit = readFileSync(auditPath(fixture!.home, project), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; actor: string; stage: string; note?: string; release?: number });
    const automatic = audit.find((e) => e.action === 'rollback-automatic');
    assert.ok(automatic, audit.map((e) => e.action).join(', '));
    assert.equal(automatic.stage, 'cluster');
    assert.equal(automatic.release, 2);
    assert.match(automatic.note ?? '', /web: rollback completed/);
    // What the pipeline view shows of the stage: an automatic rollback.
    const spec = await loadSpec(fixture!.specFile);
    const rollout = await stageRollouts(
      project,
      spec.pipeline!.stages.find((s) => s.name === 'cluster')!,
      fixture!.home,
    );
    assert.deepEqual(
      rollout.map((r) => [r.service, r.state, r.automatic]),
      [['web', 'rollback_completed', true]],
    );
    const verified = await cli('history', '--verify');
    assert.equal(verified.code, 0, verified.stderr);
  });
});
