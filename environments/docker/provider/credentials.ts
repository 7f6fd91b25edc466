/** A registry's credentials as the Docker CLI finds them: `credHelpers`, then `credsStore`, then `auths` of the Docker config, a helper run as `docker-credential-<name> get`. Serialized with the provider (see ../provider.ts): Node modules only through `require()` inside function bodies. */
/* eslint-disable @typescript-eslint/no-require-imports */

/** What a push or pull sends to the Docker Engine as `X-Registry-Auth`. */
export interface RegistryAuth {
  serveraddress: string;
  username?: string;
  password?: string;
  /** An OAuth identity token (a helper's answer with Username `<token>`), sent instead of a password. */
  identitytoken?: string;
}

/** The parts of a Docker config (`config.json`) that say where credentials are. */
export interface DockerConfigCredentials {
  auths?: Record<string, { auth?: string; identitytoken?: string } | undefined>;
  credHelpers?: Record<string, string | undefined>;
  credsStore?: string;
}

/** Which store holds a registry's credentials, by the Docker CLI's rule. */
export type CredentialStore =
  | { kind: 'helper'; helper: string; setting: string; serverAddress: string }
  | { kind: 'auths'; key: string }
  | { kind: 'none' };

/** A registry's credentials and, for messages, where they came from (never the secret itself). */
export interface RegistryCredentials {
  /** Undefined: none, an anonymous push or pull. */
  auth?: RegistryAuth;
  /** e.g. `docker-credential-pass (credsStore in /home/ann/.docker/config.json)`, or `no credentials`. */
  from: string;
}

/** The host names of Docker Hub: an image named `index.docker.io/...` is a Docker Hub image too. */
const DOCKER_HUB = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];

/** The names a registry goes by in a Docker config: Docker Hub's several, else the host with and without a scheme. */
export function configKeys(registry: string): string[] {
  return DOCKER_HUB.includes(registry)
    ? ['https://index.docker.io/v1/', ...DOCKER_HUB]
    : [registry, `https://${registry}`, `http://${registry}`];
}

/** The host of an `auths` key as the Docker CLI compares older keys: without scheme and path (`https://reg:5000/v1/` is `reg:5000`). */
function keyHost(key: string): string {
  return key.replace(/^https?:\/\//, '').split('/')[0];
}

/**
 * The store the Docker CLI reads a registry's credentials from: the registry's own entry in
 * `credHelpers`, else the default `credsStore`, else the `auths` entry that holds credentials.
 * Like the CLI, a helper that is named is the only place asked (an `auths` entry then holds no
 * secret, which is what `docker login` leaves there with a helper).
 */
export function credentialStore(config: DockerConfigCredentials, registry: string): CredentialStore {
  const keys = configKeys(registry);
  const serverAddress = keys[0];
  for (const key of keys) {
    const helper = config.credHelpers?.[key];
    if (typeof helper === 'string' && helper !== '')
      return { kind: 'helper', helper, setting: `credHelpers["${key}"]`, serverAddress };
  }
  if (typeof config.credsStore === 'string' && config.credsStore !== '')
    return { kind: 'helper', helper: config.credsStore, setting: 'credsStore', serverAddress };
  const holds = (k: string) => Boolean(config.auths?.[k]?.auth || config.auths?.[k]?.identitytoken);
  // The names above first, then (like the CLI) any older key whose host is the registry's.
  const hosts = keys.map(keyHost);
  const key = keys.find(holds) ?? Object.keys(config.auths ?? {}).find((k) => holds(k) && hosts.includes(keyHost(k)));
  return key ? { kind: 'auths', key } : { kind: 'none' };
}

/** The Docker config file: DOCKER_CONFIG's, else ~/.docker's `config.json`. */
export function dockerConfigFile(): string {
  const path = require('node:path');
  const os = require('node:os');
  return path.join(process.env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker'), 'config.json');
}

/** The helper's answer to `get` (the Docker credential helper protocol). */
function helperAnswer(out: string): { ServerURL?: unknown; Username?: unknown; Secret?: unknown } | undefined {
  try {
    const parsed = JSON.parse(out) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `docker-credential-<helper> get` with the server address on stdin and reads its JSON
 * `{ ServerURL, Username, Secret }`: Username `<token>` makes Secret an identity token. A helper
 * that says "credentials not found" gives undefined. Errors name the binary and the config file
 * that asked for it, and never carry what the helper printed on success (the secret).
 */
export function runCredentialHelper(
  store: { helper: string; setting: string; serverAddress: string },
  configFile: string,
): Omit<RegistryAuth, 'serveraddress'> | undefined {
  const { spawnSync } = require('node:child_process');
  const binary = `docker-credential-${store.helper}`;
  const asked = `${store.setting} in ${configFile}`;
  const run = spawnSync(binary, ['get'], {
    input: store.serverAddress,
    encoding: 'utf8',
    timeout: 60_000,
    stdio: ['pipe', 'pipe', 'pipe'],
  }) as { error?: NodeJS.ErrnoException; status: number | null; stdout: string; stderr: string };
  if (run.error?.code === 'ENOENT')
    throw new Error(
      `the Docker credential helper ${binary} (${asked}) is not installed or not on PATH; install it, or remove ${store.setting} from ${configFile} and run docker login ${store.serverAddress}`,
    );
  // A helper that exits without reading the address (one that fails at once) closes its input: EPIPE, not a failure to run.
  if (run.error && !(run.error.code === 'EPIPE' && run.status !== null))
    throw new Error(`the Docker credential helper ${binary} (${asked}) could not run: ${run.error.message}`);
  if (run.status !== 0) {
    // What a failing helper prints is its error message: the protocol's "not found", or why it failed.
    const said = `${run.stdout ?? ''}\n${run.stderr ?? ''}`.trim();
    if (/credentials not found/i.test(said)) return undefined;
    const first = said.split('\n')[0].slice(0, 200);
    throw new Error(
      `the Docker credential helper ${binary} (${asked}) failed for ${store.serverAddress} with exit code ${run.status}${first ? `: ${first}` : ''}`,
    );
  }
  const answer = helperAnswer(run.stdout);
  if (
    !answer ||
    typeof answer.Secret !== 'string' ||
    (answer.Username !== undefined && typeof answer.Username !== 'string')
  )
    throw new Error(
      `the Docker credential helper ${binary} (${asked}) did not answer get for ${store.serverAddress} with JSON { ServerURL, Username, Secret }`,
    );
  if (answer.Username === '<token>') return { identitytoken: answer.Secret };
  return { username: (answer.Username as string | undefined) ?? '', password: answer.Secret };
}

/**
 * The credentials the Docker CLI would use for `registry` (a host[:port], or `docker.io`), and
 * where they came from. No Docker config: none. Never logged: callers pass `auth` to the engine
 * only, and `from` names the store, not the secret.
 */
export function registryCredentials(registry: string): RegistryCredentials {
  const fs = require('node:fs');
  const file = dockerConfigFile();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8') as string;
  } catch {
    return { from: 'no credentials (no Docker config)' };
  }
  let config: DockerConfigCredentials;
  try {
    config = (JSON.parse(text) as DockerConfigCredentials | null) ?? {};
  } catch {
    throw new Error(`the Docker config ${file} is not valid JSON; correct it (or run docker login again)`);
  }
  const store = credentialStore(config, registry);
  if (store.kind === 'none') return { from: `no credentials for ${registry} in ${file}` };
  if (store.kind === 'helper') {
    const from = `docker-credential-${store.helper} (${store.setting} in ${file})`;
    const found = runCredentialHelper(store, file);
    return found ? { auth: { serveraddress: registry, ...found }, from } : { from: `no credentials from ${from}` };
  }
  const entry = config.auths![store.key]!;
  const from = `auths["${store.key}"] in ${file}`;
  if (!entry.auth) return { auth: { serveraddress: registry, identitytoken: entry.identitytoken }, from };
  const [username, ...rest] = Buffer.from(entry.auth, 'base64').toString('utf8').split(':');
  return { auth: { serveraddress: registry, username, password: rest.join(':') }, from };
}
