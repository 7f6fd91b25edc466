import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerConnection } from '../../environments/docker/provider';

describe('Docker endpoints (DOCKER_HOST forms)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-docker-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const tls = (folder: string) => {
    mkdirSync(folder, { recursive: true });
    for (const f of ['ca', 'cert', 'key']) writeFileSync(join(folder, `${f}.pem`), `${f} of ${folder}`);
  };

  it('uses the default socket when empty, and a unix socket path', () => {
    assert.deepEqual(dockerConnection('', {}), {});
    assert.deepEqual(dockerConnection('unix:///run/user/1000/podman/podman.sock', {}), { socketPath: '/run/user/1000/podman/podman.sock' });
  });

  it('speaks plain http to tcp:// without TLS, https with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH', () => {
    assert.deepEqual(dockerConnection('tcp://10.0.0.5:2375', {}), { protocol: 'http', host: '10.0.0.5', port: 2375 });
    tls(join(dir, 'certs'));
    const c = dockerConnection('tcp://docker.example:2376', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(dir, 'certs') });
    assert.equal(c.protocol, 'https');
    assert.equal(c.port, 2376);
    assert.equal(c.ca, `ca of ${join(dir, 'certs')}`);
    assert.equal(c.key, `key of ${join(dir, 'certs')}`);
  });

  it('reaches ssh://user@host:port through the ssh agent', () => {
    assert.deepEqual(dockerConnection('ssh://deploy@build-host:2222', { SSH_AUTH_SOCK: '/tmp/agent.sock' }), {
      protocol: 'ssh',
      host: 'build-host',
      port: 2222,
      username: 'deploy',
      sshOptions: { agent: '/tmp/agent.sock' },
    });
  });

  it('resolves a Docker CLI context to its endpoint and TLS material', () => {
    const id = createHash('sha256').update('staging').digest('hex');
    mkdirSync(join(dir, 'contexts', 'meta', id), { recursive: true });
    writeFileSync(join(dir, 'contexts', 'meta', id, 'meta.json'), JSON.stringify({ Name: 'staging', Endpoints: { docker: { Host: 'tcp://staging.internal:2376' } } }));
    tls(join(dir, 'contexts', 'tls', id, 'docker'));
    const c = dockerConnection('context:staging', { DOCKER_CONFIG: dir });
    assert.equal(c.protocol, 'https');
    assert.equal(c.host, 'staging.internal');
    assert.match(c.cert ?? '', /contexts\/tls/);
    assert.deepEqual(dockerConnection('context:default', { DOCKER_CONFIG: dir }), {});
    assert.throws(() => dockerConnection('context:nope', { DOCKER_CONFIG: dir }), /Docker context "nope" not found/);
  });

  it('refuses an endpoint it cannot speak', () => {
    assert.throws(() => dockerConnection('npipe:////./pipe/docker_engine', {}), /unsupported Docker endpoint/);
  });
});
