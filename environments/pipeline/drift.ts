/**
 * Drift: what differs between what was declared and what runs.
 *
 * - `reality`: Pulumi's state against the real Docker objects: a container stopped or removed
 *   by hand, recreated with another env or image, its ports or limits changed; a Swarm service
 *   removed, or its image, replicas or env changed, by hand.
 * - `spec`: the spec against the state: what the next `up` would change.
 *
 * Secret values (anything Pulumi holds as a secret, such as a database URL) are never shown:
 * only the names of the keys that differ.
 */
import type Docker from 'dockerode';
import { stateDrift } from '../docker/declared-view';
import { resourceKindOf } from '../kinds';

export type DriftSource = 'reality' | 'spec';

export interface DriftItem {
  resource: string;
  kind: string;
  property: string;
  source: DriftSource;
  declared: string;
  actual: string;
  /** How to clear it: `reapply` makes reality match the spec; `accept` takes reality into state. */
  remedies: Array<'reapply' | 'accept'>;
}

export interface DriftReport {
  project: string;
  env: string;
  branch: string;
  checkedAt: string;
  exists: boolean;
  drifted: boolean;
  items: DriftItem[];
}

/** The secret envelope of `pulumi stack export --show-secrets`. */
const SECRET_SIG = '4dabf18193072939515e22adb298388d';

export interface Revealed<T> {
  value: T;
  secret: boolean;
}

export function reveal<T>(v: unknown): Revealed<T> {
  if (v && typeof v === 'object' && (v as Record<string, unknown>)[SECRET_SIG] !== undefined) {
    const plaintext = (v as { plaintext?: string }).plaintext;
    return { value: (plaintext !== undefined ? JSON.parse(plaintext) : undefined) as T, secret: true };
  }
  return { value: v as T, secret: false };
}

/** A resource of the environment as Pulumi's state records it. */
export interface StateResource {
  urn: string;
  type: string;
  outputs: Record<string, unknown>;
}

function nameOf(urn: string): string {
  return urn.split('::').pop() ?? urn;
}

function envMap(list: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of list) {
    const i = e.indexOf('=');
    if (i > 0) m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number }).statusCode === 404;
}

async function inspectContainer(docker: Docker, idOrName: string): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(idOrName).inspect();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Compares one container's recorded properties with the real container. */
async function containerDrift(docker: Docker, r: StateResource): Promise<DriftItem[]> {
  const name = nameOf(r.urn);
  const o = r.outputs;
  const item = (
    property: string,
    declared: string,
    actual: string,
    remedies: DriftItem['remedies'] = ['reapply', 'accept'],
  ): DriftItem => ({
    resource: name,
    kind: 'container',
    property,
    source: 'reality',
    declared,
    actual,
    remedies,
  });
  const recordedId = String(reveal<string>(o.containerId).value ?? '');
  const dockerName = String(reveal<string>(o.name).value ?? '');
  let info = recordedId ? await inspectContainer(docker, recordedId) : undefined;
  const items: DriftItem[] = [];
  if (!info) {
    info = dockerName ? await inspectContainer(docker, dockerName) : undefined;
    if (!info) return [item('existence', 'present', 'missing')];
    items.push(item('container id', recordedId.slice(0, 12), `${info.Id.slice(0, 12)} (recreated outside Slipway)`));
  }
  const state = stateDrift(info);
  if (state) items.push(item('state', state.declared, state.actual));

  const image = reveal<string>(o.image).value;
  if (image && info.Image !== image) items.push(item('image', image, info.Image));

  const env = reveal<string[]>(o.env);
  const declaredEnv = envMap(env.value ?? []);
  const actualEnv = envMap(info.Config.Env ?? []);
  let imageEnv = new Map<string, string>();
  try {
    imageEnv = envMap((await docker.getImage(info.Image).inspect()).Config?.Env ?? []);
  } catch {
    // image gone: every extra variable counts as added
  }
  const show = (v: string | undefined) => (v === undefined ? '(unset)' : env.secret ? '(secret)' : v);
  for (const [k, v] of declaredEnv) {
    if (actualEnv.get(k) !== v)
      items.push(item(`env.${k}`, show(v), actualEnv.has(k) ? show(actualEnv.get(k)) : '(unset)'));
  }
  for (const [k, v] of actualEnv) {
    if (!declaredEnv.has(k) && imageEnv.get(k) !== v) items.push(item(`env.${k}`, '(unset)', env.secret ? '(set)' : v));
  }

  const ports = reveal<Array<{ container: number; host: number }>>(o.ports).value ?? [];
  const bindings = info.HostConfig.PortBindings ?? {};
  for (const p of ports) {
    const actual = (bindings[`${p.container}/tcp`] ?? [])
      .map((b: { HostIp?: string; HostPort?: string }) => `${b.HostIp || '0.0.0.0'}:${b.HostPort}`)
      .join(', ');
    const declared = `127.0.0.1:${p.host}`;
    if (actual !== declared) items.push(item(`ports.${p.container}`, declared, actual || '(not published)'));
  }

  const memory = reveal<number | undefined>(o.memoryBytes).value;
  if ((memory ?? 0) !== (info.HostConfig.Memory ?? 0))
    items.push(item('memory', String(memory ?? 'unlimited'), String(info.HostConfig.Memory || 'unlimited')));
  const cpus = reveal<number | undefined>(o.cpus).value;
  const nano = cpus ? Math.round(cpus * 1e9) : 0;
  if (nano !== (info.HostConfig.NanoCpus ?? 0))
    items.push(
      item(
        'cpus',
        String(cpus ?? 'unlimited'),
        info.HostConfig.NanoCpus ? String(info.HostConfig.NanoCpus / 1e9) : 'unlimited',
      ),
    );
  return items;
}

async function objectExists(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/**
 * Compares one Swarm service's recorded spec (image, replicas, env) with `docker service inspect`
 * through the stage's endpoint. Only `reapply` clears it: the service is made again from the state.
 */
async function swarmServiceDrift(docker: Docker, r: StateResource): Promise<DriftItem[]> {
  const o = r.outputs;
  const item = (property: string, declared: string, actual: string): DriftItem => ({
    resource: nameOf(r.urn),
    kind: 'swarm-service',
    property,
    source: 'reality',
    declared,
    actual,
    remedies: ['reapply'],
  });
  const id = String(reveal<string>(o.serviceId).value ?? '');
  const dockerName = String(reveal<string>(o.name).value ?? '');
  let info: SwarmServiceInfo | undefined;
  for (const key of [id, dockerName].filter((k) => k)) {
    try {
      info = (await docker.getService(key).inspect()) as SwarmServiceInfo;
      break;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  if (!info) return [item('existence', 'present', 'missing')];
  const items: DriftItem[] = [];
  if (id && info.ID !== id)
    items.push(item('service id', id.slice(0, 12), `${info.ID.slice(0, 12)} (recreated outside Slipway)`));
  const container = info.Spec?.TaskTemplate?.ContainerSpec;
  const image = reveal<string>(o.image).value;
  if (image && container?.Image !== image) items.push(item('image', image, container?.Image ?? '(none)'));
  const replicas = reveal<number>(o.replicas).value;
  const actualReplicas = info.Spec?.Mode?.Replicated?.Replicas;
  if (replicas !== undefined && actualReplicas !== replicas)
    items.push(
      item('replicas', String(replicas), actualReplicas === undefined ? '(not replicated)' : String(actualReplicas)),
    );
  const env = reveal<string[]>(o.env);
  const declaredEnv = envMap(env.value ?? []);
  // Each secret of `secretEnv` reaches the task as `VAR_FILE` (its path under /run/secrets).
  const secretKeys = new Set(
    (reveal<string[]>(o.secretEnv).value ?? []).map((e) => `${e.slice(0, e.indexOf('='))}_FILE`),
  );
  const actualEnv = envMap(container?.Env ?? []);
  const show = (v: string | undefined) => (v === undefined ? '(unset)' : env.secret ? '(secret)' : v);
  for (const [k, v] of declaredEnv) {
    if (actualEnv.get(k) !== v)
      items.push(item(`env.${k}`, show(v), actualEnv.has(k) ? show(actualEnv.get(k)) : '(unset)'));
  }
  for (const [k, v] of actualEnv) {
    if (!declaredEnv.has(k) && !secretKeys.has(k)) items.push(item(`env.${k}`, '(unset)', env.secret ? '(set)' : v));
  }
  return items;
}

interface SwarmServiceInfo {
  ID: string;
  Spec?: {
    TaskTemplate?: { ContainerSpec?: { Image?: string; Env?: string[] } };
    Mode?: { Replicated?: { Replicas?: number } };
  };
}

/** State against reality, for every resource of the environment. */
export async function realityDrift(docker: Docker, resources: StateResource[]): Promise<DriftItem[]> {
  const items: DriftItem[] = [];
  for (const r of resources) {
    const kind = resourceKindOf(r.type);
    const name = nameOf(r.urn);
    if (kind === 'container') items.push(...(await containerDrift(docker, r)));
    else if (kind === 'swarm-service') items.push(...(await swarmServiceDrift(docker, r)));
    else if (kind === 'network' || kind === 'volume') {
      const dockerName = String(reveal<string>(r.outputs.name).value);
      const exists =
        kind === 'network'
          ? await objectExists(docker.getNetwork(dockerName).inspect())
          : await objectExists(docker.getVolume(dockerName).inspect());
      if (!exists) {
        items.push({
          resource: name,
          kind,
          property: 'existence',
          source: 'reality',
          declared: 'present',
          actual: 'missing',
          remedies: ['reapply'],
        });
      }
    }
  }
  return items;
}

/** Renders a property value from a Pulumi step for a drift report (secrets masked). */
export function showValue(v: unknown): string {
  const r = reveal<unknown>(v);
  if (r.secret) return '(secret)';
  if (r.value === undefined || r.value === null) return '(unset)';
  return typeof r.value === 'string' ? r.value : JSON.stringify(r.value);
}
