/**
 * An ssh:// Docker endpoint against a real sshd (its own config, host key and port on
 * 127.0.0.1): the engine is reached through `docker system dial-stdio` on the far side only
 * when the host key is in known_hosts; an unknown or changed key is refused with its fingerprint.
 */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { assertDockerReachable, connectDocker } from '../../environments/docker/engine';
import { SlipwayError } from '../../environments/errors';
import { requireEngines, runCli } from './helpers';
import { startSshd, type Sshd } from './sshd';

describe('ssh:// Docker endpoints: host key checked against known_hosts (real sshd)', function () {
  this.timeout(120_000);
  let server: Sshd | undefined;
  let dir: string;
  let home: string;
  let port: number;
  let endpoint: string;
  const saved = {
    HOME: process.env.HOME,
    SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK,
    DOCKER_HOST: process.env.DOCKER_HOST,
  };

  before(async () => {
    await requireEngines();
    server = await startSshd('sshd');
    ({ dir, home, port, endpoint } = server);
    process.env.HOME = home;
    process.env.SSH_AUTH_SOCK = server.agentSocket;
    // An explicit endpoint is used whatever DOCKER_HOST says.
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:1';
  });

  after(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await server?.stop();
  });

  const fingerprint = (): string => server!.fingerprint();
  const knownHosts = (): string => join(home, '.ssh', 'known_hosts');
  /** A spec for the CLI (status only reads its project name). */
  const spec = (): string => {
    const file = join(dir, 'slipway.yaml');
    if (!existsSync(file))
      writeFileSync(file, 'version: 1\nname: sshcheck\nservices:\n  web: { image: slipway/busybox:local }\n');
    return file;
  };

  async function refusal(): Promise<SlipwayError> {
    try {
      await assertDockerReachable(connectDocker(endpoint), endpoint);
    } catch (err) {
      assert.ok(SlipwayError.is(err), `a typed error, not: ${(err as Error).stack}`);
      return err;
    }
    throw new Error(`the engine over ${endpoint} answered, but its host key should have been refused`);
  }

  it('refuses an unknown host key with its SHA256 fingerprint and the command that trusts it', async () => {
    assert.ok(!existsSync(knownHosts()));
    const err = await refusal();
    assert.equal(err.reason, 'ssh-host-key-unknown');
    assert.match(fingerprint(), /^SHA256:/);
    assert.ok(err.message.includes(fingerprint()), err.message);
    assert.ok(err.message.includes(`ssh-keyscan -p ${port} 127.0.0.1 >> ~/.ssh/known_hosts`), err.message);
    // The handshake stopped before authentication: sshd never saw the key offered.
    assert.doesNotMatch(server!.log(), /Accepted publickey/);

    // The CLI says the same, and exits non-zero.
    const cli = await runCli(
      ['status', '--spec', spec(), '--branch', 'main', '--docker-host', endpoint],
      join(dir, 'state'),
      120_000,
    );
    assert.notEqual(cli.code, 0);
    assert.ok(cli.stderr.includes(fingerprint()), cli.stderr);
    assert.ok(cli.stderr.includes(`ssh-keyscan -p ${port} 127.0.0.1 >> ~/.ssh/known_hosts`), cli.stderr);
  });

  it('connects once the key is in known_hosts, hashed or not, and reaches the engine on the far side', async () => {
    // The exact command the error gave (with HOME pointing at this test's folder).
    execFileSync('sh', ['-c', `ssh-keyscan -p ${port} 127.0.0.1 >> ~/.ssh/known_hosts`], {
      env: { ...process.env, HOME: home },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    assert.match(readFileSync(knownHosts(), 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${port} ssh-ed25519 `, 'm'));
    const docker = connectDocker(endpoint);
    await assertDockerReachable(docker, endpoint);
    const local = connectDocker('unix:///var/run/docker.sock');
    assert.equal((await docker.info()).ID, (await local.info()).ID, 'the ssh endpoint reaches the same engine');
    assert.match(server!.log(), /Accepted publickey for root/);
    // The CLI gets through too: the engine answers that this branch has no environment.
    const cli = await runCli(
      ['status', '--spec', spec(), '--branch', 'main', '--docker-host', endpoint],
      join(dir, 'state'),
      120_000,
    );
    assert.equal(cli.code, 1, cli.stderr);
    assert.match(cli.stderr, /main has no environment/);
    assert.ok(!cli.stderr.includes('known_hosts'), cli.stderr);

    // Hashed entries (HashKnownHosts) match too.
    execFileSync('ssh-keygen', ['-H', '-f', knownHosts()], { stdio: 'ignore' });
    assert.match(readFileSync(knownHosts(), 'utf8'), /^\|1\|/m);
    assert.doesNotMatch(readFileSync(knownHosts(), 'utf8'), /127\.0\.0\.1/);
    await assertDockerReachable(connectDocker(endpoint), endpoint);
  });

  it('refuses a changed host key, naming the known_hosts entry, the new fingerprint and how to replace it', async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other_ed25519')]);
    const other = readFileSync(join(dir, 'other_ed25519.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(knownHosts(), `[127.0.0.1]:${port} ${other}\n`);
    const err = await refusal();
    assert.equal(err.reason, 'ssh-host-key-changed');
    assert.ok(err.message.includes(fingerprint()), err.message);
    assert.ok(err.message.includes(`${knownHosts()} line 1`), err.message);
    assert.ok(err.message.includes(`ssh-keygen -R '[127.0.0.1]:${port}'`), err.message);
    assert.ok(err.message.includes(`ssh-keyscan -p ${port} 127.0.0.1 >> ~/.ssh/known_hosts`), err.message);
    // The right key beside the wrong one is enough (a host may list several).
    appendFileSync(
      knownHosts(),
      execFileSync('ssh-keyscan', ['-p', String(port), '127.0.0.1'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
    await assertDockerReachable(connectDocker(endpoint), endpoint);
  });
});
