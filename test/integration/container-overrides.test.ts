/**
 * A service's `entrypoint`, `user` and `working_dir` on the real Docker Engine and Pulumi, through
 * the real CLI: the container runs as the spec says instead of as its image says, and a change
 * of any of them replaces it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN, forceDown, labelled, removeDir, requireEngines, runCli, tempHome } from './helpers';

const PROJECT = `overrides-${RUN}`;
const IMAGE = `slipway-test/overrides:${RUN}`;

describe('entrypoint, user and working_dir on real Docker + Pulumi', function () {
  this.timeout(10 * 60 * 1000);
  let home: string;
  let dir: string;
  let specFile: string;
  const branch = `feature/overrides-${RUN}`;

  const spec = (user: string) =>
    [
      'version: 1',
      `name: ${PROJECT}`,
      'services:',
      '  app:',
      `    image: ${IMAGE}`,
      // The image's own ENTRYPOINT would exit at once: the spec's replaces it (and its CMD).
      `    entrypoint: sh -c 'echo "$(id -u) $(pwd) $0 $*" > /tmp/seen; exec sleep 3600' from-entrypoint`,
      '    command: ["arg1", "arg2"]',
      `    user: "${user}"`,
      '    working_dir: /tmp',
      '',
    ].join('\n');

  async function seen(): Promise<string> {
    const { containers } = await labelled(PROJECT, branch);
    assert.equal(containers.length, 1, `one container, found ${containers.length}`);
    return execFileSync('docker', ['exec', containers[0].Id, 'cat', '/tmp/seen'], { encoding: 'utf8' }).trim();
  }

  before(async () => {
    await requireEngines();
    execFileSync('docker', ['build', '-q', '-t', IMAGE, '-'], {
      input: 'FROM slipway/busybox:local\nWORKDIR /\nENTRYPOINT ["false"]\nCMD ["from-image"]\n',
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    home = tempHome('overrides-home');
    dir = tempHome('overrides-ws');
    specFile = join(dir, 'slipway.yaml');
  });

  after(async () => {
    if (specFile) await forceDown(specFile, branch, home);
    execFileSync('docker', ['rmi', '-f', IMAGE], { stdio: 'ignore' });
    removeDir(home);
    removeDir(dir);
  });

  it('runs the spec entrypoint with its command as arguments, as its user, in its folder; a new user replaces it', async () => {
    writeFileSync(specFile, spec('1234:1234'));
    let r = await runCli(['up', '--spec', specFile, '--branch', branch], home);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await seen(), '1234 /tmp from-entrypoint arg1 arg2');

    writeFileSync(specFile, spec('4321'));
    r = await runCli(['up', '--spec', specFile, '--branch', branch], home);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /replace/);
    assert.equal(await seen(), '4321 /tmp from-entrypoint arg1 arg2');

    const drift = await runCli(['drift', '--spec', specFile, '--branch', branch], home);
    assert.equal(drift.code, 0, drift.stdout + drift.stderr);
  });
});
