// The engine of branch environments chosen in the Docker CLI's order: DOCKER_HOST, DOCKER_CONTEXT, the current context, the local socket.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultEndpoint, describeEndpoint } from '../../environments/docker/default-endpoint';
import { SlipwayError } from '../../environments/errors';

describe('the Docker endpoint of branch environments (the Docker CLI order)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-ctx-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A context in the store under `dir`, as `docker context create NAME --docker host=HOST` writes it (with TLS files when `tls`). */
  const context = (name: string, host: string, tls = false, config = dir) => {
    const id = createHash('sha256').update(name).digest('hex');
    mkdirSync(join(config, 'contexts', 'meta', id), { recursive: true });
    writeFileSync(
      join(config, 'contexts', 'meta', id, 'meta.json'),
      JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }),
    );
    if (tls) {
      mkdirSync(join(dir, 'contexts', 'tls', id, 'docker'), { recursive: true });
      for (const f of ['ca', 'cert', 'key']) writeFileSync(join(dir, 'contexts', 'tls', id, 'docker', `${f}.pem`), f);
    }
  };
  const current = (name: string) => writeFileSync(join(dir, 'config.json'), JSON.stringify({ currentContext: name }));

  it('takes the command option first, then DOCKER_HOST, over any context', () => {
    context('lab', 'tcp://10.0.0.5:2376');
    current('lab');
    const env = { DOCKER_CONFIG: dir, DOCKER_HOST: 'tcp://10.0.0.9:2375', DOCKER_CONTEXT: 'lab' };
    assert.deepEqual(defaultEndpoint('unix:///run/podman.sock', env), {
      dockerHost: 'unix:///run/podman.sock',
      source: 'option',
      resolved: 'unix:///run/podman.sock',
    });
    const fromEnv = defaultEndpoint(undefined, env);
    assert.equal(fromEnv.dockerHost, 'tcp://10.0.0.9:2375');
    assert.equal(fromEnv.source, 'DOCKER_HOST');
    assert.equal(describeEndpoint(fromEnv), 'tcp://10.0.0.9:2375 (from DOCKER_HOST)');
  });

  it('takes DOCKER_CONTEXT before the current context', () => {
    context('lab', 'tcp://10.0.0.5:2376', true);
    context('other', 'tcp://10.0.0.6:2376');
    current('other');
    const e = defaultEndpoint(undefined, { DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'lab' });
    assert.deepEqual(e, {
      dockerHost: 'context:lab',
      source: 'DOCKER_CONTEXT',
      context: 'lab',
      resolved: 'tcp://10.0.0.5:2376',
    });
    assert.equal(describeEndpoint(e), 'tcp://10.0.0.5:2376 (Docker context "lab", from DOCKER_CONTEXT)');
  });

  it("takes the Docker CLI's current context from $DOCKER_CONFIG/config.json, else ~/.docker/config.json", () => {
    context('other', 'ssh://deploy@build-host');
    current('other');
    const e = defaultEndpoint(undefined, { DOCKER_CONFIG: dir });
    assert.equal(e.dockerHost, 'context:other');
    assert.equal(e.source, 'currentContext');
    assert.equal(e.configFile, join(dir, 'config.json'));
    assert.match(
      describeEndpoint(e),
      /ssh:\/\/deploy@build-host \(Docker context "other", the current context in .*config\.json\)/,
    );
    // Without DOCKER_CONFIG: the config folder is ~/.docker.
    context('other', 'ssh://deploy@build-host', false, join(dir, 'home', '.docker'));
    writeFileSync(join(dir, 'home', '.docker', 'config.json'), JSON.stringify({ currentContext: 'other' }));
    const home = defaultEndpoint(undefined, { HOME: join(dir, 'home') });
    assert.equal(home.source, 'currentContext');
    assert.equal(home.configFile, join(dir, 'home', '.docker', 'config.json'));
  });

  it('falls back to the local socket; the context "default" is the local socket too', () => {
    const none = defaultEndpoint(undefined, { DOCKER_CONFIG: dir });
    assert.equal(none.dockerHost, '');
    assert.equal(none.source, 'default');
    assert.match(none.resolved, /^unix:\/\//);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: {} }));
    assert.equal(defaultEndpoint(undefined, { DOCKER_CONFIG: dir }).source, 'default');
    current('default');
    const named = defaultEndpoint(undefined, { DOCKER_CONFIG: dir });
    assert.equal(named.dockerHost, '');
    assert.equal(named.source, 'currentContext');
    assert.equal(defaultEndpoint(undefined, { DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'default' }).dockerHost, '');
  });

  it('fails naming a missing context and where it was set', () => {
    assert.throws(
      () => defaultEndpoint(undefined, { DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'gone' }),
      (err: unknown) =>
        SlipwayError.is(err, 'docker-unavailable') &&
        /^Docker context "gone" \(set by DOCKER_CONTEXT\) not found \(looked for .*meta\.json\)/.test(err.message) &&
        /unset DOCKER_CONTEXT/.test(err.hint ?? ''),
    );
    current('vanished');
    assert.throws(
      () => defaultEndpoint(undefined, { DOCKER_CONFIG: dir }),
      (err: unknown) =>
        SlipwayError.is(err, 'docker-unavailable') &&
        err.message.includes(`Docker context "vanished" (the current context in ${join(dir, 'config.json')})`) &&
        /docker context use default/.test(err.hint ?? ''),
    );
  });

  it('fails naming a config file that is not JSON', () => {
    writeFileSync(join(dir, 'config.json'), '{ "currentContext": ');
    assert.throws(
      () => defaultEndpoint(undefined, { DOCKER_CONFIG: dir }),
      (err: unknown) => SlipwayError.is(err, 'docker-unavailable') && err.message.includes(join(dir, 'config.json')),
    );
  });
});
