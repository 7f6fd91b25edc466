import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerClient, dockerConnection } from '../../environments/docker/endpoint';
import { describeDockerHost } from '../../environments/docker/engine';

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
    assert.deepEqual(
      dockerConnection('', {}, {}, { platform: 'linux', exists: (f) => f === '/var/run/docker.sock' }),
      {},
    );
    assert.deepEqual(dockerConnection('unix:///run/user/1000/podman/podman.sock', {}), {
      socketPath: '/run/user/1000/podman/podman.sock',
    });
  });

  it('speaks plain http to tcp:// without TLS, https with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH', () => {
    assert.deepEqual(dockerConnection('tcp://10.0.0.5:2375', {}), { protocol: 'http', host: '10.0.0.5', port: 2375 });
    tls(join(dir, 'certs'));
    const c = dockerConnection('tcp://docker.example:2376', {
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: join(dir, 'certs'),
    });
    assert.equal(c.protocol, 'https');
    assert.equal(c.port, 2376);
    assert.equal(c.ca, `ca of ${join(dir, 'certs')}`);
    assert.equal(c.key, `key of ${join(dir, 'certs')}`);
  });

  it('reaches ssh://user@host:port through the ssh agent, with a host key check', () => {
    const { sshOptions, ...rest } = dockerConnection('ssh://deploy@build-host:2222', {
      SSH_AUTH_SOCK: '/tmp/agent.sock',
    });
    assert.deepEqual(rest, { protocol: 'ssh', host: 'build-host', port: 2222, username: 'deploy' });
    assert.equal(sshOptions?.agent, '/tmp/agent.sock');
    assert.equal(typeof sshOptions?.hostVerifier, 'function');
    // No user in the endpoint: the local one, as ssh does.
    assert.equal(dockerConnection('ssh://build-host', { USER: 'alice' }).username, 'alice');
    assert.equal(dockerConnection('ssh://build-host', { USER: 'alice' }).port, 22);
  });

  it('names an endpoint without its TLS file paths', () => {
    const q = new URLSearchParams({ tlscacert: '/c/ca.pem', tlscert: '/c/cert.pem', tlskey: '/c/key.pem' });
    assert.equal(describeDockerHost(`tcp://docker.example:2376?${q}`), 'tcp://docker.example:2376 (TLS)');
    assert.equal(describeDockerHost('tcp://10.0.0.5:2375?tls=false'), 'tcp://10.0.0.5:2375 (plain HTTP)');
    assert.equal(describeDockerHost('ssh://deploy@h:2222'), 'ssh://deploy@h:2222');
  });

  it("takes a stage's TLS files from the endpoint, and plain HTTP only when it says tls=false", () => {
    tls(join(dir, 'stage'));
    const q = ['ca', 'cert', 'key']
      .map((f) => `tls${f === 'ca' ? 'cacert' : f}=${encodeURIComponent(join(dir, 'stage', `${f}.pem`))}`)
      .join('&');
    const c = dockerConnection(`tcp://docker.example:2376?${q}`, { DOCKER_TLS_VERIFY: '' });
    assert.equal(c.protocol, 'https');
    assert.equal(c.cert, `cert of ${join(dir, 'stage')}`);
    assert.equal(c.ca, `ca of ${join(dir, 'stage')}`);
    assert.throws(
      () => dockerConnection(`tcp://docker.example:2376?tlscacert=${encodeURIComponent(join(dir, 'none.pem'))}`, {}),
      /TLS cacert file .*none\.pem .* cannot be read/,
    );
    // tls=false is plain HTTP even when the environment asks for TLS.
    assert.deepEqual(dockerConnection('tcp://10.0.0.5:2375?tls=false', { DOCKER_TLS_VERIFY: '1' }), {
      protocol: 'http',
      host: '10.0.0.5',
      port: 2375,
    });
  });

  it('never lets DOCKER_HOST override an explicit unix:// socket (docker-modem would)', () => {
    const saved = { host: process.env.DOCKER_HOST, verify: process.env.DOCKER_TLS_VERIFY };
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:1';
    process.env.DOCKER_TLS_VERIFY = '1';
    try {
      const explicit = dockerClient('unix:///var/run/docker.sock').modem as unknown as Record<string, unknown>;
      assert.equal(explicit.socketPath, '/var/run/docker.sock');
      assert.equal(explicit.host, undefined);
      // No endpoint given: DOCKER_HOST is the one.
      const fromEnv = dockerClient('').modem as unknown as Record<string, unknown>;
      assert.equal(fromEnv.host, '127.0.0.1');
      assert.equal(fromEnv.port, 1);
    } finally {
      for (const [k, v] of [
        ['DOCKER_HOST', saved.host],
        ['DOCKER_TLS_VERIFY', saved.verify],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('resolves a Docker CLI context to its endpoint and TLS material', () => {
    const id = createHash('sha256').update('staging').digest('hex');
    mkdirSync(join(dir, 'contexts', 'meta', id), { recursive: true });
    writeFileSync(
      join(dir, 'contexts', 'meta', id, 'meta.json'),
      JSON.stringify({ Name: 'staging', Endpoints: { docker: { Host: 'tcp://staging.internal:2376' } } }),
    );
    tls(join(dir, 'contexts', 'tls', id, 'docker'));
    const c = dockerConnection('context:staging', { DOCKER_CONFIG: dir });
    assert.equal(c.protocol, 'https');
    assert.equal(c.host, 'staging.internal');
    assert.match(c.cert ?? '', /contexts\/tls/);
    assert.deepEqual(dockerConnection('context:default', { DOCKER_CONFIG: dir }), {});
    assert.throws(() => dockerConnection('context:nope', { DOCKER_CONFIG: dir }), /Docker context "nope" not found/);
  });

  it('refuses an endpoint it cannot speak', () => {
    assert.throws(() => dockerConnection('fd://3', {}), /unsupported Docker endpoint/);
    assert.throws(() => dockerConnection('npipe:////./not-a-pipe', {}), /is not a named pipe/);
  });

  it("understands Docker Desktop's endpoints on Windows (npipe://) and macOS (~/.docker/run/docker.sock)", () => {
    const pipe = String.raw`\\.\pipe\docker_engine`;
    assert.deepEqual(dockerConnection('npipe:////./pipe/docker_engine', {}), { socketPath: pipe });
    assert.deepEqual(dockerConnection('npipe://./pipe/docker_engine', {}), { socketPath: pipe });
    assert.deepEqual(dockerConnection(String.raw`npipe:\\.\pipe\dockerDesktopLinuxEngine`, {}), {
      socketPath: String.raw`\\.\pipe\dockerDesktopLinuxEngine`,
    });
    const none = () => false;
    assert.deepEqual(
      dockerConnection('', {}, {}, { platform: 'win32', exists: none }),
      { socketPath: pipe },
      "Windows with no DOCKER_HOST: Docker Desktop's pipe",
    );
    const mac = (f: string) => f === '/Users/ada/.docker/run/docker.sock';
    assert.deepEqual(dockerConnection('', { HOME: '/Users/ada' }, {}, { platform: 'darwin', exists: mac }), {
      socketPath: '/Users/ada/.docker/run/docker.sock',
    });
    const both = (f: string) => mac(f) || f === '/var/run/docker.sock';
    assert.deepEqual(
      dockerConnection('', { HOME: '/Users/ada' }, {}, { platform: 'darwin', exists: both }),
      {},
      'the default socket first when Docker Desktop links it',
    );
    const desktopLinux = (f: string) => f === '/home/ada/.docker/desktop/docker.sock';
    assert.deepEqual(dockerConnection('', { HOME: '/home/ada' }, {}, { platform: 'linux', exists: desktopLinux }), {
      socketPath: '/home/ada/.docker/desktop/docker.sock',
    });
    const rootless = (f: string) => f === '/run/user/1000/docker.sock';
    assert.deepEqual(
      dockerConnection(
        '',
        { HOME: '/home/ada', XDG_RUNTIME_DIR: '/run/user/1000' },
        {},
        { platform: 'linux', exists: rootless },
      ),
      { socketPath: '/run/user/1000/docker.sock' },
    );
    assert.deepEqual(
      dockerConnection('', { HOME: '/home/ada' }, {}, { platform: 'linux', exists: none }),
      {},
      "nothing found: dockerode's default, whose error then names it",
    );
  });
});
