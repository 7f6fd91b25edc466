/**
 * A promotion into a Swarm stage with `rollout: { strategy: start-first }` keeps the service
 * answering throughout: a second dockerd started here, with TLS on 127.0.0.1, becomes a one-node
 * Swarm (`docker swarm init --advertise-addr 127.0.0.1`);
 * the stage's service is reached through its entry (a relay holding the published host port, so
 * the new task can start beside the old one); while the second release is promoted, a loop of
 * requests on loopback to the stage's URL, which names 127.0.0.1 (bounded in count and time), sees only
 * 200s, first the old version and then the new one. The service's secret is a Swarm secret (no
 * service spec and no file of Slipway's holds it), and `slipway rollback` goes through Swarm's own
 * rollback, answering throughout too, recorded in the audit log. The service's task runs the spec's
 * entrypoint and working_dir, not its image's.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditPath } from '../../environments/pipeline/audit';
import { stageRollouts } from '../../environments/pipeline/swarm-rollout';
import { loadSpec } from '../../environments/spec/load';
import { projectSlug, stageBranch } from '../../environments/naming';
import { RUN, jsonData } from './helpers';
import type { SecondEngine } from './second-engine';
import { clusterPipeline, startSwarmApp, tearDownSwarmApp, type SwarmApp } from './swarm-app';

interface ListedEnv {
  branch: string;
  status: string;
  urls: Record<string, string>;
}

/** The files under `dir` whose bytes hold `text` (grep's list, empty for none). */
function filesHolding(dir: string, text: string): string {
  try {
    return execFileSync('grep', ['-rlF', text, dir], { encoding: 'utf8' }).trim();
  } catch (err) {
    if ((err as { status?: number }).status === 1) return '';
    throw err;
  }
}

interface Served<T> {
  result: T;
  /** The versions answered, in order. */
  seen: string[];
  errors: string[];
  /** When `work` ended, in ms after the first request. */
  endedAt: number;
}

/**
 * Runs `work` while requests to `url`/version.txt follow one another: until `work` has ended and
 * 20 more requests were served, at most MAX_REQUESTS of them within MAX_LOOP_MS.
 */
async function servedDuring<T>(url: string, work: () => Promise<T>): Promise<Served<T>> {
  const seen: string[] = [];
  const errors: string[] = [];
  let working = true;
  const started = Date.now();
  const loop = (async () => {
    let afterwards = 0;
    while (seen.length + errors.length < MAX_REQUESTS && Date.now() - started < MAX_LOOP_MS && afterwards < 20) {
      if (!working) afterwards++;
      try {
        const res = await fetch(`${url}/version.txt`, { signal: AbortSignal.timeout(10_000) });
        const body = (await res.text()).trim();
        if (res.status !== 200) errors.push(`${Date.now() - started} ms: HTTP ${res.status}: ${body}`);
        else seen.push(body);
      } catch (err) {
        errors.push(`${Date.now() - started} ms: ${String((err as { cause?: unknown }).cause ?? err)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    return { result: await work(), seen, errors, endedAt: Date.now() - started };
  } finally {
    working = false;
    await loop;
  }
}

/** No request failed, enough were made, and the answers went from one version to the other. */
function assertServed(served: Served<{ stdout: string; stderr: string }>, from: string, to: string, tasks: string) {
  const { seen, errors } = served;
  assert.deepEqual(
    errors,
    [],
    `${errors.length} of ${errors.length + seen.length} requests failed (the command ended at ${served.endedAt} ms; ${seen.join(' ')}); tasks:\n${tasks}\n${served.result.stdout}\n${served.result.stderr}`,
  );
  assert.ok(seen.length >= 40, `only ${seen.length} requests while the command ran`);
  assert.equal(seen[0], from);
  assert.equal(seen[seen.length - 1], to);
}

/** At most this many requests, for at most this long, one after another. */
const MAX_REQUESTS = 3000;
const MAX_LOOP_MS = 12 * 60 * 1000;

describe('a start-first promotion into a Swarm stage (real one-node Swarm on a second dockerd on 127.0.0.1)', function () {
  this.timeout(25 * 60 * 1000);
  const project = `swarmsf-${RUN}`;
  const branch = 'feature';
  let fixture: SwarmApp | undefined;
  let url: string;
  // A secret of the service's: a Swarm secret on the cluster, never in a service's spec or in state.
  const token = `tok-${RUN}-${Math.random().toString(36).slice(2)}`;
  const cli = (...args: string[]) => fixture!.cli(...args);
  /** Each task of the cluster's services and how it ended, for messages. */
  const tasks = async () => {
    const ids = (await fixture!.engine.docker.listServices()).map((s) => s.ID!);
    return fixture!.engine.cli([
      'service',
      'ps',
      '--no-trunc',
      '--format',
      '{{.Name}} {{.CurrentState}} {{.Error}}',
      ...ids,
    ]);
  };
  const stageUrl = async () => {
    const list = jsonData<ListedEnv[]>((await cli('list', '--json')).stdout);
    const stage = list.find((e) => e.branch === stageBranch('cluster'));
    assert.ok(stage?.urls.web, JSON.stringify(list));
    return stage.urls.web;
  };

  before(async () => {
    const spec = (engine: SecondEngine) => [
      'version: 1',
      `name: ${project}`,
      'services:',
      '  web:',
      '    build: .',
      // The image's own ENTRYPOINT exits at once: the task runs the spec's, in its folder.
      '    entrypoint: ["sh", "/start.sh"]',
      '    working_dir: /www',
      '    ports: [8080]',
      '    healthcheck: { http: /health, timeout: 8s }',
      '    secrets: { API_TOKEN: { env: SWARMSF_TOKEN } }',
      ...clusterPipeline(engine, [
        'replicas: 1',
        'rollout: { strategy: start-first, parallelism: 1, delay: 0s, monitor: 5s }',
      ]),
    ];
    // A server that drains on SIGTERM (answers for two more seconds), as one meant for rolling updates does.
    const start = [
      '#!/bin/sh',
      // The token's hash, read from its file where the platform gives one (API_TOKEN_FILE), else from the env.
      'if [ -n "$API_TOKEN_FILE" ]; then md5sum < "$API_TOKEN_FILE"; else printf %s "$API_TOKEN" | md5sum; fi | cut -c1-32 > /www/token.md5',
      'pwd > /www/pwd.txt',
      'httpd -f -p 8080 -h /www &',
      'pid=$!',
      "trap 'sleep 2; kill $pid' TERM",
      'wait $pid',
      '',
    ].join('\n');
    fixture = await startSwarmApp(
      'swarm-sf',
      branch,
      spec,
      {
        'www/health': 'ok\n',
        'www/version.txt': 'v1\n',
        'start.sh': start,
        Dockerfile: 'FROM slipway/busybox:local\nCOPY www /www\nCOPY start.sh /start.sh\nENTRYPOINT ["false"]\n',
      },
      { SLIPWAY_PROBE_IMAGE: 'slipway/busybox:local', SWARMSF_TOKEN: token },
    );
  });

  after(() => tearDownSwarmApp(fixture, branch, 'cluster'));

  it('serves every request of a loop on loopback while the second release rolls out start-first', async () => {
    assert.equal((await cli('up', '--branch', branch)).code, 0);
    const first = await cli('promote', '--from', branch, '--to', 'cluster', '--as', 'dev@corp.test');
    assert.equal(first.code, 0, first.stderr + first.stdout);
    url = await stageUrl();
    assert.equal(new URL(url).hostname, '127.0.0.1');
    const services = await fixture!.engine.docker.listServices();
    const web = services.find(
      (s) => s.Spec?.Labels?.['dev.slipway.service'] === 'web' && !/-entry$/.test(s.Spec?.Name ?? ''),
    );
    assert.equal(web?.Spec?.UpdateConfig?.Order, 'start-first');
    assert.equal(web?.Spec?.EndpointSpec?.Mode, 'dnsrr');
    assert.ok(
      services.some((s) => /-entry$/.test(s.Spec?.Name ?? '')),
      'the entry holds the published port',
    );
    // The task reads the token from its Swarm secret; no service's spec, and no file of Slipway's, holds it.
    const tokenHash = createHash('md5').update(token).digest('hex');
    assert.equal((await (await fetch(`${url}/token.md5`)).text()).trim(), tokenHash);
    // The task ran the spec's entrypoint (the image's would have exited) in the spec's working_dir.
    assert.equal((await (await fetch(`${url}/pwd.txt`)).text()).trim(), '/www');
    const inspected = fixture!.engine.cli(['service', 'inspect', ...services.map((s) => s.ID!)]);
    assert.ok(!inspected.includes(token), 'a service spec holds the token');
    assert.match(inspected, /"API_TOKEN_FILE=\/run\/secrets\/API_TOKEN"/);
    assert.equal(filesHolding(fixture!.home, token), '');

    writeFileSync(join(fixture!.app, 'www', 'version.txt'), 'v2\n');
    fixture!.git('commit', '-q', '-am', 'v2');
    assert.equal((await cli('up', '--branch', branch)).code, 0);

    const second = await servedDuring(url, () =>
      cli('promote', '--from', branch, '--to', 'cluster', '--as', 'dev@corp.test'),
    );
    assert.equal(second.result.code, 0, second.result.stderr + second.result.stdout);
    assertServed(second, 'v1', 'v2', await tasks());
    const updated = (await fixture!.engine.docker.listServices()).find((s) => s.ID === web!.ID);
    assert.equal(updated?.UpdateStatus?.State, 'completed');
  });

  it("rolls back through Swarm's own rollback, still answering, and audits it", async () => {
    assert.ok(url, 'the stage runs (the test before promoted to it)');
    const back = await servedDuring(url, () => cli('rollback', '--stage', 'cluster', '--as', 'dev@corp.test'));
    assert.equal(back.result.code, 0, back.result.stderr + back.result.stdout);
    assertServed(back, 'v2', 'v1', await tasks());
    const web = (await fixture!.engine.docker.listServices()).find(
      (s) => s.Spec?.Labels?.['dev.slipway.service'] === 'web' && !/-entry$/.test(s.Spec?.Name ?? ''),
    );
    assert.equal(web?.UpdateStatus?.State, 'rollback_completed');
    // What the pipeline view shows of the stage: Swarm's rollback, asked for (not automatic).
    const spec = await loadSpec(fixture!.specFile);
    const stage = spec.pipeline!.stages.find((s) => s.name === 'cluster')!;
    const rollout = await stageRollouts(projectSlug(spec.name), stage, fixture!.home);
    assert.deepEqual(
      rollout.map((r) => [r.service, r.state, r.automatic]),
      [['web', 'rollback_completed', false]],
    );
    const audit = readFileSync(auditPath(fixture!.home, project), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; stage: string; note?: string; release?: number });
    const rollback = audit.find((e) => e.action === 'rollback');
    assert.ok(rollback, audit.map((e) => e.action).join(', '));
    assert.equal(rollback.stage, 'cluster');
    assert.equal(rollback.release, 3);
    assert.match(rollback.note ?? '', /by Swarm's own rollback: web: rollback completed/);
    const verified = await cli('history', '--verify');
    assert.equal(verified.code, 0, verified.stderr);
  });
});
