/**
 * `down`'s head start on the real Docker Engine and Pulumi: a branch's containers, networks and
 * volumes are removed while Pulumi's destroy starts. What a down interrupted after its head start
 * leaves (the Docker objects gone, the stack still listing them), even with the images it built
 * removed by hand since, is one `up` from converging (the images built again) and one `down` from
 * nothing, and a down with its head start leaves nothing labelled and no stack.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { teardownAhead } from '../../environments/docker/engine';
import { envNames } from '../../environments/naming';
import { findPulumiRoot } from '../../environments/pulumi/locate';
import {
  SHOP_SPEC,
  cliJson,
  docker,
  forceDown,
  getStatus,
  labelled,
  RUN,
  removeDir,
  requireEngines,
  runCli,
  stackFileExists,
  tempHome,
} from './helpers';

interface UpJson {
  env: string;
  urls: Record<string, string>;
}

const PROJECT = 'shop';

/** The tags ending with `suffix` of the images on the engine, sorted. */
async function imageTags(suffix: string): Promise<string[]> {
  const images = await docker.listImages();
  return images.flatMap((i) => (i.RepoTags ?? []).filter((t) => t.endsWith(suffix))).sort();
}

describe("down's head start on real Docker + Pulumi", function () {
  this.timeout(15 * 60 * 1000);
  const branch = `down-ahead-${RUN}`;
  let home: string;

  before(async () => {
    await requireEngines();
    home = tempHome('down-ahead');
  });

  after(async () => {
    await forceDown(SHOP_SPEC, branch, home);
    removeDir(home);
  });

  it('leaves, when interrupted after it, a state from which up converges', async () => {
    const first = await cliJson<UpJson>(['up', '--spec', SHOP_SPEC, '--branch', branch], home);
    const before = await labelled(PROJECT, branch);
    assert.equal(before.containers.length, 3, 'web, db and the payments mock');

    // What a down killed right after its head start leaves: every labelled object gone, the stack as it was.
    const names = envNames(PROJECT, branch);
    await teardownAhead(docker, { project: names.project, env: names.env });
    const gone = await labelled(PROJECT, branch);
    assert.deepEqual([gone.containers.length, gone.networks.length, gone.volumes.length], [0, 0, 0]);
    assert.equal(stackFileExists(home, PROJECT, branch), true, 'the stack still lists what was there');

    // And the images it built removed by hand since (`docker image prune -a` would remove them now).
    const tags = () => imageTags(`:${names.env}`);
    assert.deepEqual(await tags(), [`slipway/shop-mock-payments:${names.env}`, `slipway/shop-web:${names.env}`]);
    for (const tag of await tags()) await docker.getImage(tag).remove();

    // The images are built again (the image diff finds them gone), then the containers made from them.
    const again = await cliJson<UpJson>(['up', '--spec', SHOP_SPEC, '--branch', branch], home);
    assert.equal(again.env, first.env);
    assert.equal((await tags()).length, 2, 'both images are built again under their tags');
    assert.equal(await getStatus(`${again.urls.web}/healthz`), 200);
    const after = await labelled(PROJECT, branch);
    assert.equal(after.containers.length, 3, 'one container per service and mock, none left over');
    assert.equal(after.volumes.length, 1, "the database's volume is made again");
  });

  it('converges after a down that failed once Pulumi had deleted a container', async () => {
    // What such a down leaves: the container gone from Docker and from the stack, the record and
    // the declared view still listing it. Pulumi refuses to replace what its stack does not hold.
    const names = envNames(PROJECT, branch);
    const urn = `urn:pulumi:${names.stack}::${names.pulumiProject}::pulumi-nodejs:dynamic/slipway:DockerContainer::web`;
    await docker.getContainer(`slipway-shop-${names.env}-web`).remove({ force: true, v: true });
    const pulumi = spawnSync(
      join(findPulumiRoot(), 'bin', 'pulumi'),
      ['state', 'delete', '--stack', names.stack, urn, '--yes', '--non-interactive'],
      {
        cwd: join(home, 'work', names.pulumiProject),
        encoding: 'utf8',
        env: {
          ...process.env,
          PULUMI_BACKEND_URL: `file://${join(home, 'state')}`,
          PULUMI_CONFIG_PASSPHRASE:
            process.env.PULUMI_CONFIG_PASSPHRASE ?? readFileSync(join(home, 'passphrase'), 'utf8').trim(),
          PULUMI_SKIP_UPDATE_CHECK: '1',
        },
      },
    );
    assert.equal(pulumi.status, 0, pulumi.stderr);

    const again = await cliJson<UpJson>(['up', '--spec', SHOP_SPEC, '--branch', branch], home);
    assert.equal(await getStatus(`${again.urls.web}/healthz`), 200);
    assert.equal((await labelled(PROJECT, branch)).containers.length, 3);
  });

  it('removes everything with its head start, and Pulumi records the teardown', async () => {
    const r = await runCli(['down', '--spec', SHOP_SPEC, '--branch', branch, '--timings'], home);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /docker teardown ahead of Pulumi/, 'the head start ran');
    const left = await labelled(PROJECT, branch);
    assert.deepEqual([left.containers.length, left.networks.length, left.volumes.length], [0, 0, 0]);
    assert.equal(stackFileExists(home, PROJECT, branch), false, 'the stack is removed');
    const status = await runCli(['status', '--spec', SHOP_SPEC, '--branch', branch, '--json'], home);
    assert.notEqual(status.code, 0, 'no environment is left for the branch');
  });
});
