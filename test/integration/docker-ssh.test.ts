/**
 * An ssh:// Docker endpoint against a real sshd (its own config, host key and port on
 * 127.0.0.1): the engine is reached through `docker system dial-stdio` on the far side only
 * when the host key is in known_hosts; an unknown or changed key is refused with its fingerprint.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { assertDockerReachable, connectDocker } from '../../environments/docker/engine';
import { SlipwayError } from '../../environments/errors';
import { removeDir, requireEngines, runCli, tempHome } from './helpers';
import { waitFor } from '../wait';

const SSHD = '/usr/sbin/sshd';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

async function waitListening(port: number, child: ChildProcess, log: () => string): Promise<void> {
  await waitFor(
    () => `sshd to listen on 127.0.0.1:${port}:\n${log()}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}:\n${log()}`);
      return new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1', () => {
          s.end();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
    },
    { timeoutMs: 10_000, intervalMs: 100 },
  );
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

describe('ssh:// Docker endpoints: host key checked against known_hosts (real sshd)', function () {
  this.timeout(120_000);
  let dir: string;
  let home: string;
  let port: number;
  let endpoint: string;
  let sshd: ChildProcess | undefined;
  let agent: ChildProcess | undefined;
  let sshdLog = '';
  const saved = {
    HOME: process.env.HOME,
    SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK,
    DOCKER_HOST: process.env.DOCKER_HOST,
  };

  before(async () => {
    await requireEngines();
    if (!existsSync(SSHD))
      throw new Error(
        `this test runs a real sshd, and ${SSHD} is missing: install Debian's openssh-server (npm run setup does, as root).`,
      );
    if (process.getuid?.() !== 0)
      throw new Error('this test runs its own sshd and logs in as root, so it must run as root (as CI does).');
    dir = tempHome('sshd');
    home = join(dir, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    // sshd's privilege-separation folder (the package's service would make it).
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    execFileSync('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      'slipway-test-host',
      '-f',
      join(dir, 'host_ed25519'),
    ]);
    execFileSync('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      'slipway-test-client',
      '-f',
      join(dir, 'client_ed25519'),
    ]);
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_ed25519.pub')), { mode: 0o600 });
    port = await freePort();
    endpoint = `ssh://root@127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(dir, 'host_ed25519')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        // The temp folder sits under the world-writable /tmp, which StrictModes refuses.
        'StrictModes no',
        'AllowUsers root',
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );
    sshd = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    sshd.stderr?.on('data', (d) => (sshdLog += d));
    await waitListening(port, sshd, () => sshdLog);
    // The client key reaches the connection through an ssh agent, as a user's would.
    const sock = join(dir, 'agent.sock');
    agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    await waitFor(`ssh-agent's socket ${sock}`, () => existsSync(sock), { timeoutMs: 5_000 });
    execFileSync('ssh-add', ['-q', join(dir, 'client_ed25519')], {
      env: { ...process.env, SSH_AUTH_SOCK: sock },
      stdio: 'pipe',
    });
    process.env.HOME = home;
    process.env.SSH_AUTH_SOCK = sock;
    // An explicit endpoint is used whatever DOCKER_HOST says.
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:1';
  });

  after(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await stop(sshd);
    await stop(agent);
    if (dir) removeDir(dir);
  });

  const fingerprint = (): string =>
    execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'host_ed25519.pub')], { encoding: 'utf8' }).split(
      ' ',
    )[1];
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
    assert.doesNotMatch(sshdLog, /Accepted publickey/);

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
    assert.match(sshdLog, /Accepted publickey for root/);
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
