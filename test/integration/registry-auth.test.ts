/**
 * A stage on a second dockerd whose images travel through a registry that requires a password,
 * named once by the host policy and reached with credentials from a Docker credential helper, end
 * to end: Debian's docker-registry with htpasswd basic auth on a free 127.0.0.1 port (plain HTTP:
 * engines trust 127.0.0.0/8 registries without TLS, so no certificate is needed), a Docker config
 * of the test's own whose `credHelpers` names `docker-credential-slipwaytest`, an executable this
 * test writes into a temp PATH folder that speaks the helper protocol over a JSON file (standing
 * in for an OS keychain). A wrong password fails the promotion with a clear error that holds no
 * secret; the right one pushes from this machine's engine and pulls on the stage's; nothing under
 * SLIPWAY_HOME holds either password.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stageBranch } from '../../environments/naming';
import { writeCredentialHelper, type CredentialHelper } from '../fixtures/credential-helper';
import { RUN, jsonData, removeDir, tempHome } from './helpers';
import { startRegistry, type RegistryServer } from './registry-server';
import { BASE_IMAGE, startStageApp, WEB_APP, type ListedEnv, type StageApp } from './stage-fixture';

const USER = 'deployer';
const PASSWORD = `right-${RUN}-Zq8`;
const WRONG = `wrong-${RUN}-Xk3`;

/** Every file under `dir` whose bytes contain `secret`. */
function filesHolding(dir: string, secret: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const file = join(d, name);
      const st = statSync(file, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(file);
      else if (st.isFile() && readFileSync(file).includes(secret)) found.push(file);
    }
  };
  walk(dir);
  return found;
}

describe('a stage whose registry requires a password, from the host policy, with credentials from a credential helper (real dockerd, real docker-registry)', function () {
  this.timeout(15 * 60 * 1000);
  const project = `regauth-${RUN}`;
  const branch = 'feature';
  let registry: RegistryServer | undefined;
  let dockerConfig: string | undefined;
  let helper: CredentialHelper | undefined;
  let stage: StageApp | undefined;
  const cli = (...args: string[]) => stage!.cli(...args);
  const keychain = (password: string) =>
    writeFileSync(helper!.storeFile, JSON.stringify({ [registry!.address]: { Username: USER, Secret: password } }));

  before(async () => {
    registry = await startRegistry('auth-registry', { username: USER, password: PASSWORD });
    dockerConfig = tempHome('auth-docker-config');
    helper = writeCredentialHelper(dockerConfig, 'slipwaytest', {});
    keychain(WRONG);
    writeFileSync(
      join(dockerConfig, 'config.json'),
      JSON.stringify({ auths: { [registry.address]: {} }, credHelpers: { [registry.address]: 'slipwaytest' } }),
    );
    stage = await startStageApp({
      prefix: 'regauth',
      project,
      branch,
      ...WEB_APP,
      // No registry in the spec: the host policy names it for every stage on another engine.
      stages: (engine) => [
        '    - name: lab',
        `      dockerHost: ${engine.tcp}`,
        `      tls: { certPath: ${engine.certPath} }`,
      ],
      env: { SLIPWAY_PROBE_IMAGE: BASE_IMAGE, DOCKER_CONFIG: dockerConfig, PATH: helper.path },
    });
    writeFileSync(
      join(stage.home, 'policy.yaml'),
      `# the team's registry\nregistry:\n  default: ${registry.address}\n  required: true\n`,
    );
  });

  after(async () => {
    try {
      await stage?.teardown(['lab']);
    } finally {
      await registry?.stop();
      if (dockerConfig) removeDir(dockerConfig);
    }
  });

  it('refuses anonymous access: the registry really requires the password', async () => {
    assert.equal((await fetch(`http://${registry!.address}/v2/_catalog`)).status, 401);
    const basic = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
    const ok = await fetch(`http://${registry!.address}/v2/_catalog`, { headers: { Authorization: `Basic ${basic}` } });
    assert.equal(ok.status, 200);
  });

  it('fails a promotion with the wrong password, saying so and whose credentials, without any secret', async () => {
    const up = await cli('up', '--branch', branch);
    assert.equal(up.code, 0, up.stderr);
    const promoted = await cli('promote', '--from', branch, '--to', 'lab', '--as', 'dev@corp.test', '--verbose');
    const said = promoted.stderr + promoted.stdout;
    assert.notEqual(promoted.code, 0, said);
    assert.match(
      said,
      new RegExp(
        `images travel through ${registry!.address.replace(/\./g, '\\.')}, set by registry\\.default in .*policy\\.yaml:3`,
      ),
    );
    assert.match(
      said,
      /Pushing from .* web's image [0-9a-f]{12} as .* failed: .*(unauthorized|authentication required)/,
    );
    assert.ok(
      said.includes(
        `credentials: docker-credential-slipwaytest (credHelpers["${registry!.address}"] in ${join(dockerConfig!, 'config.json')})`,
      ),
      said,
    );
    assert.ok(!said.includes(WRONG) && !said.includes(PASSWORD), 'no password in what the CLI printed');
    assert.match(readFileSync(helper!.askedFile, 'utf8'), new RegExp(`^${registry!.address}$`, 'm'));
  });

  it('promotes once the keychain holds the right password: pushed and pulled with it, the stage healthy', async () => {
    keychain(PASSWORD);
    const promoted = await cli('promote', '--from', branch, '--to', 'lab', '--as', 'dev@corp.test', '--verbose');
    const said = promoted.stderr + promoted.stdout;
    assert.equal(promoted.code, 0, said);
    const reg = registry!.address.replace(/\./g, '\\.');
    assert.match(said, new RegExp(`pushing web's image [0-9a-f]{12} from .* to ${reg}`));
    assert.match(said, new RegExp(`pulling web's image ${reg}/slipway/${project}-web:stage_lab-r\\d+ from ${reg} on `));
    assert.ok(!said.includes(PASSWORD));
    // The stage's engine pulled it from the registry, which answers nobody without the password.
    const tags = (await stage!.engine.docker.listImages()).flatMap((i) => i.RepoTags ?? []);
    assert.ok(
      tags.some((t) => new RegExp(`^${reg}/slipway/${project}-web:stage_lab-r\\d+$`).test(t)),
      tags.join(', '),
    );
    const list = jsonData<ListedEnv[]>((await cli('list', '--json')).stdout);
    const lab = list.find((e) => e.branch === stageBranch('lab'));
    assert.ok(lab, JSON.stringify(list));
    assert.deepEqual(
      lab.services.map((s) => [s.service, s.state, s.health]),
      [['web', 'running', 'healthy']],
    );
  });

  it('refuses a spec naming another registry than the one the policy requires, at its line', async () => {
    const spec = readFileSync(stage!.specFile, 'utf8');
    try {
      writeFileSync(stage!.specFile, spec.replace(/( {6}tls: .*\n)/, '$1      registry: elsewhere.example.com:5000\n'));
      const refused = await cli('rollback', '--stage', 'lab', '--yes');
      assert.equal(refused.code, 4, refused.stderr);
      assert.match(
        refused.stderr,
        new RegExp(
          `slipway\\.yaml:\\d+:\\d+: pipeline\\.stages\\[1\\]\\.registry: names the registry elsewhere\\.example\\.com:5000, but registry\\.default in .*policy\\.yaml:3 requires ${registry!.address.replace(/\./g, '\\.')} for stage lab`,
        ),
      );
    } finally {
      writeFileSync(stage!.specFile, spec);
    }
  });

  it('keeps no password anywhere under SLIPWAY_HOME', () => {
    assert.deepEqual(filesHolding(stage!.home, PASSWORD), []);
    assert.deepEqual(filesHolding(stage!.home, WRONG), []);
  });
});
