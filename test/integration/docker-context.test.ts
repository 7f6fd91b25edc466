/**
 * Branch environments follow the Docker CLI's choice of engine: a `docker context create` names a
 * second dockerd started here (TLS on 127.0.0.1), DOCKER_CONTEXT names that context, and `slipway
 * up` runs the branch's environment there, not on the machine's own engine; `status`, `list` and
 * `down` find it there, also through the CLI's current context instead of DOCKER_CONTEXT; `status`
 * says which engine and why; a context that does not exist fails saying where it was set.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { docker, jsonData, removeDir, RUN, runCli, tempHome } from './helpers';
import { BASE_IMAGE, startStageApp, WEB_APP, type ListedEnv, type StageApp } from './stage-fixture';

interface Status extends ListedEnv {
  engine?: string;
}

describe('branch environments on the Docker CLI context (real second dockerd behind a docker context)', function () {
  this.timeout(15 * 60 * 1000);
  const project = `dctx-${RUN}`;
  const branch = 'feature';
  const context = `lab-${RUN}`;
  const config = tempHome('dctx-config');
  const env = { DOCKER_CONFIG: config, DOCKER_CONTEXT: context, SLIPWAY_PROBE_IMAGE: BASE_IMAGE };
  let fixture: StageApp | undefined;
  const cli = (...args: string[]) => fixture!.cli(...args);
  /** The app's containers on an engine. */
  const containers = (engine = docker) =>
    engine.listContainers({ all: true, filters: { label: [`dev.slipway.project=${project}`] } });

  before(async () => {
    fixture = await startStageApp({
      prefix: 'dctx',
      project,
      branch,
      services: WEB_APP.services,
      stages: () => [],
      files: WEB_APP.files,
      env,
      prepare: (engine) => {
        // The second engine has no image of its own (and nothing is pulled): the base image is loaded into it.
        execFileSync('sh', ['-c', `docker save ${BASE_IMAGE} | docker -H unix://${engine.socket} load -q`], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        mkdirSync(config, { recursive: true });
        const tls = ['ca.pem', 'cert.pem', 'key.pem'].map(
          (f, i) => `${['ca', 'cert', 'key'][i]}=${join(engine.certPath, f)}`,
        );
        execFileSync('docker', ['context', 'create', context, '--docker', [`host=${engine.tcp}`, ...tls].join(',')], {
          env: { ...process.env, DOCKER_CONFIG: config },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
      },
    });
  });

  after(async () => {
    try {
      await fixture?.teardown([]);
    } finally {
      removeDir(config);
    }
  });

  it('brings the branch environment up on the engine DOCKER_CONTEXT names, and status says so', async () => {
    const up = await cli('up', '--branch', branch);
    assert.equal(up.code, 0, up.stderr + up.stdout);
    assert.ok((await containers(fixture!.engine.docker)).length > 0, 'the environment runs on the second engine');
    assert.deepEqual(await containers(), [], "nothing of it runs on the machine's own engine");
    const status = jsonData<Status>((await cli('status', '--branch', branch, '--json')).stdout);
    assert.equal(status.status, 'running', JSON.stringify(status));
    assert.equal(status.engine, `${fixture!.engine.tcp} (Docker context "${context}", from DOCKER_CONTEXT)`);
    assert.equal(await (await fetch(status.urls.web)).text(), 'v1\n');
    const human = await cli('status', '--branch', branch);
    assert.equal(human.code, 0, human.stderr);
    assert.match(
      human.stdout,
      new RegExp(`engine: tcp://127\\.0\\.0\\.1:\\d+ \\(Docker context "${context}", from DOCKER_CONTEXT\\)`),
    );
  });

  it("lists it there, and through the Docker CLI's current context as well", async () => {
    const listed = jsonData<ListedEnv[]>((await cli('list', '--json')).stdout).find((e) => e.branch === branch);
    assert.equal(listed?.status, 'running', JSON.stringify(listed));
    // No DOCKER_CONTEXT: `docker context use` wrote the current context into $DOCKER_CONFIG/config.json.
    execFileSync('docker', ['context', 'use', context], {
      env: { ...process.env, DOCKER_CONFIG: config },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const current = { ...env, DOCKER_CONTEXT: '' };
    const viaCurrent = await runWith(current, 'status', '--branch', branch, '--json');
    const seen = jsonData<Status>(viaCurrent.stdout);
    assert.equal(seen.status, 'running', viaCurrent.stderr);
    assert.equal(
      seen.engine,
      `${fixture!.engine.tcp} (Docker context "${context}", the current context in ${join(config, 'config.json')})`,
    );
  });

  it('fails saying which context is missing and where it was set', async () => {
    const missing = await runWith({ ...env, DOCKER_CONTEXT: `gone-${RUN}` }, 'status', '--branch', branch);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, new RegExp(`Docker context "gone-${RUN}" \\(set by DOCKER_CONTEXT\\) not found`));
    assert.match(missing.stderr, /unset DOCKER_CONTEXT/);
  });

  it('takes it down there', async () => {
    const down = await cli('down', '--branch', branch);
    assert.equal(down.code, 0, down.stderr + down.stdout);
    assert.deepEqual(await containers(fixture!.engine.docker), []);
    const listed = jsonData<ListedEnv[]>((await cli('list', '--json')).stdout);
    assert.equal(
      listed.find((e) => e.branch === branch),
      undefined,
    );
  });

  /** The CLI with the app's spec and home, and this environment. */
  function runWith(vars: NodeJS.ProcessEnv, ...args: string[]) {
    return runCli([...args, '--spec', fixture!.specFile], fixture!.home, 600_000, vars);
  }
});
