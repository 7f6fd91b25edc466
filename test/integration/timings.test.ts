/**
 * `--timings` on the real Docker Engine and Pulumi: each operation says where its time went (the
 * stack worker's phases carried back over its channel, each Pulumi CLI call, Docker time per
 * resource kind, health waits), as a table on stderr and as `data.timings` with --json.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN, forceDown, jsonData, removeDir, requireEngines, runCli, tempHome } from './helpers';

const SPEC = `version: 1
name: timings
services:
  web:
    image: slipway/busybox:local
    command: "mkdir -p /www && echo ok > /www/healthz && exec httpd -f -p 8080 -h /www"
    ports: [8080]
    healthcheck:
      http: /healthz
      timeout: 30s
`;

type Timed = { timings?: Record<string, number> };

describe('--timings: where each operation spent its time', function () {
  this.timeout(10 * 60 * 1000);
  const branch = `timings-${RUN}`;
  let home: string;
  let dir: string;
  let at: string[];

  before(async () => {
    await requireEngines();
    home = tempHome('timings');
    dir = mkdtempSync(join(tmpdir(), 'slipway-timings-spec-'));
    writeFileSync(join(dir, 'slipway.yaml'), SPEC);
    at = ['--spec', join(dir, 'slipway.yaml'), '--branch', branch];
  });

  after(async () => {
    await forceDown(join(dir, 'slipway.yaml'), branch, home);
    removeDir(home);
    removeDir(dir);
  });

  it('up, status, list and down report their phases on stderr, and in data.timings with --json', async () => {
    const up = await runCli(['up', ...at, '--json', '--timings'], home);
    assert.equal(up.code, 0, up.stderr);
    const upTimings = jsonData<Timed>(up.stdout).timings ?? {};
    for (const phase of [
      'spec load',
      'docker ping',
      'worker start',
      'pulumi stack init',
      'pulumi up',
      'pulumi up: start to first resource (engine, program, provider)',
      'docker container (create)',
      'docker network (create)',
      'health wait',
      'stack worker (fork to result)',
    ])
      assert.ok(
        typeof upTimings[phase] === 'number' && upTimings[phase] >= 0,
        `up has the phase "${phase}": ${JSON.stringify(upTimings)}`,
      );
    // The worker's phases fit inside the engine's view of the worker; the Pulumi run inside the worker's.
    assert.ok(upTimings['pulumi up'] <= upTimings['stack worker (fork to result)']);
    assert.ok(upTimings['health wait'] <= upTimings['docker container (create)'] + 50);
    assert.match(up.stderr, /Timings of slipway up:\n\s+phase\s+runs\s+time\s+share\n/);
    assert.match(up.stderr, /pulumi up\s+1\s+\d+\.\d{3}s\s+\d+%/);

    const status = await runCli(['status', ...at, '--timings'], home);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /running/);
    assert.match(status.stderr, /Timings of slipway status:[\s\S]*docker list containers\s+1\s/);
    assert.doesNotMatch(status.stderr, /pulumi|worker/, 'status runs no Pulumi and no worker');

    const plain = await runCli(['status', ...at, '--json'], home);
    assert.equal(jsonData<Timed>(plain.stdout).timings, undefined, 'no timings unless asked for');

    const list = await runCli(['list', '--spec', at[1], '--json', '--timings'], home);
    assert.equal(list.code, 0, list.stderr);
    const listed = jsonData<Array<{ branch: string }>>(list.stdout);
    assert.ok(Array.isArray(listed) && listed.some((e) => e.branch === branch), 'a list stays a list');
    assert.match(list.stderr, /Timings of slipway list:[\s\S]*docker list containers\s+1\s/);

    const down = await runCli(['down', ...at, '--json', '--timings'], home);
    assert.equal(down.code, 0, down.stderr);
    const downTimings = jsonData<Timed>(down.stdout).timings ?? {};
    assert.ok(
      Object.keys(downTimings).some((p) => p.startsWith('pulumi destroy')),
      `down has its Pulumi run: ${JSON.stringify(downTimings)}`,
    );
    assert.ok(downTimings['docker container (delete)'] >= 0, JSON.stringify(downTimings));
  });
});
