/**
 * A stage on another Docker engine, end to end: a second dockerd started here, listening with TLS
 * on 127.0.0.1 (certificates made by openssl for it), holds no image at all; promoting a branch to
 * the stage ships the release's images there through the Docker API, the HTTP health check runs
 * inside that engine, and `list`, `status` (what the pipeline view reads), `logs` and `restart`
 * look at the stage on its own engine. Afterwards the first engine still builds.
 */
import assert from 'node:assert/strict';
import { LocalEnvironments } from '../../environments/engine';
import { stageBranch } from '../../environments/naming';
import { RUN, docker, jsonData, labelled } from './helpers';
import { BASE_IMAGE, startStageApp, WEB_APP, type ListedEnv, type StageApp } from './stage-fixture';

const PROBE = BASE_IMAGE;

describe('a stage on a second Docker engine over TLS (real dockerd, images shipped, health checked inside it)', function () {
  this.timeout(15 * 60 * 1000);
  const project = `remote-${RUN}`;
  const branch = 'feature';
  let stage: StageApp | undefined;
  let home: string;
  let specFile: string;
  const cli = (...args: string[]) => stage!.cli(...args);

  before(async () => {
    stage = await startStageApp({
      prefix: 'remote',
      project,
      branch,
      ...WEB_APP,
      stages: (engine) => [
        '    - name: remote',
        `      dockerHost: ${engine.tcp}`,
        `      tls: { certPath: ${engine.certPath} }`,
      ],
      env: { SLIPWAY_PROBE_IMAGE: PROBE },
    });
    ({ home, specFile } = stage);
  });

  after(async () => {
    await stage?.teardown(['remote']);
  });

  it('starts with an engine that holds no image', async () => {
    assert.deepEqual(await stage!.engine.docker.listImages(), []);
  });

  it('promotes to the stage: images shipped there, health checked inside it', async () => {
    const up = await cli('up', '--branch', branch);
    assert.equal(up.code, 0, up.stderr);
    const promoted = await cli('promote', '--from', branch, '--to', 'remote', '--as', 'dev@corp.test', '--verbose');
    assert.equal(promoted.code, 0, promoted.stderr + promoted.stdout);
    assert.match(
      promoted.stderr + promoted.stdout,
      /shipping web's image [0-9a-f]{12} from .* to tcp:\/\/127\.0\.0\.1:\d+ \(TLS\)/,
    );
    // The stage runs on the second engine, not on this machine's.
    assert.equal((await labelled(project, stageBranch('remote'))).containers.length, 0);
    const web = (await stage!.engine.docker.listContainers()).find((c) => c.Labels['dev.slipway.service'] === 'web');
    assert.ok(web, 'web runs on the second engine');
    assert.equal(web.State, 'running');
    // Its image is the very one the preview ran, carried over with its release tag.
    const previewWeb = (await labelled(project, branch)).containers.find(
      (c) => c.Labels['dev.slipway.service'] === 'web',
    );
    assert.ok(previewWeb);
    const previewImage = (await docker.getContainer(previewWeb.Id).inspect()).Image;
    assert.equal((await stage!.engine.docker.getContainer(web.Id).inspect()).Image, previewImage);
    const tags = (await stage!.engine.docker.getImage(previewImage).inspect()).RepoTags;
    assert.ok(tags.includes(`slipway/${project}-web:stage_remote-r1`), tags.join(', '));
    // The tag named the streamed archive only: this machine's engine keeps none of the stage's.
    const local = (await docker.listImages()).flatMap((i) => i.RepoTags ?? []);
    assert.deepEqual(
      local.filter((t) => t.startsWith(`slipway/${project}-`) && t.includes(':stage_remote-r')),
      [],
    );
    // The health probe ran inside that engine and left nothing behind.
    const probes = await stage!.engine.docker.listContainers({ all: true, filters: { label: ['dev.slipway.probe'] } });
    assert.deepEqual(probes, []);
  });

  it('shows the stage running in `list` and in the status the pipeline view reads, with URLs on its host', async () => {
    const list = jsonData<ListedEnv[]>((await cli('list', '--json')).stdout);
    const stage = list.find((e) => e.branch === stageBranch('remote'));
    assert.ok(stage, JSON.stringify(list));
    assert.equal(stage.status, 'running', JSON.stringify(stage));
    assert.match(stage.dockerHost ?? '', /^tcp:\/\/127\.0\.0\.1:\d+ \(TLS\)$/);
    assert.deepEqual(
      stage.services.map((s) => [s.service, s.state, s.health]),
      [['web', 'running', 'healthy']],
    );
    assert.match(stage.urls.web, /^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${stage.urls.web}/index.html`);
    assert.equal((await res.text()).trim(), 'v1');
    // The pipeline view asks the engine for each stage's status with the stage's endpoint.
    const saved = process.env.SLIPWAY_PROBE_IMAGE;
    process.env.SLIPWAY_PROBE_IMAGE = PROBE;
    try {
      const envs = await LocalEnvironments.create({ home });
      const { loadSpec } = await import('../../environments/spec/load');
      const spec = await loadSpec(specFile);
      const view = await envs.status(spec.name, stageBranch('remote'), spec.pipeline!.stages[1].dockerHost);
      assert.equal(view.status, 'running');
      assert.equal(view.services[0].health, 'healthy');
    } finally {
      if (saved === undefined) delete process.env.SLIPWAY_PROBE_IMAGE;
      else process.env.SLIPWAY_PROBE_IMAGE = saved;
    }
  });

  it("reads the stage's logs, CPU and memory, and restarts it, on its own engine", async () => {
    const logs = await cli('logs', 'web', '--stage', 'remote', '--json');
    assert.equal(logs.code, 0, logs.stderr);
    assert.ok(
      jsonData<{ lines: string[] }>(logs.stdout).lines.some((l) => /response:200/.test(l)),
      logs.stdout,
    );
    const web = (await stage!.engine.docker.listContainers()).find((c) => c.Labels['dev.slipway.service'] === 'web')!;
    const before = (await stage!.engine.docker.getContainer(web.Id).inspect()).State.StartedAt;
    // The CLI's restart takes branches only (a stage changes through the pipeline): the core's, as the editor calls it.
    const envs = await LocalEnvironments.create({ home });
    const usage = await envs.usage(project, stageBranch('remote'));
    assert.deepEqual(
      usage.map((u) => u.service),
      ['web'],
    );
    assert.ok(usage[0].memory > 0);
    const saved = process.env.SLIPWAY_PROBE_IMAGE;
    process.env.SLIPWAY_PROBE_IMAGE = PROBE;
    try {
      await envs.restart(project, stageBranch('remote'), 'web');
    } finally {
      if (saved === undefined) delete process.env.SLIPWAY_PROBE_IMAGE;
      else process.env.SLIPWAY_PROBE_IMAGE = saved;
    }
    const after = (await stage!.engine.docker.getContainer(web.Id).inspect()).State;
    assert.equal(after.Running, true);
    assert.notEqual(after.StartedAt, before);
  });
});
