/**
 * A promotion into a Swarm stage with `rollout: { strategy: start-first }` keeps the service
 * answering throughout: a second dockerd started here (TLS on 127.0.0.1) becomes a one-node Swarm;
 * the stage's service is reached through its entry (a relay holding the published host port, so
 * the new task can start beside the old one); while the second release is promoted, a loop of
 * requests from this machine to the stage's URL on loopback (bounded in count and time) sees only
 * 200s, first the old version and then the new one.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stageBranch } from '../../environments/naming';
import { RUN, docker, jsonData, removeDir, requireEngines, runCli, tempHome } from './helpers';
import { firstEngineBuilds, startSecondEngine, type SecondEngine } from './second-engine';

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

/** At most this many requests, for at most this long, one after another. */
const MAX_REQUESTS = 3000;
const MAX_LOOP_MS = 12 * 60 * 1000;

describe('a start-first promotion into a Swarm stage (real one-node Swarm on a second dockerd over TLS)', function () {
  this.timeout(25 * 60 * 1000);
  const project = `swarmsf-${RUN}`;
  const branch = 'feature';
  const probe = 'slipway/busybox:local';
  let engine: SecondEngine | undefined;
  let root: string;
  let app: string;
  let home: string;
  let specFile: string;
  // A secret of the service's: a Swarm secret on the cluster, never in a service's spec or in state.
  const token = `tok-${RUN}-${Math.random().toString(36).slice(2)}`;
  const cli = (...args: string[]) =>
    runCli([...args, '--spec', specFile], home, 900_000, { SLIPWAY_PROBE_IMAGE: probe, SWARMSF_TOKEN: token });
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
    assert.ok(stage?.urls.web, JSON.stringify(list));
    return stage.urls.web;
  };

  before(async () => {
    await requireEngines();
    await docker
      .getImage(probe)
      .inspect()
      .catch(() => assert.fail(`the base image ${probe} is missing: run \`npm run setup\` first`));
    engine = await startSecondEngine('swarm-sf-engine');
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
    root = tempHome('swarm-sf-app');
    home = tempHome('swarm-sf');
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
        '    secrets: { API_TOKEN: { env: SWARMSF_TOKEN } }',
        'pipeline:',
        '  stages:',
        '    - preview',
        '    - name: cluster',
        `      dockerHost: ${engine.tcp}`,
        `      tls: { certPath: ${engine.certPath} }`,
        '      orchestrator: swarm',
        '      replicas: 1',
        '      rollout: { strategy: start-first, parallelism: 1, delay: 0s, monitor: 5s }',
        '',
      ].join('\n'),
    );
    writeFileSync(join(app, 'www', 'health'), 'ok\n');
    writeFileSync(join(app, 'www', 'version.txt'), 'v1\n');
    // A server that drains on SIGTERM (answers for two more seconds), as one meant for rolling updates does.
    writeFileSync(
      join(app, 'start.sh'),
      [
        '#!/bin/sh',
        // The token's hash, read from its file where the platform gives one (API_TOKEN_FILE), else from the env.
        'if [ -n "$API_TOKEN_FILE" ]; then md5sum < "$API_TOKEN_FILE"; else printf %s "$API_TOKEN" | md5sum; fi | cut -c1-32 > /www/token.md5',
        'httpd -f -p 8080 -h /www &',
        'pid=$!',
        "trap 'sleep 2; kill $pid' TERM",
        'wait $pid',
        '',
      ].join('\n'),
    );
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

  it('serves every request of a loop on loopback while the second release rolls out start-first', async () => {
    assert.equal((await cli('up', '--branch', branch)).code, 0);
    const first = await cli('promote', '--from', branch, '--to', 'cluster', '--as', 'dev@corp.test');
    assert.equal(first.code, 0, first.stderr + first.stdout);
    const url = await stageUrl();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const services = await engine!.docker.listServices();
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
    const inspected = engine!.cli(['service', 'inspect', ...services.map((s) => s.ID!)]);
    assert.ok(!inspected.includes(token), 'a service spec holds the token');
    assert.match(inspected, /"API_TOKEN_FILE=\/run\/secrets\/API_TOKEN"/);
    assert.equal(filesHolding(home, token), '');

    writeFileSync(join(app, 'www', 'version.txt'), 'v2\n');
    git('commit', '-q', '-am', 'v2');
    assert.equal((await cli('up', '--branch', branch)).code, 0);

    const seen: string[] = [];
    const errors: string[] = [];
    let promoting = true;
    const started = Date.now();
    const loop = (async () => {
      let afterwards = 0;
      // Until the promotion has ended and 20 more requests have been served, within the bounds.
      while (seen.length + errors.length < MAX_REQUESTS && Date.now() - started < MAX_LOOP_MS && afterwards < 20) {
        if (!promoting) afterwards++;
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
    const second = await cli('promote', '--from', branch, '--to', 'cluster', '--as', 'dev@corp.test');
    promoting = false;
    const promotedAfter = Date.now() - started;
    await loop;
    assert.equal(second.code, 0, second.stderr + second.stdout);
    const tasks = () =>
      engine!.cli([
        'service',
        'ps',
        '--no-trunc',
        '--format',
        '{{.Name}} {{.CurrentState}} {{.Error}}',
        ...services.map((s) => s.ID!),
      ]);
    assert.deepEqual(
      errors,
      [],
      `${errors.length} of ${errors.length + seen.length} requests failed (promotion ended at ${promotedAfter} ms; ${seen.join(' ')}); tasks:\n${tasks()}\n${second.stdout}\n${second.stderr}`,
    );
    assert.ok(seen.length >= 40, `only ${seen.length} requests during the promotion`);
    assert.equal(seen[0], 'v1');
    assert.equal(seen[seen.length - 1], 'v2');
    const updated = (await engine!.docker.listServices()).find((s) => s.ID === web!.ID);
    assert.equal(updated?.UpdateStatus?.State, 'completed');
  });
});
