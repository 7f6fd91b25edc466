/**
 * Which Docker Engine branch environments use when no endpoint is given, in the Docker CLI's
 * order: DOCKER_HOST, then DOCKER_CONTEXT, then the CLI's current context (`currentContext` in
 * $DOCKER_CONFIG/config.json, else ~/.docker/config.json), then the local socket. A context is
 * kept as `context:NAME` (./endpoint.ts reads its endpoint and TLS files from the context store);
 * the context `default` is the local socket.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SlipwayError } from '../errors';
import { contextEndpoint, localEngine } from './endpoint';

/** Where the endpoint came from: the command's option, DOCKER_HOST, DOCKER_CONTEXT, the CLI's current context, or none. */
export type EndpointSource = 'option' | 'DOCKER_HOST' | 'DOCKER_CONTEXT' | 'currentContext' | 'default';

export interface DefaultEndpoint {
  /** As the engine takes it: `` (the local socket), a DOCKER_HOST URL, or `context:NAME`. */
  dockerHost: string;
  source: EndpointSource;
  /** The context's name, when a context chose it. */
  context?: string;
  /** The Docker CLI config file that names the current context (source `currentContext`). */
  configFile?: string;
  /** Where it connects: the context's endpoint, or the socket found for the local engine. */
  resolved: string;
}

type Env = Record<string, string | undefined>;

/** The Docker CLI's config file: $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function dockerConfigFile(env: Env = process.env): string {
  return join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker'), 'config.json');
}

/** The socket the local engine is reached on (see localEngine). */
function localSocket(env: Env): string {
  const found = localEngine(env).socketPath;
  return found ? `unix://${found}` : 'unix:///var/run/docker.sock';
}

/** The current context named in the CLI's config file, if any; a file that is not JSON fails naming it. */
function currentContext(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SlipwayError(
      'docker-unavailable',
      `The Docker CLI config ${file} cannot be read (${(err as Error).message}), so its current context is not known.`,
      { hint: 'Fix or remove that file, or set DOCKER_HOST or DOCKER_CONTEXT.', cause: err },
    );
  }
  const name = (parsed as { currentContext?: unknown } | null)?.currentContext;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** The endpoint a context chosen by DOCKER_CONTEXT or the current context stands for; a missing one fails saying where it was set. */
function fromContext(
  name: string,
  source: 'DOCKER_CONTEXT' | 'currentContext',
  env: Env,
  file: string,
): DefaultEndpoint {
  const where = source === 'DOCKER_CONTEXT' ? 'set by DOCKER_CONTEXT' : `the current context in ${file}`;
  let host: string;
  try {
    host = contextEndpoint(`context:${name}`, env).host;
  } catch (err) {
    const why = (err as Error).message.replace(/^Docker context "[^"]*" /, '');
    throw new SlipwayError('docker-unavailable', `Docker context "${name}" (${where}) ${why}`, {
      hint:
        source === 'DOCKER_CONTEXT'
          ? `Create it (docker context create ${name} --docker host=...), or unset DOCKER_CONTEXT.`
          : `Create it (docker context create ${name} --docker host=...), or choose another one: docker context use default.`,
      cause: err,
    });
  }
  const configFile = source === 'currentContext' ? { configFile: file } : {};
  // The context `default` is the local engine, as with no context at all.
  if (name === 'default') return { dockerHost: '', source, context: name, ...configFile, resolved: localSocket(env) };
  return { dockerHost: `context:${name}`, source, context: name, ...configFile, resolved: host || localSocket(env) };
}

/** The endpoint of branch environments: `given` (a command's --docker-host) when set, else the Docker CLI's order. */
export function defaultEndpoint(given: string | undefined, env: Env = process.env): DefaultEndpoint {
  if (given !== undefined && given !== '') return { dockerHost: given, source: 'option', resolved: given };
  if (env.DOCKER_HOST) return { dockerHost: env.DOCKER_HOST, source: 'DOCKER_HOST', resolved: env.DOCKER_HOST };
  const file = dockerConfigFile(env);
  if (env.DOCKER_CONTEXT) return fromContext(env.DOCKER_CONTEXT, 'DOCKER_CONTEXT', env, file);
  const current = currentContext(file);
  if (current) return fromContext(current, 'currentContext', env, file);
  return { dockerHost: '', source: 'default', resolved: localSocket(env) };
}

/** One line for people: where the engine is and why that one (`tcp://10.0.0.5:2376 (Docker context "lab", from DOCKER_CONTEXT)`). */
export function describeEndpoint(e: DefaultEndpoint): string {
  const tls = e.resolved.includes('?') ? e.resolved.split('?')[0] : e.resolved;
  switch (e.source) {
    case 'option':
      return `${tls} (from --docker-host)`;
    case 'DOCKER_HOST':
      return `${tls} (from DOCKER_HOST)`;
    case 'DOCKER_CONTEXT':
      return `${tls} (Docker context "${e.context}", from DOCKER_CONTEXT)`;
    case 'currentContext':
      return `${tls} (Docker context "${e.context}", the current context in ${e.configFile})`;
    default:
      return `${tls} (the local engine: no DOCKER_HOST, DOCKER_CONTEXT or current Docker context)`;
  }
}
