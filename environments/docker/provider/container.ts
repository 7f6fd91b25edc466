/** The container kind of Slipway's dynamic provider: create (waiting for health), replace, delete and read back. Serialized into Pulumi's state with the provider (see ../provider.ts): npm packages and Node  modules only through `require()` inside function bodies. */
import type * as Dockerode from 'dockerode';
import { dockerClient } from '../endpoint';
import { waitCompleted, waitHealthy, watchLifecycle } from './health';
import { SETTLED_CHECK_MS } from './health-command';
import { diffBy, isNotFound, removeContainer, sameLabels, type Labels } from './shared';

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
  /** Overrides of the image's ENTRYPOINT (its CMD then does not apply), USER and WORKDIR. */
  entrypoint?: string[];
  user?: string;
  workingDir?: string;
  env: string[];
  /** containerPort -> host port on 127.0.0.1 */
  ports: Array<{ container: number; host: number }>;
  network: string;
  aliases: string[];
  /** A volume by name, or (with `bind`) a host path inside the project; `readOnly` mounts it read-only. */
  mounts: Array<{ volume: string; target: string; bind?: boolean; readOnly?: boolean }>;
  health?: ContainerHealth;
  /** A one-off task: it must exit with code 0 within `timeoutMs`; it is not restarted. */
  job?: { timeoutMs: number };
  /** On a remote engine: the image that runs the HTTP health check inside it (see ./probe.ts). */
  probeImage?: string;
  /** Where ports are published when not 127.0.0.1 (an engine on another host: all its interfaces). */
  bindAddress?: string;
  cpus?: number;
  memoryBytes?: number;
  labels: Labels;
  /**
   * Every secret value of the environment (database passwords and URLs), a Pulumi secret: masked
   * in the log lines a failed create reports.
   */
  secrets?: string[];
}

async function createContainer(
  inputs: ContainerInputs,
): Promise<{ id: string; outs: ContainerInputs & { containerId: string } }> {
  const docker = dockerClient(inputs.dockerHost);
  // A container of this name left by an interrupted run is replaced; anything else is a clash.
  try {
    const existing = await docker.getContainer(inputs.name).inspect();
    if (!sameLabels(existing.Config.Labels, inputs.labels)) {
      throw new Error(
        `a Docker container named ${inputs.name} already exists and belongs to something else (another Slipway state folder, or not Slipway); remove it, or use that state (SLIPWAY_HOME)`,
      );
    }
    await removeContainer(docker, existing.Id);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of inputs.ports) {
    exposed[`${p.container}/tcp`] = {};
    bindings[`${p.container}/tcp`] = [{ HostIp: inputs.bindAddress ?? '127.0.0.1', HostPort: String(p.host) }];
  }
  const health = inputs.health;
  const healthcheck = health?.command
    ? {
        Test: ['CMD', ...health.command],
        // Checked every StartInterval until healthy (API 1.44+), then rarely: each check is a process
        // started in the container. Slipway's own wait runs the command itself (./health-command.ts).
        Interval: Math.max(health.intervalMs, SETTLED_CHECK_MS) * 1e6,
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
    ...(inputs.entrypoint ? { Entrypoint: inputs.entrypoint } : {}),
    ...(inputs.user ? { User: inputs.user } : {}),
    ...(inputs.workingDir ? { WorkingDir: inputs.workingDir } : {}),
    Env: inputs.env,
    Labels: inputs.labels,
    ExposedPorts: exposed,
    Healthcheck: healthcheck,
    HostConfig: {
      PortBindings: bindings,
      NetworkMode: inputs.network,
      Mounts: inputs.mounts.map((m) => ({
        Type: m.bind ? ('bind' as const) : ('volume' as const),
        Source: m.volume,
        Target: m.target,
        ReadOnly: !!m.readOnly,
      })),
      NanoCpus: inputs.cpus ? Math.round(inputs.cpus * 1e9) : undefined,
      Memory: inputs.memoryBytes,
      RestartPolicy: inputs.job ? { Name: 'no' } : { Name: 'unless-stopped' },
      Init: true,
    },
    NetworkingConfig: { EndpointsConfig: { [inputs.network]: { Aliases: inputs.aliases } } },
  });
  const life = await watchLifecycle(docker, container.id);
  const startedAt = Date.now();
  try {
    await container.start();
    if (inputs.job) await waitCompleted(docker, inputs, container.id, inputs.job.timeoutMs);
    else await waitHealthy(docker, inputs, container.id, startedAt, life);
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
    for (const b of (binds as Array<{ HostPort?: string }> | null) ?? [])
      ports.push({ container: Number(key.split('/')[0]), host: Number(b.HostPort) });
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

/** Inputs whose change replaces the container (the others are updated in place). */
export const CONTAINER_REPLACE_KEYS = [
  'dockerHost',
  'name',
  'image',
  'command',
  'entrypoint',
  'user',
  'workingDir',
  'env',
  'ports',
  'network',
  'aliases',
  'mounts',
  'health',
  'bindAddress',
  'cpus',
  'memoryBytes',
  'labels',
];

export const containerProvider = {
  async create(inputs: ContainerInputs) {
    return createContainer(inputs);
  },
  async diff(_id: string, olds: ContainerInputs, news: ContainerInputs) {
    return diffBy({ ...olds }, { ...news }, CONTAINER_REPLACE_KEYS, [
      'providerVersion',
      'imageRef',
      'secrets',
      'probeImage',
      // A job's timeout: a new one is for its next run (its labels say whether it is a job).
      'job',
    ]);
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
