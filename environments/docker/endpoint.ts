/**
 * Docker endpoints: from a DOCKER_HOST-style string to dockerode's connection options, with the
 * SSH host key checked against the user's known_hosts.
 *
 * Like ./provider.ts, whose dynamic providers call `dockerClient`, this code is serialized into
 * Pulumi's state: it reaches npm packages and Node modules only through `require()` inside
 * function bodies, and captures nothing but its own functions and plain constants.
 *
 * An endpoint given explicitly is exactly the one used: docker-modem fills any connection field
 * it is not given from DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH (so an explicit
 * `unix://` socket would lose to a `tcp://` DOCKER_HOST); every field is therefore passed.
 */
import type * as Dockerode from 'dockerode';

/* eslint-disable @typescript-eslint/no-require-imports */

export interface DockerConnection {
  socketPath?: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https' | 'ssh';
  username?: string;
  ca?: string;
  cert?: string;
  key?: string;
  sshOptions?: { agent?: string; hostVerifier?: (key: Buffer, verify: (ok: boolean) => void) => void };
}

/** Where a refused SSH host key is recorded, so the connection error can say why. */
export interface HostKeyRefusal {
  error?: Error;
}

/**
 * How to reach a Docker endpoint, as DOCKER_HOST spells it: `` (the default socket),
 * `unix:///path`, `tcp://host:port` (TLS when DOCKER_TLS_VERIFY is set, with ca/cert/key.pem
 * from DOCKER_CERT_PATH or ~/.docker), `ssh://user@host:port` (through the ssh agent, the host
 * key checked against known_hosts), or `context:NAME` for a Docker CLI context (its endpoint and
 * TLS material). A stage of slipway.yaml adds its TLS choice to a tcp endpoint as the Docker
 * CLI's flags: `?tlscacert=FILE&tlscert=FILE&tlskey=FILE`, or `?tls=false` for plain HTTP.
 */
export function dockerConnection(
  dockerHost: string,
  env: Record<string, string | undefined> = process.env,
  refusal: HostKeyRefusal = {},
  machine: LocalMachine = {},
): DockerConnection {
  const fs = require('node:fs');
  const path = require('node:path');
  const os = require('node:os');
  const read = (file: string): string | undefined => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined);
  const configDir = env.DOCKER_CONFIG ?? path.join(env.HOME ?? os.homedir(), '.docker');
  let host = dockerHost;
  let tlsDir: string | undefined;
  if (isContextEndpoint(host)) {
    const context = contextEndpoint(host, env);
    host = context.host;
    tlsDir = context.tlsDir;
  }
  if (!host) return localEngine(env, machine);
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('npipe:')) return { socketPath: namedPipe(host) };
  const url = new URL(host);
  if (url.protocol === 'ssh:') {
    const port = Number(url.port || 22);
    // Like ssh itself: the local user name when the endpoint names none.
    const username = url.username ? decodeURIComponent(url.username) : (env.USER ?? os.userInfo().username);
    return {
      protocol: 'ssh',
      host: url.hostname,
      port,
      username,
      sshOptions: { agent: env.SSH_AUTH_SOCK, hostVerifier: sshHostVerifier(url.hostname, port, env, refusal) },
    };
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`unsupported Docker endpoint ${host}`);
  const q = url.searchParams;
  if (q.get('tls') === 'false') return { protocol: 'http', host: url.hostname, port: Number(url.port || 2375) };
  if (q.has('tlscacert') || q.has('tlscert') || q.has('tlskey')) {
    const need = (name: string): string => {
      const file = q.get(name);
      const text = file ? read(file) : undefined;
      if (text === undefined)
        throw new Error(
          `the TLS ${name.slice(3)} file ${file ?? '(none given)'} of Docker endpoint ${url.host} cannot be read`,
        );
      return text;
    };
    return {
      protocol: 'https',
      host: url.hostname,
      port: Number(url.port || 2376),
      ca: need('tlscacert'),
      cert: need('tlscert'),
      key: need('tlskey'),
    };
  }
  const tlsVerify =
    env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0';
  if (!tlsDir && (tlsVerify || url.protocol === 'https:')) tlsDir = env.DOCKER_CERT_PATH ?? configDir;
  if (tlsDir) {
    return {
      protocol: 'https',
      host: url.hostname,
      port: Number(url.port || 2376),
      ca: read(path.join(tlsDir, 'ca.pem')),
      cert: read(path.join(tlsDir, 'cert.pem')),
      key: read(path.join(tlsDir, 'key.pem')),
    };
  }
  return { protocol: 'http', host: url.hostname, port: Number(url.port || 2375) };
}

/** Whether an endpoint names a Docker CLI context: `context://NAME` (as a stage writes it) or `context:NAME`. */
export function isContextEndpoint(dockerHost: string): boolean {
  return dockerHost.startsWith('context:');
}

/** A Docker CLI context's endpoint and the folder of its TLS material (ca.pem, cert.pem, key.pem), if it has one. */
export interface ContextEndpoint {
  name: string;
  host: string;
  tlsDir?: string;
}

/**
 * Resolves `context://NAME` (or `context:NAME`) as the Docker CLI does: its meta.json under
 * DOCKER_CONFIG (else ~/.docker) `contexts/meta/<sha256 of NAME>/`, and the TLS files it was
 * created with under `contexts/tls/<sha256 of NAME>/docker/`. `default` is the local engine
 * (empty host). A context that is missing or unreadable fails saying where it was looked for.
 */
export function contextEndpoint(
  dockerHost: string,
  env: Record<string, string | undefined> = process.env,
): ContextEndpoint {
  const fs = require('node:fs');
  const path = require('node:path');
  const os = require('node:os');
  const crypto = require('node:crypto');
  const name = decodeURIComponent(dockerHost.replace(/^context:(\/\/)?/, '').replace(/\/$/, ''));
  const configDir = env.DOCKER_CONFIG ?? path.join(env.HOME ?? os.homedir(), '.docker');
  const id = crypto.createHash('sha256').update(name).digest('hex');
  const metaFile = path.join(configDir, 'contexts', 'meta', id, 'meta.json');
  if (!fs.existsSync(metaFile)) {
    if (name === 'default') return { name, host: '' };
    throw new Error(
      `Docker context "${name}" not found (looked for ${metaFile}); create it with docker context create ${name} --docker host=...`,
    );
  }
  let host: unknown;
  try {
    host = JSON.parse(fs.readFileSync(metaFile, 'utf8')).Endpoints?.docker?.Host;
  } catch (err) {
    throw new Error(`Docker context "${name}" cannot be read (${metaFile}): ${(err as Error).message}`, { cause: err });
  }
  if (typeof host !== 'string') throw new Error(`Docker context "${name}" names no Docker endpoint (${metaFile})`);
  if (isContextEndpoint(host)) throw new Error(`Docker context "${name}" names another context (${host})`);
  const tlsDir = path.join(configDir, 'contexts', 'tls', id, 'docker');
  return fs.existsSync(tlsDir) ? { name, host, tlsDir } : { name, host };
}

/** The machine an empty endpoint is looked for on (tests pass another platform and file check). */
export interface LocalMachine {
  platform?: string;
  exists?: (file: string) => boolean;
}

/**
 * The local engine when no endpoint is named: Docker Desktop's named pipe on Windows; elsewhere
 * /var/run/docker.sock when it exists (dockerode's own default), else the first socket that
 * exists of Docker Desktop on macOS (~/.docker/run/docker.sock), Docker Desktop on Linux
 * (~/.docker/desktop/docker.sock) and rootless Docker ($XDG_RUNTIME_DIR/docker.sock).
 */
export function localEngine(env: Record<string, string | undefined>, machine: LocalMachine = {}): DockerConnection {
  const fs = require('node:fs');
  const path = require('node:path');
  const os = require('node:os');
  const platform = machine.platform ?? process.platform;
  const exists = machine.exists ?? ((f: string) => fs.existsSync(f));
  if (platform === 'win32') return { socketPath: '\\\\.\\pipe\\docker_engine' };
  if (exists('/var/run/docker.sock')) return {};
  const home = env.HOME ?? os.homedir();
  const candidates = [
    ...(platform === 'darwin' ? [path.posix.join(home, '.docker', 'run', 'docker.sock')] : []),
    path.posix.join(home, '.docker', 'desktop', 'docker.sock'),
    ...(env.XDG_RUNTIME_DIR ? [path.posix.join(env.XDG_RUNTIME_DIR, 'docker.sock')] : []),
  ];
  const found = candidates.find((f) => exists(f));
  return found ? { socketPath: found } : {};
}

/** A Windows named pipe as DOCKER_HOST writes it (`npipe:////./pipe/docker_engine`) as Node opens it (`\\.\pipe\docker_engine`). */
export function namedPipe(host: string): string {
  const rest = host.slice('npipe:'.length).replace(/^[/\\]+/, '');
  if (!/^[.\w-]+[/\\]pipe[/\\][^/\\]+$/.test(rest))
    throw new Error(`Docker endpoint ${host} is not a named pipe (npipe:////./pipe/NAME)`);
  return `\\\\${rest.replace(/\//g, '\\')}`;
}

/**
 * A dockerode client for a DOCKER_HOST-style endpoint (see dockerConnection); `` means
 * DOCKER_HOST, else the local socket. A connection refused for its SSH host key fails with the
 * typed error that says why (reason `ssh-host-key-unknown` or `ssh-host-key-changed`).
 */
export function dockerClient(dockerHost: string): Dockerode {
  const Docker = require('dockerode');
  const refusal: HostKeyRefusal = {};
  const connection = dockerConnection(dockerHost || process.env.DOCKER_HOST || '', process.env, refusal);
  const unset = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    protocol: undefined,
    username: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
  };
  const docker = new Docker(
    connection.socketPath || connection.host ? { ...unset, pathPrefix: '/', ...connection } : connection,
  );
  if (connection.protocol === 'ssh') {
    const modem = docker.modem;
    const dial = modem.dial.bind(modem);
    modem.dial = (options: unknown, callback: (err: unknown, data?: unknown) => void) =>
      dial(options, (err: unknown, data?: unknown) => callback(err && refusal.error ? refusal.error : err, data));
  }
  return docker;
}

/**
 * ssh2's host key check: the key must be in ~/.ssh/known_hosts or /etc/ssh/ssh_known_hosts for
 * this host and port. `ssh-keygen -F` does the lookup, so hashed entries and patterns match as
 * they do for ssh itself. A refusal is recorded in `refusal` and the handshake is denied.
 */
export function sshHostVerifier(
  host: string,
  port: number,
  env: Record<string, string | undefined>,
  refusal: HostKeyRefusal,
) {
  return (key: Buffer, verify: (ok: boolean) => void): void => {
    try {
      refusal.error = knownHostProblem(host, port, key, env);
    } catch (err) {
      refusal.error = err as Error;
    }
    verify(!refusal.error);
  };
}

/** Undefined when the key is known for host:port; else the typed error that refuses it. */
export function knownHostProblem(
  host: string,
  port: number,
  key: Buffer,
  env: Record<string, string | undefined>,
): Error | undefined {
  const fs = require('node:fs');
  const path = require('node:path');
  const os = require('node:os');
  const crypto = require('node:crypto');
  const { execFileSync } = require('node:child_process');
  // known_hosts names a host without URL brackets (`[::1]:2222`, not `[[::1]]:2222`).
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  const name = port === 22 ? bare : `[${bare}]:${port}`;
  const userFile = path.join(env.HOME ?? os.homedir(), '.ssh', 'known_hosts');
  const files = [userFile, '/etc/ssh/ssh_known_hosts'].filter((f: string) => fs.existsSync(f));
  const blob = key.toString('base64');
  const type = key.length > 4 ? key.subarray(4, 4 + key.readUInt32BE(0)).toString('latin1') : 'unknown';
  const fingerprint = `SHA256:${crypto.createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
  const trust = `ssh-keyscan -p ${port} ${host} >> ~/.ssh/known_hosts`;
  const typed = (reason: string, message: string, hint: string): Error =>
    Object.assign(new Error(message), { name: 'SlipwayError', reason, hint });
  const sameType: string[] = [];
  // Every file is read before the key is trusted: a revocation anywhere wins, as in OpenSSH.
  let trusted = false;
  for (const file of files) {
    let out: string;
    try {
      out = execFileSync('ssh-keygen', ['-F', name, '-f', file], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 10000,
      });
    } catch (err) {
      const e = err as { status?: number; code?: string };
      if (e.status === 1) continue; // no entry for this host in that file
      const why = e.code === 'ENOENT' ? 'ssh-keygen (OpenSSH) is not installed' : (err as Error).message;
      return typed(
        'ssh-host-key-unknown',
        `Cannot check the SSH host key of ${host}:${port} against ${file}: ${why}.`,
        'Install the OpenSSH client (ssh-keygen), then retry.',
      );
    }
    let where = `${file}`;
    for (const line of out.split('\n')) {
      const found = /^# Host .* found: line (\d+)/.exec(line);
      if (found) where = `${file} line ${found[1]}`;
      if (!line.trim() || line.startsWith('#')) continue;
      const fields = line.trim().split(/\s+/);
      const marker = fields[0].startsWith('@') ? fields.shift() : undefined;
      const [, keyType, keyBlob] = fields;
      if (marker === '@revoked' && keyBlob === blob) {
        return typed(
          'ssh-host-key-changed',
          `The SSH host key of ${host}:${port} (${type} ${fingerprint}) is marked revoked in ${where}; Slipway does not connect to the Docker Engine there.`,
          "Ask the host's administrator for its current key.",
        );
      }
      if (marker) continue; // @cert-authority: host certificates are not used here
      if (keyBlob === blob) trusted = true;
      else if (keyType === type) sameType.push(where);
    }
  }
  if (trusted) return undefined;
  if (sameType.length) {
    return typed(
      'ssh-host-key-changed',
      `The SSH host key of ${host}:${port} changed: it offers ${type} ${fingerprint}, but ${sameType[0]} records another ${type} key. ` +
        'Either the host was reinstalled or someone is intercepting the connection, so Slipway does not connect to the Docker Engine there. ' +
        `If the host's key really changed, replace the old entry: ssh-keygen -R '${name}' && ${trust}`,
      `Check first that ${fingerprint} is the host's key (on the host: ssh-keygen -lf /etc/ssh/ssh_host_${type.replace(/^ssh-|-.*$/g, '')}_key.pub).`,
    );
  }
  return typed(
    'ssh-host-key-unknown',
    `The SSH host key of ${host}:${port} is unknown (${type} ${fingerprint}; not in ${[userFile, '/etc/ssh/ssh_known_hosts'].join(' or ')}), ` +
      `so Slipway does not connect to the Docker Engine there. To trust it: ${trust}`,
    `Check first that ${fingerprint} is the host's key (on the host: ssh-keygen -lf /etc/ssh/ssh_host_${type.replace(/^ssh-|-.*$/g, '')}_key.pub).`,
  );
}
