/**
 * A stage named by a Docker CLI context, whose images travel through a registry, end to end: a
 * second dockerd with TLS on 127.0.0.1 (no image at all), a `docker context create` for it in a
 * Docker config of the test's own, and Debian's docker-registry on a free 127.0.0.1 port. Promoting
 * a branch pushes the release's images from this machine's engine to the registry and the stage's
 * engine pulls them (nothing streamed between the engines), the stage is healthy, and `down
 * --stage` takes the registry-named tags away with the stage.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { dockerClient } from '../../environments/docker/endpoint';
import { stageBranch } from '../../environments/naming';
import { RUN, docker, jsonData, removeDir, tempHome } from './helpers';
import { startRegistry, type RegistryServer } from './registry-server';
import { BASE_IMAGE, startStageApp, WEB_APP, type ListedEnv, type StageApp } from './stage-fixture';

describe('a stage on a Docker context, its images pushed through a registry (real dockerd over TLS, real docker-registry)', function () {
  this.timeout(15 * 60 * 1000);
  const project = `registry-${RUN}`;
  const branch = 'feature';
  const context = `lab-${RUN}`;
  let registry: RegistryServer | undefined;
  let dockerConfig: string | undefined;
  let stage: StageApp | undefined;
  const cli = (...args: string[]) => stage!.cli(...args);
  const engineTags = async () => (await stage!.engine.docker.listImages()).flatMap((i) => i.RepoTags ?? []);

  before(async () => {
    registry = await startRegistry('stage-registry');
    dockerConfig = tempHome('stage-docker-config');
    const config = dockerConfig;
    stage = await startStageApp({
      prefix: 'registry',
      project,
      branch,
      ...WEB_APP,
      stages: () => ['    - name: lab', `      context: ${context}`, `      registry: ${registry!.address}`],
      // The context is the Docker CLI's own, made with its TLS material in this Docker config.
      prepare: (engine) => {
        const pem = (f: string) => join(engine.certPath, `${f}.pem`);
        execFileSync(
          'docker',
          [
            'context',
            'create',
            context,
            '--docker',
            `host=${engine.tcp},ca=${pem('ca')},cert=${pem('cert')},key=${pem('key')}`,
          ],
          { env: { ...process.env, DOCKER_CONFIG: config }, stdio: ['ignore', 'pipe', 'pipe'] },
        );
      },
      env: { SLIPWAY_PROBE_IMAGE: BASE_IMAGE, DOCKER_CONFIG: config },
    });
  });

  after(async () => {
    try {
      await stage?.teardown(['lab']);
    } finally {
      await registry?.stop();
      if (dockerConfig) removeDir(dockerConfig);
    }
  });

  it('reaches the TLS engine through the context, and it holds no image', async () => {
    const saved = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = dockerConfig;
    try {
      const viaContext = dockerClient(`context://${context}`);
      assert.equal(String(await viaContext.ping()), 'OK');
      assert.equal((await viaContext.info()).ID, (await stage!.engine.docker.info()).ID);
      assert.deepEqual(await viaContext.listImages(), []);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_CONFIG;
      else process.env.DOCKER_CONFIG = saved;
    }
  });

  it('promotes: images pushed to the registry and pulled by the stage engine, the stage healthy', async () => {
    const up = await cli('up', '--branch', branch);
    assert.equal(up.code, 0, up.stderr);
    const promoted = await cli('promote', '--from', branch, '--to', 'lab', '--as', 'dev@corp.test', '--verbose');
    const said = promoted.stderr + promoted.stdout;
    assert.equal(promoted.code, 0, said);
    const reg = registry!.address.replace(/\./g, '\\.');
    assert.match(said, new RegExp(`pushing web's image [0-9a-f]{12} from .* to ${reg}`));
    assert.match(
      said,
      new RegExp(`pulling web's image ${reg}/slipway/${project}-web:stage_lab-r1 from ${reg} on context://${context}`),
    );
    assert.doesNotMatch(said, /shipping .* image/, 'nothing is streamed between the engines');
    // The stage's engine holds the preview's very image, under the registry's name and the release tag.
    const previewWeb = (await docker.listContainers()).find(
      (c) => c.Labels['dev.slipway.project'] === project && c.Labels['dev.slipway.service'] === 'web',
    );
    assert.ok(previewWeb, 'the preview runs on this machine');
    const previewImage = (await docker.getContainer(previewWeb.Id).inspect()).Image;
    const pulled = await stage!.engine.docker.getImage(previewImage).inspect();
    assert.ok(
      pulled.RepoTags.includes(`${registry!.address}/slipway/${project}-web:stage_lab-r1`),
      pulled.RepoTags.join(', '),
    );
    assert.ok(pulled.RepoTags.includes(`slipway/${project}-web:stage_lab-r1`), pulled.RepoTags.join(', '));
    // The probe image came the same way, under its own name only.
    assert.ok((await engineTags()).includes(BASE_IMAGE));
    const catalog = (await (await fetch(`http://${registry!.address}/v2/_catalog`)).json()) as {
      repositories: string[];
    };
    assert.deepEqual(catalog.repositories.sort(), ['slipway/busybox', `slipway/${project}-web`].sort());
    // This machine's engine keeps no registry name, and no tag of the stage.
    const local = (await docker.listImages()).flatMap((i) => i.RepoTags ?? []);
    assert.deepEqual(
      local.filter((t) => t.startsWith(registry!.address) || t.startsWith(`slipway/${project}-web:stage_`)),
      [],
    );
    const web = (await stage!.engine.docker.listContainers()).find((c) => c.Labels['dev.slipway.service'] === 'web');
    assert.equal(web?.State, 'running');
    const list = jsonData<ListedEnv[]>((await cli('list', '--json')).stdout);
    const lab = list.find((e) => e.branch === stageBranch('lab'));
    assert.ok(lab, JSON.stringify(list));
    assert.equal(lab.status, 'running', JSON.stringify(lab));
    assert.equal(lab.dockerHost, `context://${context}`);
    assert.deepEqual(
      lab.services.map((s) => [s.service, s.state, s.health]),
      [['web', 'running', 'healthy']],
    );
  });

  it('takes the registry-named release tags away with the stage', async () => {
    const down = await cli('down', '--stage', 'lab', '--yes');
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(
      (await engineTags()).filter((t) => t.includes(':stage_lab-r')),
      [],
    );
  });
});
