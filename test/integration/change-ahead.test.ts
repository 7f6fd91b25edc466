/**
 * The head start of an `up` that changes a service, on the real Docker Engine and Pulumi through
 * the real CLI: the container the run replaces is stopped while Pulumi starts, the environment
 * converges to the new spec, and a container that the run did not replace after all (the run
 * failed before it) runs again, the same container.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN, docker, forceDown, labelled, removeDir, requireEngines, runCli, tempHome } from './helpers';

const PROJECT = `ahead-${RUN}`;

describe('the stop ahead of Pulumi on a real engine', function () {
  this.timeout(10 * 60 * 1000);
  let home: string;
  let dir: string;
  let specFile: string;
  const branch = `feature/ahead-${RUN}`;

  const spec = (value: string, extra: string[] = []) =>
    [
      'version: 1',
      `name: ${PROJECT}`,
      'services:',
      '  web:',
      '    image: slipway/busybox:local',
      '    command: ["sh", "-c", "exec sleep 3600"]',
      '    env:',
      `      GREETING: ${value}`,
      ...extra,
      '',
    ].join('\n');

  async function web() {
    const { containers } = await labelled(PROJECT, branch);
    const c = containers.find((x) => x.Labels['dev.slipway.service'] === 'web');
    assert.ok(c, 'no container of web');
    return docker.getContainer(c.Id).inspect();
  }
  const greeting = async () => (await web()).Config.Env.find((e) => e.startsWith('GREETING='));

  async function up() {
    const r = await runCli(['up', '--spec', specFile, '--branch', branch, '--json', '--timings'], home);
    const json = JSON.parse(r.stdout || '{}') as { data?: { timings?: Record<string, number> } };
    return { ...r, timings: json.data?.timings ?? {} };
  }
  const AHEAD = 'docker stop ahead of Pulumi (replaced services)';

  before(async () => {
    await requireEngines();
    home = tempHome('ahead-home');
    dir = tempHome('ahead-ws');
    specFile = join(dir, 'slipway.yaml');
  });

  after(async () => {
    if (specFile) await forceDown(specFile, branch, home);
    removeDir(home);
    removeDir(dir);
  });

  it('stops what it replaces while Pulumi starts, and starts again what a failed run did not replace', async () => {
    writeFileSync(specFile, spec('one'));
    let r = await up();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.timings[AHEAD], undefined, 'a first up has nothing to stop');
    const first = await web();

    // A changed env: the container is stopped ahead, then replaced.
    writeFileSync(specFile, spec('two'));
    r = await up();
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      r.timings[AHEAD] !== undefined,
      `the replaced container was not stopped ahead: ${JSON.stringify(r.timings)}`,
    );
    const second = await web();
    assert.notEqual(second.Id, first.Id);
    assert.equal(second.State.Running, true);
    assert.equal(await greeting(), 'GREETING=two');
    await assert.rejects(docker.getContainer(first.Id).inspect(), /no such container/i, 'the old container is gone');

    // A run that fails before it gets to the container (another service's image does not build): the
    // container that was stopped ahead runs again, and the environment is as it was. (A build that
    // fails: nothing is pulled from a registry.)
    mkdirSync(join(dir, 'other'));
    writeFileSync(join(dir, 'other', 'Dockerfile'), 'FROM slipway/busybox:local\nRUN echo broken-build && exit 3\n');
    writeFileSync(specFile, spec('three', ['  other:', '    build: other', '    command: ["sleep", "3600"]']));
    r = await up();
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /broken-build|exit code: 3|returned a non-zero code/);
    const after = await web();
    assert.equal(after.Id, second.Id, 'the same container, started again');
    assert.equal(after.State.Running, true, 'web runs after the failed up');
    assert.equal(await greeting(), 'GREETING=two', 'what ran before');
  });
});
