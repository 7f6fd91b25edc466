/** The declared Docker view of an environment, kept beside its record by each `up`, and reality drift checked against it with no Pulumi run. */
import { createHmac, randomBytes } from 'node:crypto';
import { linkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { ensureDir, readTextIfExists, writeFileAtomically } from '../files';
import { LABEL_ENV, LABEL_PROJECT, LABEL_ROLE, LABEL_SERVICE, LABEL_STATE } from '../naming';
import type { DriftItem } from '../pipeline/drift';
import { LAYER_OF_LABEL } from './provider/layered-volume';

/** One container as the last `up` made it. Env values are kept only as HMACs (they hold secrets). */
export interface ViewContainer {
  /** The Pulumi resource name (the service or database). */
  name: string;
  id: string;
  /** Its Docker name (`slipway-<project>-<env>-<service>`). */
  dockerName: string;
  /** The image id it runs. */
  image: string;
  /** Its env entries that the image does not set to the same value, as key → HMAC of the value. */
  env: Record<string, string>;
  /** Its image's env, key → HMAC. */
  imageEnv: Record<string, string>;
  ports: Array<{ container: number; host: number }>;
  memory: number;
  nanoCpus: number;
}

export interface DeclaredView {
  version: 1;
  /** The program fingerprint of the `up` that applied it (the record's `applied.fingerprint`). */
  fingerprint: string;
  /** Networks and volumes: Pulumi resource name → Docker name. */
  networks: Record<string, string>;
  volumes: Record<string, string>;
  containers: ViewContainer[];
}

export function viewPath(home: string, project: string, env: string): string {
  return join(home, 'views', project, `${env}.json`);
}

/** The key of the view's HMACs: 32 random bytes made once per SLIPWAY_HOME (0600). */
function viewKey(home: string): Buffer {
  const file = join(home, 'keys', 'declared-view.key');
  const have = readTextIfExists(file)?.trim();
  if (have && /^[0-9a-f]{64}$/.test(have)) return Buffer.from(have, 'hex');
  // Made under another name, then linked into place: of two processes making it at once, the
  // first link wins and both use that key (a key replaced later would make every view drift).
  ensureDir(join(home, 'keys'));
  const made = `${file}.${process.pid}.new`;
  writeFileAtomically(made, randomBytes(32).toString('hex'));
  try {
    linkSync(made, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(made, { force: true });
  }
  return Buffer.from(readTextIfExists(file)!.trim(), 'hex');
}

function digestEnv(key: Buffer, list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of list) {
    const i = e.indexOf('=');
    if (i > 0)
      out[e.slice(0, i)] = createHmac('sha256', key)
        .update(e.slice(i + 1))
        .digest('hex');
  }
  return out;
}

export function readView(home: string, project: string, env: string): DeclaredView | undefined {
  try {
    const v = JSON.parse(readTextIfExists(viewPath(home, project, env)) ?? 'null') as DeclaredView | null;
    return v?.version === 1 && Array.isArray(v.containers) ? v : undefined;
  } catch {
    // A damaged view is only a cache: the drift check then asks Pulumi.
    return undefined;
  }
}

export function removeView(home: string, project: string, env: string): void {
  rmSync(viewPath(home, project, env), { force: true });
}

function notFound(err: unknown): boolean {
  return (err as { statusCode?: number }).statusCode === 404;
}

async function inspectOrUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
}

function portsOf(info: Docker.ContainerInspectInfo): Array<{ container: number; host: number }> {
  const out: Array<{ container: number; host: number }> = [];
  for (const [spec, binds] of Object.entries(info.HostConfig.PortBindings ?? {})) {
    const host = (binds as Array<{ HostPort?: string }> | null)?.[0]?.HostPort;
    if (host && spec.endsWith('/tcp')) out.push({ container: Number(spec.slice(0, -4)), host: Number(host) });
  }
  return out.sort((a, b) => a.container - b.container);
}

interface EnvSel {
  project: string;
  env: string;
  state: string;
}

/**
 * Records what the environment's objects are now, right after Pulumi made them: the containers
 * named in `fresh` (service → id) from one inspect each; `kept` entries (containers this run left
 * alone) are carried over from the last view. Nothing is written when a container is in neither.
 */
export async function writeView(
  docker: Docker,
  home: string,
  sel: EnvSel,
  fingerprint: string,
  containers: Record<string, string>,
  fresh: Set<string>,
): Promise<boolean> {
  const key = viewKey(home);
  const last = readView(home, sel.project, sel.env);
  const labels = [`${LABEL_PROJECT}=${sel.project}`, `${LABEL_ENV}=${sel.env}`, `${LABEL_STATE}=${sel.state}`];
  const [networks, volumes, entries] = await Promise.all([
    docker.listNetworks({ filters: { label: labels } }),
    docker.listVolumes({ filters: { label: labels } }),
    Promise.all(
      Object.entries(containers).map(async ([name, id]): Promise<ViewContainer | undefined> => {
        if (!fresh.has(name)) return last?.containers.find((c) => c.name === name && c.id === id);
        const info = await docker.getContainer(id).inspect();
        const image = await inspectOrUndefined(docker.getImage(info.Image).inspect());
        const imageEnv = digestEnv(key, image?.Config?.Env ?? []);
        const env = Object.fromEntries(
          Object.entries(digestEnv(key, info.Config.Env ?? [])).filter(([k, v]) => imageEnv[k] !== v),
        );
        return {
          name,
          id: info.Id,
          dockerName: info.Name.replace(/^\//, ''),
          image: info.Image,
          env,
          imageEnv,
          ports: portsOf(info),
          memory: info.HostConfig.Memory ?? 0,
          nanoCpus: info.HostConfig.NanoCpus ?? 0,
        };
      }),
    ),
  ]);
  if (entries.some((e) => e === undefined)) {
    removeView(home, sel.project, sel.env);
    return false;
  }
  const view: DeclaredView = {
    version: 1,
    fingerprint,
    networks: Object.fromEntries(networks.filter((n) => n.Name).map((n) => ['network', n.Name])),
    volumes: Object.fromEntries(
      ((volumes.Volumes ?? []) as Array<{ Name: string; Labels?: Record<string, string> }>)
        // A data volume's links and upper layers come and go with clones; the data volume is declared.
        .filter((v) => v.Labels?.[LAYER_OF_LABEL] === undefined)
        .map((v) => [`${v.Labels?.[LABEL_SERVICE] ?? v.Name}-volume`, v.Name]),
    ),
    containers: entries as ViewContainer[],
  };
  ensureDir(join(home, 'views', sel.project));
  writeFileAtomically(viewPath(home, sel.project, sel.env), JSON.stringify(view));
  return true;
}

/** Reality against the view: the same items as the check against Pulumi's state (`realityDrift`). */
export async function viewDrift(docker: Docker, home: string, view: DeclaredView): Promise<DriftItem[]> {
  const key = viewKey(home);
  const missing = (resource: string, kind: string): DriftItem => ({
    resource,
    kind,
    property: 'existence',
    source: 'reality',
    declared: 'present',
    actual: 'missing',
    remedies: ['reapply'],
  });
  const checks: Array<Promise<DriftItem[]>> = [
    ...Object.entries(view.networks).map(async ([name, dockerName]) =>
      (await inspectOrUndefined(docker.getNetwork(dockerName).inspect())) ? [] : [missing(name, 'network')],
    ),
    ...Object.entries(view.volumes).map(async ([name, dockerName]) =>
      (await inspectOrUndefined(docker.getVolume(dockerName).inspect())) ? [] : [missing(name, 'volume')],
    ),
    ...view.containers.map((c) => containerDrift(docker, key, c)),
  ];
  return (await Promise.all(checks)).flat();
}

/** A container's state when it is not as it should be: running, or for a job, exited with code 0. */
export function stateDrift(info: Docker.ContainerInspectInfo): { declared: string; actual: string } | undefined {
  if (info.Config.Labels?.[LABEL_ROLE] === 'job') {
    if (!info.State.Running && info.State.Status === 'exited' && info.State.ExitCode === 0) return undefined;
    const actual = info.State.Status === 'exited' ? `exited with code ${info.State.ExitCode}` : info.State.Status;
    return { declared: 'completed (exit code 0)', actual };
  }
  return info.State.Running ? undefined : { declared: 'running', actual: info.State.Status };
}

async function containerDrift(docker: Docker, key: Buffer, c: ViewContainer): Promise<DriftItem[]> {
  const item = (property: string, declared: string, actual: string): DriftItem => ({
    resource: c.name,
    kind: 'container',
    property,
    source: 'reality',
    declared,
    actual,
    remedies: ['reapply', 'accept'],
  });
  const items: DriftItem[] = [];
  let info = await inspectOrUndefined(docker.getContainer(c.id).inspect());
  if (!info) {
    // Made again outside Slipway under the same name: compared, and said so.
    info = await inspectOrUndefined(docker.getContainer(c.dockerName).inspect());
    if (!info) return [item('existence', 'present', 'missing')];
    items.push(item('container id', c.id.slice(0, 12), `${info.Id.slice(0, 12)} (recreated outside Slipway)`));
  }
  const state = stateDrift(info);
  if (state) items.push(item('state', state.declared, state.actual));
  if (info.Image !== c.image) items.push(item('image', c.image, info.Image));
  const actual = digestEnv(key, info.Config.Env ?? []);
  for (const [k, v] of Object.entries(c.env)) {
    if (actual[k] !== v) items.push(item(`env.${k}`, '(secret)', k in actual ? '(secret)' : '(unset)'));
  }
  for (const [k, v] of Object.entries(actual)) {
    if (!(k in c.env) && c.imageEnv[k] !== v) items.push(item(`env.${k}`, '(unset)', '(set)'));
  }
  const bindings = info.HostConfig.PortBindings ?? {};
  for (const p of c.ports) {
    const shown = ((bindings[`${p.container}/tcp`] ?? []) as Array<{ HostIp?: string; HostPort?: string }>)
      .map((b) => `${b.HostIp || '0.0.0.0'}:${b.HostPort}`)
      .join(', ');
    const declared = `127.0.0.1:${p.host}`;
    if (shown !== declared) items.push(item(`ports.${p.container}`, declared, shown || '(not published)'));
  }
  if (c.memory !== (info.HostConfig.Memory ?? 0))
    items.push(item('memory', String(c.memory || 'unlimited'), String(info.HostConfig.Memory || 'unlimited')));
  if (c.nanoCpus !== (info.HostConfig.NanoCpus ?? 0))
    items.push(
      item(
        'cpus',
        c.nanoCpus ? String(c.nanoCpus / 1e9) : 'unlimited',
        info.HostConfig.NanoCpus ? String(info.HostConfig.NanoCpus / 1e9) : 'unlimited',
      ),
    );
  return items;
}
