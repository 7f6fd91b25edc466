/**
 * A stage on an ssh:// endpoint, end to end: a real sshd on 127.0.0.1 whose sessions reach a second
 * dockerd (no image at all) through `docker system dial-stdio`, its host key in the user's
 * known_hosts and the client key in an ssh-agent. Promoting a branch streams the release's images
 * over SSH, the HTTP health check runs inside that engine, and `list` shows the stage healthy.
 */
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { stageBranch } from '../../environments/naming';
import { RUN, docker, jsonData, labelled } from './helpers';
import { startSshd, type Sshd } from './sshd';
import { BASE_IMAGE, startStageApp, WEB_APP, type ListedEnv, type StageApp } from './stage-fixture';

describe('a stage on an ssh:// endpoint (real sshd in front of a second dockerd, images shipped over SSH)', function () {
  this.timeout(15 * 60 * 1000);
  const project = `sshstage-${RUN}`;
  const branch = 'feature';
  let sshd: Sshd | undefined;
  let stage: StageApp | undefined;
  // Filled in once sshd runs: the user's HOME (its known_hosts) and agent are the test's; the
  // Pulumi build stays where this machine cached it.
  const env: NodeJS.ProcessEnv = {
    SLIPWAY_PROBE_IMAGE: BASE_IMAGE,
    SLIPWAY_CACHE:
      process.env.SLIPWAY_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'slipway'),
  };
  const cli = (...args: string[]) => stage!.cli(...args);

  before(async () => {
    stage = await startStageApp({
      prefix: 'sshstage',
      project,
      branch,
      ...WEB_APP,
      prepare: async (engine) => {
        sshd = await startSshd('sshstage-sshd', { dockerHost: `unix://${engine.socket}` });
        sshd.trust();
        Object.assign(env, { HOME: sshd.home, SSH_AUTH_SOCK: sshd.agentSocket });
      },
      stages: () => ['    - name: edge', `      dockerHost: ${sshd!.endpoint}`],
      env,
    }).catch(async (err) => {
      await sshd?.stop();
      throw err;
    });
  });

  after(async () => {
    try {
      await stage?.teardown(['edge']);
    } finally {
      await sshd?.stop();
    }
  });

  it('promotes over SSH: images shipped to the engine behind sshd, health checked inside it', async () => {
    assert.deepEqual(await stage!.engine.docker.listImages(), [], 'the engine starts with no image');
    const up = await cli('up', '--branch', branch);
    assert.equal(up.code, 0, up.stderr);
    const promoted = await cli('promote', '--from', branch, '--to', 'edge', '--as', 'dev@corp.test', '--verbose');
    const said = promoted.stderr + promoted.stdout;
    assert.equal(promoted.code, 0, said);
    assert.match(said, /shipping web's image [0-9a-f]{12} from .* to ssh:\/\/root@127\.0\.0\.1:\d+/);
    assert.match(sshd!.log(), /Accepted publickey for root/);
    // The stage runs on the engine behind sshd, not on this machine's.
    assert.equal((await labelled(project, stageBranch('edge'))).containers.length, 0);
    const web = (await stage!.engine.docker.listContainers()).find((c) => c.Labels['dev.slipway.service'] === 'web');
    assert.equal(web?.State, 'running');
    const tags = (await stage!.engine.docker.listImages()).flatMap((i) => i.RepoTags ?? []);
    assert.ok(tags.includes(`slipway/${project}-web:stage_edge-r1`), tags.join(', '));
    const local = (await docker.listImages()).flatMap((i) => i.RepoTags ?? []);
    assert.deepEqual(
      local.filter((t) => t.startsWith(`slipway/${project}-web:stage_`)),
      [],
      "this machine's engine keeps no tag of the stage",
    );
    // The health probe ran inside that engine and left nothing behind.
    assert.deepEqual(
      await stage!.engine.docker.listContainers({ all: true, filters: { label: ['dev.slipway.probe'] } }),
      [],
    );
    const list = jsonData<ListedEnv[]>((await cli('list', '--json')).stdout);
    const edge = list.find((e) => e.branch === stageBranch('edge'));
    assert.ok(edge, JSON.stringify(list));
    assert.equal(edge.status, 'running', JSON.stringify(edge));
    assert.equal(edge.dockerHost, sshd!.endpoint);
    assert.deepEqual(
      edge.services.map((s) => [s.service, s.state, s.health]),
      [['web', 'running', 'healthy']],
    );
    const res = await fetch(`${edge.urls.web}/index.html`);
    assert.equal((await res.text()).trim(), 'v1');
  });
});
