/**
 * An explicit unix:// endpoint is the one used, through the real CLI, even with DOCKER_HOST
 * pointing at an address where nothing answers: given as --docker-host, and as a stage's
 * dockerHost.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT,
  cliJson,
  forceDown,
  getStatus,
  labelled,
  removeDir,
  requireEngines,
  RUN,
  runCli,
  tempHome,
} from './helpers';

const SOCKET = 'unix:///var/run/docker.sock';
/** Nothing listens on port 1: an engine reached through DOCKER_HOST would never answer. */
const NOWHERE = { DOCKER_HOST: 'tcp://127.0.0.1:1' };
const PROJECT = 'endpoint';

describe('explicit unix:// endpoints beat DOCKER_HOST (real CLI, Docker, Pulumi)', function () {
  this.timeout(10 * 60 * 1000);
  const branch = `endpoint-${RUN}`;
  let home: string;
  let dir: string;
  let spec: string;

  before(async () => {
    await requireEngines();
    home = tempHome('endpoint');
    dir = tempHome('endpoint-spec');
    spec = join(dir, 'slipway.yaml');
    writeFileSync(
      spec,
      [
        'version: 1',
        `name: ${PROJECT}`,
        'services:',
        '  static:',
        `    build: ${join(ROOT, 'test', 'fixtures', 'two-services', 'static')}`,
        '    ports: [8081]',
        '    healthcheck:',
        '      http: /index.html',
        'pipeline:',
        '  stages:',
        '    - preview',
        '    - name: lab',
        `      dockerHost: ${SOCKET}`,
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    await forceDown(spec, branch, home);
    removeDir(home);
    removeDir(dir);
  });

  it('up, status and down run on --docker-host unix:///var/run/docker.sock while DOCKER_HOST points nowhere', async () => {
    // DOCKER_HOST alone really reaches nothing.
    const control = await runCli(['status', '--spec', spec, '--branch', branch], home, 60_000, NOWHERE);
    assert.notEqual(control.code, 0, control.stdout);
    assert.match(control.stderr, /No Docker Engine answers at tcp:\/\/127\.0\.0\.1:1/);

    const at = ['--spec', spec, '--branch', branch, '--docker-host', SOCKET];
    const up = await cliJson<{ status: string; urls: Record<string, string> }>(['up', ...at], home, NOWHERE);
    assert.equal(up.status, 'running');
    assert.equal(await getStatus(`${up.urls.static}/index.html`), 200);
    const status = await cliJson<{ status: string; services: Array<{ service: string; state: string }> }>(
      ['status', ...at],
      home,
      NOWHERE,
    );
    assert.equal(status.status, 'running');
    assert.deepEqual(
      status.services.map((s) => [s.service, s.state]),
      [['static', 'running']],
    );

    const down = await cliJson<{ status: string }>(['down', ...at], home, NOWHERE);
    assert.equal(down.status, 'absent');
    const left = await labelled(PROJECT, branch);
    assert.deepEqual([left.containers.length, left.networks.length, left.volumes.length], [0, 0, 0]);
  });

  it("a stage's dockerHost: unix:///var/run/docker.sock is used while DOCKER_HOST points nowhere", async () => {
    // The stage was never promoted into: down reaches its engine, sweeps it, finds nothing and
    // says so (not-found, exit 1). Through DOCKER_HOST it would have failed to connect instead.
    const r = await runCli(['down', '--spec', spec, '--stage', 'lab'], home, 5 * 60_000, NOWHERE);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /Stage lab of endpoint has no environment/);
    assert.doesNotMatch(r.stderr, /ECONNREFUSED|127\.0\.0\.1:1\b/);
  });
});
