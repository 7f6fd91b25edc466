/**
 * Pulumi dynamic providers for the Docker objects of an environment, driven through dockerode.
 *
 * Pulumi serializes each provider object (with everything its functions capture) into the
 * stack's state and runs that serialized code for later updates and deletes. So this module is
 * self-contained: its functions reach npm packages only through a plain `require()` inside a
 * function body, and capture nothing but each other, plain constants and `dockerClient` from
 * ./endpoint.ts (written the same way; the stack worker bundle puts both in one scope). Every input carries
 * `providerVersion`; bumping PROVIDER_VERSION makes `diff` report a change, so new provider
 * code reaches resources that already exist.
 *
 * All kinds share one provider object that dispatches on the `kind` input: Pulumi serializes
 * each distinct provider object on every run (hundreds of milliseconds each), so one object
 * keeps that cost to a single serialization.
 *
 * Creates are idempotent by name: an object left behind by an interrupted run (created in
 * Docker, never recorded in state) carries Slipway's labels and is replaced or adopted, so the
 * next `up` converges instead of failing on a name clash.
 */
import type * as Dockerode from 'dockerode';
import { dockerClient } from './endpoint';

export { dockerClient, dockerConnection, type DockerConnection } from './endpoint';

export const PROVIDER_VERSION = 4;

/* eslint-disable @typescript-eslint/no-require-imports */

type Labels = Record<string, string>;

export type ResourceKind = 'network' | 'volume' | 'image' | 'container' | 'password';

export interface NetworkInputs {
  kind: 'network';
  providerVersion: number;
  dockerHost: string;
  name: string;
  labels: Labels;
}

export interface VolumeInputs {
  kind: 'volume';
  providerVersion: number;
  dockerHost: string;
  name: string;
  labels: Labels;
}

export interface ImageInputs {
  kind: 'image';
  providerVersion: number;
  dockerHost: string;
  /** Build from `context` with `dockerfile`; or, without `context`, use the local image `tag`. */
  tag: string;
  context?: string;
  dockerfile?: string;
  /** Hash of the build context (honouring .dockerignore): a change rebuilds. */
  contextHash?: string;
  labels: Labels;
}

export interface ContainerHealth {
  http?: { path: string; port: number };
  command?: string[];
  intervalMs: number;
  timeoutMs: number;
}

export interface ContainerInputs {
  kind: 'container';
  providerVersion: number;
  dockerHost: string;
  name: string;
  /** Image id (sha256:...): a rebuilt image replaces the container. */
  image: string;
  imageRef: string;
  command?: string[];
  env: string[];
  /** containerPort -> host port on 127.0.0.1 */
  ports: Array<{ container: number; host: number }>;
  network: string;
  aliases: string[];
  mounts: Array<{ volume: string; target: string }>;
  health?: ContainerHealth;
  cpus?: number;
  memoryBytes?: number;
  labels: Labels;
  /**
   * Every secret value of the environment (database passwords and URLs), a Pulumi secret: masked
   * in the log lines a failed create reports.
   */
  secrets?: string[];
}

interface DiffResult {
  changes: boolean;
  replaces?: string[];
  deleteBeforeReplace?: boolean;
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 404;
}

function changedKeys(olds: Record<string, unknown>, news: Record<string, unknown>, keys: string[]): string[] {
  return keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
}

/** Fields whose change replaces the object; any other change is an in-place update. */
function diffBy(olds: Record<string, unknown>, news: Record<string, unknown>, replaceKeys: string[], updateKeys: string[]): DiffResult {
  const replaces = changedKeys(olds, news, replaceKeys);
  const updates = changedKeys(olds, news, updateKeys);
  return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: true };
}

function sameLabels(actual: Labels | undefined | null, wanted: Labels): boolean {
  const a = actual ?? {};
  return Object.keys(wanted).every((k) => a[k] === wanted[k]);
}

// ---------- network ----------

async function createNetwork(inputs: NetworkInputs): Promise<{ id: string; outs: NetworkInputs & { networkId: string } }> {
  const docker = dockerClient(inputs.dockerHost);
  const existing = (await docker.listNetworks({ filters: { name: [inputs.name] } })).find((n) => n.Name === inputs.name);
  if (existing && sameLabels(existing.Labels, inputs.labels)) {
    return { id: existing.Id, outs: { ...inputs, networkId: existing.Id } };
  }
  if (existing) {
    throw new Error(`a Docker network named ${inputs.name} already exists and belongs to something else (another Slipway state folder, or not Slipway); remove it, or use that state (SLIPWAY_HOME)`);
  }
  const net = await docker.createNetwork({ Name: inputs.name, Driver: 'bridge', Labels: inputs.labels, CheckDuplicate: true });
  return { id: net.id, outs: { ...inputs, networkId: net.id } };
}

async function deleteNetwork(id: string, props: NetworkInputs): Promise<void> {
  const docker = dockerClient(props.dockerHost);
  try {
    await docker.getNetwork(id).remove();
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

const networkProvider = {
  async create(inputs: NetworkInputs) {
    return createNetwork(inputs);
  },
  async diff(_id: string, olds: NetworkInputs, news: NetworkInputs) {
    return diffBy({ ...olds }, { ...news }, ['name', 'labels', 'dockerHost'], ['providerVersion']);
  },
  async update(id: string, olds: NetworkInputs & { networkId: string }, news: NetworkInputs) {
    return { outs: { ...news, networkId: olds.networkId ?? id } };
  },
  async delete(id: string, props: NetworkInputs) {
    await deleteNetwork(id, props);
  },
  async read(id: string, props: NetworkInputs) {
    return readByName(id, props);
  },
};

// ---------- volume ----------

/**
 * A volume that exists but is not in the state (an interrupted create, or a state folder that
 * was deleted) holds data nobody declared, initialised with credentials the state no longer
 * knows: it is recreated, never adopted. Containers of this environment still using it go
 * first; anything else using it is an error.
 */
async function createVolume(inputs: VolumeInputs): Promise<{ id: string; outs: VolumeInputs }> {
  const docker = dockerClient(inputs.dockerHost);
  let existing: { Labels?: Labels | null } | undefined;
  try {
    existing = await docker.getVolume(inputs.name).inspect();
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (existing) {
    const foreign = `a Docker volume named ${inputs.name} already exists and belongs to something else (another Slipway state folder, or not Slipway); remove it, or use that state (SLIPWAY_HOME)`;
    if (!sameLabels(existing.Labels, inputs.labels)) throw new Error(foreign);
    const users = await docker.listContainers({ all: true, filters: { volume: [inputs.name] } });
    if (users.some((c) => !sameLabels(c.Labels, inputs.labels))) throw new Error(foreign);
    for (const c of users) await removeContainer(docker, c.Id);
    await docker.getVolume(inputs.name).remove({ force: true });
  }
  await docker.createVolume({ Name: inputs.name, Labels: inputs.labels });
  return { id: inputs.name, outs: { ...inputs } };
}

async function deleteVolume(id: string, props: VolumeInputs): Promise<void> {
  const docker = dockerClient(props.dockerHost);
  try {
    await docker.getVolume(id).remove({ force: true });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

const volumeProvider = {
  async create(inputs: VolumeInputs) {
    return createVolume(inputs);
  },
  async diff(_id: string, olds: VolumeInputs, news: VolumeInputs) {
    return diffBy({ ...olds }, { ...news }, ['name', 'labels', 'dockerHost'], ['providerVersion']);
  },
  async update(_id: string, _olds: VolumeInputs, news: VolumeInputs) {
    return { outs: { ...news } };
  },
  async delete(id: string, props: VolumeInputs) {
    await deleteVolume(id, props);
  },
  async read(id: string, props: VolumeInputs) {
    return readByName(id, props);
  },
};

// ---------- image ----------

/** Top-level entries of a build context (dockerode applies .dockerignore to them and below). */
function contextEntries(context: string): string[] {
  const fs = require('node:fs');
  return (fs.readdirSync(context) as string[]).sort();
}

/**
 * A stable hash of a build context: every file's relative path, mode and content, honouring
 * .dockerignore exactly as the build does.
 */
export function hashBuildContext(context: string): string {
  const fs = require('node:fs');
  const path = require('node:path');
  const crypto = require('node:crypto');
  const dockerignore = require('@balena/dockerignore');
  let ignore: { ignores(p: string): boolean } | undefined;
  const ignoreFile = path.join(context, '.dockerignore');
  if (fs.existsSync(ignoreFile)) ignore = dockerignore({ ignorecase: false }).add(fs.readFileSync(ignoreFile, 'utf8'));
  const hash = crypto.createHash('sha256');
  const walk = (rel: string): void => {
    const abs = path.join(context, rel);
    for (const name of (fs.readdirSync(abs) as string[]).sort()) {
      const childRel = rel ? `${rel}/${name}` : name;
      if (ignore && ignore.ignores(childRel)) continue;
      const st = fs.lstatSync(path.join(abs, name));
      if (st.isDirectory()) walk(childRel);
      else {
        hash.update(`${childRel}\0${st.mode}\0`);
        hash.update(st.isSymbolicLink() ? fs.readlinkSync(path.join(abs, name)) : fs.readFileSync(path.join(abs, name)));
        hash.update('\0');
      }
    }
  };
  walk('');
  return hash.digest('hex');
}

async function buildImage(inputs: ImageInputs): Promise<{ id: string; outs: ImageInputs & { imageId: string } }> {
  const docker = dockerClient(inputs.dockerHost);
  if (!inputs.context) {
    try {
      const info = await docker.getImage(inputs.tag).inspect();
      return { id: info.Id, outs: { ...inputs, imageId: info.Id } };
    } catch (err) {
      if (isNotFound(err)) {
        throw new Error(`image ${inputs.tag} is not on this Docker Engine; build it locally (npm run setup builds Slipway's base images) and retry`, { cause: err });
      }
      throw err;
    }
  }
  const stream = await docker.buildImage(
    { context: inputs.context, src: contextEntries(inputs.context) },
    { t: inputs.tag, dockerfile: inputs.dockerfile ?? 'Dockerfile', labels: inputs.labels, rm: true, forcerm: true },
  );
  const tail: string[] = [];
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, results: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
        const failed = err ?? results.find((r) => r.error);
        if (!failed) return resolve();
        const message = failed instanceof Error ? failed.message : failed.errorDetail?.message ?? failed.error;
        reject(new Error(`docker build of ${inputs.context} failed: ${message}\n${tail.join('')}`, { cause: err ?? undefined }));
      },
      (event: { stream?: string }) => {
        if (event.stream) {
          tail.push(event.stream);
          if (tail.length > 20) tail.shift();
        }
      },
    );
  });
  const info = await docker.getImage(inputs.tag).inspect();
  return { id: info.Id, outs: { ...inputs, imageId: info.Id } };
}

async function deleteImage(props: ImageInputs): Promise<void> {
  if (!props.context) return; // an image Slipway did not build is never removed
  const docker = dockerClient(props.dockerHost);
  try {
    // Removes this environment's tag; layers shared with other tags stay.
    await docker.getImage(props.tag).remove({ noprune: false });
  } catch (err) {
    const code = (err as { statusCode?: number }).statusCode;
    if (code !== 404 && code !== 409) throw err;
  }
}

const imageProvider = {
  async create(inputs: ImageInputs) {
    return buildImage(inputs);
  },
  async diff(_id: string, olds: ImageInputs, news: ImageInputs) {
    const d = diffBy({ ...olds }, { ...news }, ['dockerHost'], ['tag', 'context', 'dockerfile', 'contextHash', 'labels', 'providerVersion']);
    return { ...d, deleteBeforeReplace: false };
  },
  async update(_id: string, olds: ImageInputs, news: ImageInputs) {
    const built = await buildImage(news);
    if (olds.tag !== news.tag) await deleteImage(olds);
    return { outs: built.outs };
  },
  async delete(_id: string, props: ImageInputs) {
    await deleteImage(props);
  },
};

// ---------- container ----------

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function containerLogsTail(container: Dockerode.Container, lines: number): Promise<string> {
  try {
    const buf = (await container.logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    // Demultiplex Docker's 8-byte frame headers when the container has no TTY.
    const out: string[] = [];
    let i = 0;
    while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2) && buf[i + 1] === 0) {
      const size = buf.readUInt32BE(i + 4);
      out.push(buf.subarray(i + 8, i + 8 + size).toString('utf8'));
      i += 8 + size;
    }
    const text = i > 0 ? out.join('') : buf.toString('utf8');
    return text.trimEnd();
  } catch {
    return '';
  }
}

/**
 * `text` with every secret value the container knows replaced by `***`: the environment's secrets
 * (and the password inside a URL), and every env value of 6 characters or more (an app's log may
 * print its configuration).
 */
function maskSecrets(text: string, inputs: Pick<ContainerInputs, 'env' | 'secrets'>): string {
  const values = new Set<string>();
  const add = (v: string, min: number) => {
    if (v.length < min) return;
    values.add(v);
    try {
      const url = new URL(v);
      if (url.password.length >= 4) {
        values.add(url.password);
        values.add(decodeURIComponent(url.password));
      }
    } catch {
      // not a URL
    }
  };
  for (const secret of inputs.secrets ?? []) add(secret, 4);
  for (const entry of inputs.env) add(entry.slice(entry.indexOf('=') + 1), 6);
  return [...values].sort((a, b) => b.length - a.length).reduce((out, v) => out.split(v).join('***'), text);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** What Docker's event stream said of one container: when it first started, and its first exit. */
interface Lifecycle {
  started?: number;
  died?: { code: number; at: number };
  close(): void;
}

/**
 * Follows the container's `start` and `die` events (opened before it starts, so none is missed):
 * a container that exits is restarted by its restart policy within ~100 ms, and then its state no
 * longer holds the exit code. Without an event stream, the state is all there is.
 */
async function watchLifecycle(docker: Dockerode, id: string): Promise<Lifecycle> {
  const life: Lifecycle = { close: () => undefined };
  try {
    const stream = (await docker.getEvents({ filters: { type: ['container'], container: [id], event: ['start', 'die'] } })) as NodeJS.ReadableStream & { destroy?(): void };
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
        const line = pending.slice(0, i);
        pending = pending.slice(i + 1);
        try {
          const e = JSON.parse(line) as { Action?: string; time?: number; timeNano?: number; Actor?: { Attributes?: Record<string, string> } };
          const at = e.timeNano ? e.timeNano / 1e6 : (e.time ?? 0) * 1000;
          if (e.Action === 'start' && life.started === undefined) life.started = at;
          if (e.Action === 'die' && !life.died) life.died = { code: Number(e.Actor?.Attributes?.exitCode), at };
        } catch {
          // not an event
        }
      }
    });
    stream.on('error', () => undefined);
    life.close = () => stream.destroy?.();
  } catch {
    // no event stream: the state alone tells
  }
  return life;
}

/**
 * Waits until the container is healthy, watching its state all along: one that exits (or is
 * restarted by its restart policy) is reported at once with its exit code and how long it ran;
 * one that stays unhealthy, when the check's timeout passes. Either way with its last log lines,
 * masked.
 */
async function waitHealthy(docker: Dockerode, inputs: ContainerInputs, id: string, startedAt: number, life: Lifecycle): Promise<void> {
  const container = docker.getContainer(id);
  const health = inputs.health;
  const service = inputs.labels['dev.slipway.service'] ?? inputs.name;
  const timeoutMs = health?.timeoutMs ?? 30000;
  const deadline = Date.now() + timeoutMs;
  let firstStart: number | undefined;
  let failure: string;
  for (;;) {
    const info = await container.inspect();
    const state = info.State;
    if (firstStart === undefined && state.Running && !info.RestartCount) firstStart = Date.parse(state.StartedAt);
    if (life.died || !state.Running || state.Restarting || info.RestartCount > 0) {
      if (!life.died) await sleep(200); // its die event may be on its way
      const died = life.died;
      const stopped = !state.Running || state.Restarting;
      const code = died ? died.code : stopped ? state.ExitCode : undefined;
      // How long it ran: Docker's own times when known, else this side's clock.
      const finished = Date.parse(state.FinishedAt);
      const began = life.started ?? firstStart;
      const ranMs = died && began ? died.at - began : began && stopped && finished > began ? finished - began : Date.now() - startedAt;
      const oom = state.OOMKilled ? ` (out of memory${inputs.memoryBytes ? `: its limit is ${Math.round(inputs.memoryBytes / 1048576)} MiB` : ''})` : '';
      failure = `${service} exited${code === undefined || Number.isNaN(code) ? '' : ` with code ${code}`} after ${seconds(ranMs)}${oom}`;
      break;
    }
    let problem: string | undefined;
    if (!health) return;
    if (health.command) {
      const status = state.Health?.Status;
      if (status === 'healthy') return;
      problem = `its health check command reports "${status ?? 'no status'}"`;
    } else if (health.http) {
      const published = inputs.ports.find((p) => p.container === health.http?.port);
      const url = `http://127.0.0.1:${published?.host}${health.http.path}`;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(1000, health.intervalMs)) });
        if (res.status >= 200 && res.status < 300) return;
        problem = `GET ${health.http.path} answered ${res.status}`;
      } catch (err) {
        problem = `GET ${health.http.path} failed: ${(err as Error).message}`;
      }
    }
    if (Date.now() > deadline) {
      failure = `${service} did not become healthy within ${Math.round(timeoutMs / 1000)}s: ${problem ?? 'not checked yet'}`;
      break;
    }
    // While waiting for start-up, look often: a check costs one local request or inspect.
    await sleep(Math.min(health.intervalMs, 200));
  }
  const logs = maskSecrets(await containerLogsTail(container, 20), inputs);
  throw new Error(maskSecrets(failure, inputs) + (logs ? `\nlast log lines of ${service}:\n${logs}` : `\n${service} wrote no log lines`));
}

async function removeContainer(docker: Dockerode, idOrName: string): Promise<void> {
  try {
    await docker.getContainer(idOrName).remove({ force: true, v: false });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

async function createContainer(inputs: ContainerInputs): Promise<{ id: string; outs: ContainerInputs & { containerId: string } }> {
  const docker = dockerClient(inputs.dockerHost);
  // A container of this name left by an interrupted run is replaced; anything else is a clash.
  try {
    const existing = await docker.getContainer(inputs.name).inspect();
    if (!sameLabels(existing.Config.Labels, inputs.labels)) {
      throw new Error(`a Docker container named ${inputs.name} already exists and belongs to something else (another Slipway state folder, or not Slipway); remove it, or use that state (SLIPWAY_HOME)`);
    }
    await removeContainer(docker, existing.Id);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of inputs.ports) {
    exposed[`${p.container}/tcp`] = {};
    bindings[`${p.container}/tcp`] = [{ HostIp: '127.0.0.1', HostPort: String(p.host) }];
  }
  const health = inputs.health;
  const healthcheck = health?.command
    ? {
        Test: ['CMD', ...health.command],
        Interval: health.intervalMs * 1e6,
        Timeout: Math.max(health.intervalMs, 5000) * 1e6,
        Retries: 3,
        StartPeriod: health.timeoutMs * 1e6,
        StartInterval: health.intervalMs * 1e6,
      }
    : undefined;
  const container = await docker.createContainer({
    name: inputs.name,
    Image: inputs.image,
    Cmd: inputs.command,
    Env: inputs.env,
    Labels: inputs.labels,
    ExposedPorts: exposed,
    Healthcheck: healthcheck,
    HostConfig: {
      PortBindings: bindings,
      NetworkMode: inputs.network,
      Mounts: inputs.mounts.map((m) => ({ Type: 'volume' as const, Source: m.volume, Target: m.target })),
      NanoCpus: inputs.cpus ? Math.round(inputs.cpus * 1e9) : undefined,
      Memory: inputs.memoryBytes,
      RestartPolicy: { Name: 'unless-stopped' },
      Init: true,
    },
    NetworkingConfig: { EndpointsConfig: { [inputs.network]: { Aliases: inputs.aliases } } },
  });
  const life = await watchLifecycle(docker, container.id);
  const startedAt = Date.now();
  try {
    await container.start();
    await waitHealthy(docker, inputs, container.id, startedAt, life);
  } catch (err) {
    // Never leave a half-made container behind: the failed create is not recorded in state.
    await removeContainer(docker, container.id);
    throw err;
  } finally {
    life.close();
  }
  return { id: container.id, outs: { ...inputs, containerId: container.id } };
}

function envMapOf(list: string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of list ?? []) {
    const i = e.indexOf('=');
    if (i > 0) m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

/**
 * Reads the real container into the state (accepting drift): its id (a container recreated
 * by hand under the same name is adopted), image, env (less what its image sets), published
 * ports and limits. A container that is gone leaves the state, so the next `up` recreates it.
 */
async function readContainer(id: string, props: ContainerInputs & { containerId?: string }) {
  const docker = dockerClient(props.dockerHost);
  let info: Dockerode.ContainerInspectInfo | undefined;
  for (const ref of [id, props.name]) {
    try {
      info = await docker.getContainer(ref).inspect();
      break;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  if (!info) return { id: '', props: {} };
  let imageEnv = new Map<string, string>();
  try {
    imageEnv = envMapOf((await docker.getImage(info.Image).inspect()).Config?.Env);
  } catch {
    // the image is gone: keep every variable
  }
  const env = [...envMapOf(info.Config.Env)].filter(([k, v]) => imageEnv.get(k) !== v).map(([k, v]) => `${k}=${v}`);
  const ports: Array<{ container: number; host: number }> = [];
  for (const [key, binds] of Object.entries(info.HostConfig.PortBindings ?? {})) {
    for (const b of (binds as Array<{ HostPort?: string }> | null) ?? []) ports.push({ container: Number(key.split('/')[0]), host: Number(b.HostPort) });
  }
  const outs = {
    ...props,
    containerId: info.Id,
    image: info.Image,
    env,
    ports,
    memoryBytes: info.HostConfig.Memory || undefined,
    cpus: info.HostConfig.NanoCpus ? info.HostConfig.NanoCpus / 1e9 : undefined,
  };
  // The state's inputs become what runs, so the next diff compares the spec with reality.
  const { containerId: _id, ...inputs } = outs;
  return { id: info.Id, props: outs, inputs };
}

async function readByName(id: string, props: NetworkInputs | VolumeInputs) {
  const docker = dockerClient(props.dockerHost);
  try {
    if (props.kind === 'network') await docker.getNetwork(id).inspect();
    else await docker.getVolume(props.name).inspect();
    return { id, props };
  } catch (err) {
    if (isNotFound(err)) return { id: '', props: {} };
    throw err;
  }
}

async function deleteContainer(id: string, props: ContainerInputs): Promise<void> {
  const docker = dockerClient(props.dockerHost);
  try {
    await docker.getContainer(id).stop({ t: 10 });
  } catch {
    // already stopped or gone
  }
  await removeContainer(docker, id);
  // An image a rebuild left untagged stays until the `up` succeeds (then the worker prunes it):
  // if the up fails, what ran before can be brought back from it.
}

const CONTAINER_REPLACE_KEYS = [
  'dockerHost', 'name', 'image', 'command', 'env', 'ports', 'network', 'aliases', 'mounts', 'health', 'cpus', 'memoryBytes', 'labels',
];

const containerProvider = {
  async create(inputs: ContainerInputs) {
    return createContainer(inputs);
  },
  async diff(_id: string, olds: ContainerInputs, news: ContainerInputs) {
    return diffBy({ ...olds }, { ...news }, CONTAINER_REPLACE_KEYS, ['providerVersion', 'imageRef', 'secrets']);
  },
  async update(id: string, olds: ContainerInputs & { containerId: string }, news: ContainerInputs) {
    return { outs: { ...news, containerId: olds.containerId ?? id } };
  },
  async delete(id: string, props: ContainerInputs) {
    await deleteContainer(id, props);
  },
  async read(id: string, props: ContainerInputs) {
    return readContainer(id, props);
  },
};

// ---------- generated secret ----------

export interface PasswordInputs {
  kind: 'password';
  providerVersion: number;
  length: number;
}

const passwordProvider = {
  async create(inputs: PasswordInputs) {
    const crypto = require('node:crypto');
    const value: string = crypto.randomBytes(inputs.length).toString('base64url').slice(0, inputs.length);
    return { id: crypto.randomUUID(), outs: { ...inputs, result: value } };
  },
  async diff(_id: string, olds: PasswordInputs, news: PasswordInputs) {
    return diffBy({ ...olds }, { ...news }, ['length'], ['providerVersion']);
  },
  async update(_id: string, olds: PasswordInputs & { result: string }, news: PasswordInputs) {
    return { outs: { ...news, result: olds.result } };
  },
};

// ---------- the one provider ----------

type AnyInputs = NetworkInputs | VolumeInputs | ImageInputs | ContainerInputs | PasswordInputs;
interface KindProvider {
  create(inputs: never): Promise<{ id: string; outs: object }>;
  diff(id: string, olds: never, news: never): Promise<DiffResult>;
  update(id: string, olds: never, news: never): Promise<{ outs: object }>;
  delete?(id: string, props: never): Promise<void>;
  read?(id: string, props: never): Promise<{ id: string; props: object; inputs?: object }>;
}

function providerFor(kind: ResourceKind): KindProvider {
  const byKind: Record<ResourceKind, KindProvider> = {
    network: networkProvider,
    volume: volumeProvider,
    image: imageProvider,
    container: containerProvider,
    password: passwordProvider,
  };
  const provider = byKind[kind];
  if (!provider) throw new Error(`unknown Slipway resource kind "${kind}"`);
  return provider;
}

export const slipwayProvider = {
  async create(inputs: AnyInputs) {
    return providerFor(inputs.kind).create(inputs as never);
  },
  async diff(id: string, olds: AnyInputs, news: AnyInputs) {
    if (olds.kind !== news.kind) return { changes: true, replaces: ['kind'], deleteBeforeReplace: true };
    return providerFor(news.kind).diff(id, olds as never, news as never);
  },
  async update(id: string, olds: AnyInputs, news: AnyInputs) {
    return providerFor(news.kind).update(id, olds as never, news as never);
  },
  async delete(id: string, props: AnyInputs) {
    await providerFor(props.kind).delete?.(id, props as never);
  },
  /** Refresh: the real object's properties (kinds without a read keep what the state has). */
  async read(id: string, props: AnyInputs) {
    const provider = providerFor(props.kind);
    return provider.read ? provider.read(id, props as never) : { id, props };
  },
};
