/**
 * A real sshd for tests on 127.0.0.1 (its own config, host key, port and folder) that lets root in
 * with a client key held by an ssh-agent of its own, as a user's key would be; optionally with
 * DOCKER_HOST set for the sessions it starts, so `docker system dial-stdio` on the far side reaches
 * another engine. `stop()` ends both processes and removes the folder.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from '../wait';
import { removeDir, tempHome } from './helpers';

const SSHD = '/usr/sbin/sshd';

export interface Sshd {
  /** Its folder (keys, config, pid file). */
  dir: string;
  /** A HOME for the client: `.ssh/` exists, with no known_hosts yet. */
  home: string;
  port: number;
  /** `ssh://root@127.0.0.1:PORT`. */
  endpoint: string;
  /** The ssh-agent's socket, holding the client key. */
  agentSocket: string;
  /** What sshd logged so far. */
  log(): string;
  /** The host key's SHA256 fingerprint. */
  fingerprint(): string;
  /** Trusts the host key as the user would: `ssh-keyscan -p PORT 127.0.0.1 >> ~/.ssh/known_hosts` with HOME set to `home`. */
  trust(): void;
  stop(): Promise<void>;
}

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

function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const keygen = (file: string, comment: string) =>
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);

/** Starts it (and its agent); fails saying why when sshd is missing or we are not root. */
export async function startSshd(prefix: string, opts: { dockerHost?: string } = {}): Promise<Sshd> {
  if (!existsSync(SSHD))
    throw new Error(
      `this test runs a real sshd, and ${SSHD} is missing: install Debian's openssh-server (npm run setup does, as root).`,
    );
  if (process.getuid?.() !== 0)
    throw new Error('this test runs its own sshd and logs in as root, so it must run as root (as CI does).');
  const dir = tempHome(prefix);
  const home = join(dir, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  // sshd's privilege-separation folder (the package's service would make it).
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  keygen(join(dir, 'host_ed25519'), 'slipway-test-host');
  keygen(join(dir, 'client_ed25519'), 'slipway-test-client');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_ed25519.pub')), { mode: 0o600 });
  const port = await freePort();
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
      ...(opts.dockerHost ? [`SetEnv DOCKER_HOST=${opts.dockerHost}`] : []),
      '',
    ].join('\n'),
  );
  let sshdLog = '';
  let agent: ChildProcess | undefined;
  const sshd = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  sshd.stderr?.on('data', (d) => (sshdLog += d));
  const stop = async () => {
    await stopProcess(sshd);
    await stopProcess(agent);
    removeDir(dir);
  };
  const agentSocket = join(dir, 'agent.sock');
  try {
    await waitListening(port, sshd, () => sshdLog);
    agent = spawn('ssh-agent', ['-D', '-a', agentSocket], { stdio: 'ignore' });
    await waitFor(`ssh-agent's socket ${agentSocket}`, () => existsSync(agentSocket), { timeoutMs: 5_000 });
    execFileSync('ssh-add', ['-q', join(dir, 'client_ed25519')], {
      env: { ...process.env, SSH_AUTH_SOCK: agentSocket },
      stdio: 'pipe',
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    dir,
    home,
    port,
    endpoint: `ssh://root@127.0.0.1:${port}`,
    agentSocket,
    log: () => sshdLog,
    fingerprint: () =>
      execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'host_ed25519.pub')], {
        encoding: 'utf8',
      }).split(' ')[1],
    trust: () =>
      execFileSync('sh', ['-c', `ssh-keyscan -p ${port} 127.0.0.1 >> ~/.ssh/known_hosts`], {
        env: { ...process.env, HOME: home },
        stdio: ['ignore', 'ignore', 'pipe'],
      }),
    stop,
  };
}
