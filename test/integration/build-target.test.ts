/**
 * `build.target` on the real Docker Engine and Pulumi, through the real CLI: the environment's
 * image is the named stage of a multi-stage Dockerfile, and a changed target builds again and
 * replaces the container.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN, forceDown, labelled, removeDir, requireEngines, runCli, tempHome } from './helpers';

const PROJECT = `target-${RUN}`;

describe('build.target on real Docker + Pulumi', function () {
  this.timeout(10 * 60 * 1000);
  let home: string;
  let dir: string;
  let specFile: string;
  const branch = `feature/target-${RUN}`;

  const spec = (target: string) =>
    [
      'version: 1',
      `name: ${PROJECT}`,
      'services:',
      '  app:',
      `    build: { context: ., target: ${target} }`,
      '    command: ["sleep", "3600"]',
      '',
    ].join('\n');

  /** What the running container's image says it is. */
  async function stage(): Promise<string> {
    const { containers } = await labelled(PROJECT, branch);
    assert.equal(containers.length, 1, `one container, found ${containers.length}`);
    return execFileSync('docker', ['exec', containers[0].Id, 'cat', '/stage'], { encoding: 'utf8' }).trim();
  }

  before(async () => {
    await requireEngines();
    home = tempHome('target-home');
    dir = tempHome('target-ws');
    specFile = join(dir, 'slipway.yaml');
    // The last stage is prod: what a build without a target would give.
    writeFileSync(
      join(dir, 'Dockerfile'),
      [
        'FROM slipway/busybox:local AS dev',
        'RUN echo dev > /stage',
        'FROM slipway/busybox:local AS prod',
        'RUN echo prod > /stage',
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    if (specFile) await forceDown(specFile, branch, home);
    removeDir(home);
    removeDir(dir);
  });

  it('builds the named stage, and builds again when the target changes', async () => {
    writeFileSync(specFile, spec('dev'));
    let r = await runCli(['up', '--spec', specFile, '--branch', branch], home);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await stage(), 'dev');

    writeFileSync(specFile, spec('prod'));
    r = await runCli(['up', '--spec', specFile, '--branch', branch], home);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await stage(), 'prod');

    writeFileSync(specFile, spec('qa'));
    r = await runCli(['up', '--spec', specFile, '--branch', branch], home);
    assert.equal(r.code, 1, 'a stage the Dockerfile lacks fails the build');
    assert.match(r.stderr, /docker build of .* failed: .*qa/);
    assert.equal(await stage(), 'prod', 'what ran before still runs');
  });
});
