/**
 * A second Docker daemon for tests, beside the machine's own: its own data and exec roots, socket,
 * pid file and bridge (made here, so it never touches the first daemon's docker0), no iptables,
 * and a TLS endpoint on 127.0.0.1 with certificates made for it. It stops with the process that
 * started it, however that ends. With `swarm`, it is the only one of its kind on the host while it
 * runs: a Swarm makes docker_gwbridge, one per host, so daemons of concurrent test runs take turns
 * through a lock file under /tmp (./host-lock.ts), and one left by a crashed run is removed first.
 * `stop()` removes all of it (docker_gwbridge too) and `firstEngineBuilds()` checks that the first
 * engine still builds.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { waitFor } from '../wait';
import { docker as firstEngine, removeDir, tempHome } from './helpers';
import { takeHostLock, type HostLock } from './host-lock';
import { makeCertificates } from './tls-certs';

export interface SecondEngine {
  /** The TLS endpoint as a stage's dockerHost writes it (without the TLS query). */
  tcp: string;
  /** The certificate folder for `tls: { certPath }` (ca.pem, cert.pem, key.pem). */
  certPath: string;
  /** Its unix socket (for the test's own checks; Slipway uses the TLS endpoint). */
  socket: string;
  docker: Docker;
  /** `docker` (the CLI) against it. */
  cli(args: string[], input?: string): string;
  log(): string;
  stop(): Promise<void>;
  /** Addresses for a Swarm's overlay networks, apart from its local networks' (`docker swarm init --default-addr-pool`). */
  pool: string;
  /** The address it listens on and publishes ports on: 127.0.0.1. */
  address: string;
}

/** The lock a Swarm's daemon holds while it runs (docker_gwbridge is one per host). */
export const SWARM_LOCK = '/tmp/slipway-test-swarm-engine.lock';

function freePort(): number {
  // Below the kernel's ephemeral range and away from Slipway's 20000-32767 host ports.
  return 15000 + Math.floor(Math.random() * 4000);
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Removes docker_gwbridge unless the first engine has one (it is not in a swarm): only while holding SWARM_LOCK. */
async function removeGwBridge(): Promise<void> {
  if (!existsSync('/sys/class/net/docker_gwbridge')) return;
  const firstHasIt = (await firstEngine.listNetworks()).some((n) => n.Name === 'docker_gwbridge');
  if (!firstHasIt) sh('ip', ['link', 'del', 'docker_gwbridge']);
}

/** Starts it and waits until it answers over TLS; fails saying why (not root, no dockerd, its log). */
export async function startSecondEngine(prefix: string, opts: { swarm?: boolean } = {}): Promise<SecondEngine> {
  if (process.getuid?.() !== 0)
    throw new Error('this test starts its own Docker daemon, so it must run as root (as CI does).');
  if (!existsSync('/usr/sbin/dockerd') && !existsSync('/usr/bin/dockerd'))
    throw new Error('this test starts its own Docker daemon, and dockerd is missing: run `npm run setup`.');
  let lock: HostLock | undefined;
  if (opts.swarm) {
    lock = await takeHostLock(
      SWARM_LOCK,
      `pid ${process.pid} (${prefix}) since ${new Date().toISOString()}`,
      "a test's Swarm daemon: Swarm's docker_gwbridge is one per host",
    );
    // Left by a run that crashed (no live daemon of a Swarm test can hold it while this one holds the lock).
    await removeGwBridge().catch(async (err) => {
      await lock!.release();
      throw err;
    });
  }
  const dir = tempHome(prefix);
  // Unix socket paths are short: the exec root and socket live in a short folder of their own.
  const id = Math.random().toString(36).slice(2, 7);
  const run = `/tmp/slw2-${id}`;
  mkdirSync(run, { recursive: true });
  const bridge = `slw2${id}`;
  // Its bridge and networks in 10.<octet>.0.0/15, which no other network here uses.
  const octet = 100 + 2 * Math.floor(Math.random() * 50);
  const range = `10.${octet}.0.0/15`;
  const address = '127.0.0.1';
  // The first daemon drops forwarded traffic by default (bridged packets pass iptables too): its
  // DOCKER-USER chain lets this daemon's containers reach each other, and only them.
  const allow = ['DOCKER-USER', '-s', range, '-d', range, '-j', 'ACCEPT'];
  const undo: Array<() => void> = [];
  const undoAll = () => {
    for (const step of undo.reverse()) {
      try {
        step();
      } catch {
        // already gone
      }
    }
  };
  try {
    sh('iptables', ['-I', ...allow]);
    undo.push(() => sh('iptables', ['-D', ...allow]));
    sh('ip', ['link', 'add', bridge, 'type', 'bridge']);
    undo.push(() => sh('ip', ['link', 'del', bridge]));
    sh('ip', ['addr', 'add', `10.${octet}.0.1/24`, 'dev', bridge]);
    sh('ip', ['link', 'set', bridge, 'up']);
    makeCertificates(dir, [address]);
  } catch (err) {
    undoAll();
    removeDir(run);
    removeDir(dir);
    await lock?.release();
    throw err;
  }
  const certPath = join(dir, 'certs', 'lab');
  const port = freePort();
  const socket = join(run, 'd.sock');
  const logFile = join(dir, 'dockerd.log');
  const out = openSync(logFile, 'a');
  const daemon: ChildProcess = spawn(
    // setpriv: SIGTERM when this process ends, so no daemon outlives a crashed run.
    'setpriv',
    [
      '--pdeathsig',
      'TERM',
      '--',
      'dockerd',
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(run, 'x'),
      '--pidfile',
      join(run, 'pid'),
      '-H',
      `unix://${socket}`,
      '-H',
      `tcp://${address}:${port}`,
      '--tlsverify',
      '--tlscacert',
      join(certPath, 'ca.pem'),
      '--tlscert',
      join(certPath, 'server.pem'),
      '--tlskey',
      join(certPath, 'server-key.pem'),
      `--bridge=${bridge}`,
      '--iptables=false',
      '--ip-masq=false',
      '--default-address-pool',
      `base=10.${octet + 1}.0.0/17,size=24`,
    ],
    { stdio: ['ignore', out, out] },
  );
  // The lock stays taken until the daemon has exited, even if this process ends first.
  if (daemon.pid !== undefined) lock?.guard(daemon.pid);
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n') : '');
  const docker = new Docker({ socketPath: socket });
  const cli = (args: string[], input?: string) =>
    execFileSync('docker', ['-H', `unix://${socket}`, ...args], {
      encoding: 'utf8',
      input,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
  const stop = async () => {
    try {
      if (daemon.exitCode === null && daemon.signalCode === null) {
        try {
          cli(['swarm', 'leave', '--force']);
        } catch {
          // not in a swarm
        }
        const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
        daemon.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
        if (daemon.exitCode === null && daemon.signalCode === null) {
          daemon.kill('SIGKILL');
          await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        }
      }
    } finally {
      undoAll();
      try {
        // A swarm on it made docker_gwbridge; the first engine has none (it is not in a swarm). Only
        // under the lock: one without it would remove the bridge of another run's Swarm daemon.
        if (lock) await removeGwBridge();
      } finally {
        removeDir(run);
        removeDir(dir);
        await lock?.release();
      }
    }
  };
  try {
    await waitFor(
      () => `the second dockerd to answer on ${socket}:\n${log()}`,
      async () => {
        if (daemon.exitCode !== null || daemon.signalCode !== null)
          throw new Error(`the second dockerd exited with ${daemon.exitCode ?? daemon.signalCode}:\n${log()}`);
        return docker
          .ping()
          .then(() => true)
          .catch(() => false);
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    tcp: `tcp://${address}:${port}`,
    certPath,
    socket,
    docker,
    cli,
    log,
    stop,
    pool: `10.${octet + 1}.128.0/17`,
    address,
  };
}

/** Whether the first engine still builds an image (a second daemon must not break its bridge). */
export function firstEngineBuilds(): void {
  // A tag of its own: concurrent test runs check at the same time.
  const tag = `slipway-second-engine-check:${Math.random().toString(36).slice(2, 8)}`;
  execFileSync('docker', ['build', '-q', '-t', tag, '-'], {
    input: 'FROM slipway/busybox:local\nRUN true\n',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  execFileSync('docker', ['image', 'rm', tag], { stdio: 'ignore' });
}
