/**
 * A service whose image declares a VOLUME (as databases, caches and queues do) gets an anonymous
 * volume from Docker for each of its containers. On the real Docker Engine and Pulumi, through the
 * real CLI: the volume goes with its container when a change replaces it and when `down` removes
 * it, so neither leaves an unnamed volume behind.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN, docker, forceDown, labelled, removeDir, requireEngines, runCli, tempHome } from './helpers';

const PROJECT = `anonvol-${RUN}`;
const IMAGE = `slipway-test/with-volume:${RUN}`;

describe('anonymous volumes of a service image on real Docker + Pulumi', function () {
  this.timeout(10 * 60 * 1000);
  let home: string;
  let dir: string;
  let specFile: string;
  const branch = `feature/anon-${RUN}`;

  const spec = (value: string) =>
    `version: 1\nname: ${PROJECT}\nservices:\n  cache:\n    image: ${IMAGE}\n    command: ["sleep", "3600"]\n    env:\n      GENERATION: "${value}"\n`;

  /** The anonymous volume Docker made for the environment's one container at /data. */
  async function anonymousVolume(): Promise<string> {
    const { containers } = await labelled(PROJECT, branch);
    assert.equal(containers.length, 1, `one container, found ${containers.length}`);
    const mounts = (await docker.getContainer(containers[0].Id).inspect()).Mounts;
    const data = mounts.find((m) => m.Destination === '/data');
    assert.ok(data && data.Type === 'volume' && /^[0-9a-f]{64}$/.test(data.Name ?? ''), JSON.stringify(mounts));
    return data.Name as string;
  }

  const volumeExists = (name: string) =>
    docker
      .getVolume(name)
      .inspect()
      .then(
        () => true,
        (err: { statusCode?: number }) => {
          if (err.statusCode === 404) return false;
          throw err;
        },
      );

  before(async () => {
    await requireEngines();
    execFileSync('docker', ['build', '-q', '-t', IMAGE, '-'], {
      input: 'FROM slipway/busybox:local\nVOLUME /data\n',
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    home = tempHome('anonvol-home');
    dir = tempHome('anonvol-ws');
    specFile = join(dir, 'slipway.yaml');
  });

  after(async () => {
    if (specFile) await forceDown(specFile, branch, home);
    await docker
      .getImage(IMAGE)
      .remove({ force: true })
      .catch(() => undefined);
    removeDir(home);
    removeDir(dir);
  });

  it('a replaced container and a removed environment take their anonymous volumes with them', async () => {
    writeFileSync(specFile, spec('1'));
    let r = await runCli(['up', '--spec', specFile, '--branch', branch], home);
    assert.equal(r.code, 0, r.stderr);
    const first = await anonymousVolume();

    // A changed environment variable replaces the container.
    writeFileSync(specFile, spec('2'));
    r = await runCli(['up', '--spec', specFile, '--branch', branch], home);
    assert.equal(r.code, 0, r.stderr);
    const second = await anonymousVolume();
    assert.notEqual(second, first, 'the change replaced the container');
    assert.equal(await volumeExists(first), false, `the replaced container's volume ${first} was left behind`);

    r = await runCli(['down', '--spec', specFile, '--branch', branch], home);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await volumeExists(second), false, `the removed container's volume ${second} was left behind`);
  });
});
