/**
 * The Swarm service kind of Slipway's dynamic provider: one service of a Swarm stage, with its
 * replicas, placement, limits and health check; an update is Swarm's rolling update, watched until
 * it completes, and one whose new tasks fail their health check is rolled back by Swarm itself.
 * Serialized into Pulumi's state with the provider (see ../provider.ts): npm packages and Node
 * modules only through `require()` inside function bodies.
 */
import type * as Dockerode from 'dockerode';
import { dockerClient } from '../endpoint';
import type { ContainerHealth } from './container';
import { diffBy, isNotFound, type Labels } from './shared';
import { ensureSecrets, pruneSecrets, secretFileEnv, type SecretRef } from './swarm-secrets';

export interface SwarmRollout {
  order: 'stop-first' | 'start-first';
  parallelism: number;
  delayMs: number;
  monitorMs: number;
}

export interface SwarmServiceInputs {
  kind: 'swarm-service';
  providerVersion: number;
  dockerHost: string;
  name: string;
  image: string;
  command?: string[];
  /** Overrides of the image's ENTRYPOINT (its CMD then does not apply), USER and WORKDIR. */
  entrypoint?: string[];
  user?: string;
  workingDir?: string;
  env: string[];
  /** `VAR=value` entries whose values are secrets: Swarm secrets mounted at /run/secrets/VAR, the env naming them as `VAR_FILE`. */
  secretEnv?: string[];
  /**
   * Variables of `secretEnv` the task's process also gets as themselves (`DATABASE_URL`, for an
   * app that reads no `_FILE`): `/bin/sh` in the image reads each from its secret's file, then
   * execs the image's entrypoint and command, so the value still stands in no spec.
   */
  envFromSecrets?: string[];
  /** Named volumes of the node the task runs on (a placement constraint keeps it there). */
  mounts?: Array<{ volume: string; target: string; readOnly?: boolean }>;
  /** Published in host mode on every node that runs a task. */
  ports: Array<{ container: number; host: number }>;
  /** `dnsrr`: its name resolves to its healthy tasks' addresses (what a stage's entry relays to); Swarm's default (a virtual IP) otherwise. */
  endpointMode?: 'dnsrr';
  network: string;
  aliases: string[];
  health?: ContainerHealth;
  cpus?: number;
  memoryBytes?: number;
  replicas: number;
  placement: string[];
  rollout: SwarmRollout;
  /** The service's labels; `taskLabels` go on each task's container (Slipway's environment labels). */
  labels: Labels;
  taskLabels: Labels;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A shell word in single quotes. */
function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A GET in Node that exits 0 on a 2xx answer within 2 s (for Node images with neither curl nor nc). */
function nodeGet(url: string): string {
  const done = 'process.exit(r.statusCode>=200&&r.statusCode<300?0:1)';
  return `require("http").get(${JSON.stringify(url)},(r)=>${done}).on("error",()=>process.exit(1)).setTimeout(2000,()=>process.exit(1))`;
}

/**
 * Docker's health check for a task: a command as given; an HTTP GET through curl when the image
 * has it, else through `nc` (busybox), else through `node`, on the task's own loopback.
 */
export function swarmHealthcheck(health: ContainerHealth | undefined): object | undefined {
  if (!health) return undefined;
  const test = health.command
    ? ['CMD', ...health.command]
    : [
        'CMD-SHELL',
        `curl -fsS -o /dev/null ${quote(`http://127.0.0.1:${health.http!.port}${health.http!.path}`)} 2>/dev/null || ` +
          `printf 'GET %s HTTP/1.0\\r\\n\\r\\n' ${quote(health.http!.path)} | nc -w 2 127.0.0.1 ${health.http!.port} | head -n 1 | grep -q '^HTTP/1\\.. 2' || ` +
          `node -e ${quote(nodeGet(`http://127.0.0.1:${health.http!.port}${health.http!.path}`))} 2>/dev/null`,
      ];
  return {
    Test: test,
    Interval: Math.max(health.intervalMs, 1000) * 1e6,
    Timeout: 3000 * 1e6,
    Retries: 3,
    StartPeriod: health.timeoutMs * 1e6,
  };
}

/** The label holding a hash of the spec Slipway gave a service: Swarm's rollback brings the label back with the spec. */
const SPEC_LABEL = 'dev.slipway.spec';

/** The service's spec, labelled with its own hash (what an update compares to skip a spec the service already has). */
function serviceSpec(inputs: SwarmServiceInputs, secrets: SecretRef[], launch?: Launch): Record<string, unknown> {
  const spec = bareSpec(inputs, secrets, launch);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const crypto = require('node:crypto');
  const hash: string = crypto.createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
  return { ...spec, Labels: { ...inputs.labels, [SPEC_LABEL]: hash } };
}

/** The task's process when it reads variables from secrets first: the shell's command, then the image's own. */
interface Launch {
  Command: string[];
  Args: string[];
}

/**
 * The launch of a service with `envFromSecrets`: `sh -c 'export VAR="$(cat /run/secrets/VAR)"; exec "$@"'`
 * before the image's entrypoint and command (or the service's `command`), as the image declares them.
 */
async function launchOf(docker: Dockerode, inputs: SwarmServiceInputs): Promise<Launch | undefined> {
  const vars = inputs.envFromSecrets ?? [];
  if (vars.length === 0) return undefined;
  const image = (await docker.getImage(inputs.image).inspect()) as {
    Config?: { Entrypoint?: string[] | null; Cmd?: string[] | null };
  };
  const { entrypoint, args } = taskProcess(inputs, image.Config ?? {});
  return secretLaunch(vars, entrypoint, args);
}

/**
 * What a task runs, as Docker decides it: the service's own entrypoint replaces the image's, and
 * with it the image's CMD (the service's command gives the arguments); else the image's
 * entrypoint with the service's command, or the image's CMD.
 */
export function taskProcess(
  inputs: Pick<SwarmServiceInputs, 'entrypoint' | 'command'>,
  image: { Entrypoint?: string[] | null; Cmd?: string[] | null },
): { entrypoint: string[]; args: string[] } {
  if (inputs.entrypoint) return { entrypoint: inputs.entrypoint, args: inputs.command ?? [] };
  return { entrypoint: image.Entrypoint ?? [], args: inputs.command ?? image.Cmd ?? [] };
}

/** The shell that exports each variable from its secret's file, then execs `entrypoint` and `args`. */
export function secretLaunch(vars: string[], entrypoint: string[], args: string[]): Launch {
  // `VAR_FILE` goes: an image that reads either refuses both (the official postgres image does).
  const exports = vars.map((v) => `export ${v}="$(cat /run/secrets/${v})"; unset ${v}_FILE`).join('; ');
  return { Command: ['/bin/sh', '-c', `${exports}; exec "$@"`, 'sh'], Args: [...entrypoint, ...args] };
}

function bareSpec(inputs: SwarmServiceInputs, secrets: SecretRef[], launch?: Launch): Record<string, unknown> {
  const r = inputs.rollout;
  const config = { Parallelism: r.parallelism, Delay: r.delayMs * 1e6, Monitor: r.monitorMs * 1e6, Order: r.order };
  return {
    Name: inputs.name,
    Labels: inputs.labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: inputs.image,
        ...(launch ?? {
          ...(inputs.entrypoint ? { Command: inputs.entrypoint } : {}),
          ...(inputs.command ? { Args: inputs.command } : {}),
        }),
        ...(inputs.user ? { User: inputs.user } : {}),
        ...(inputs.workingDir ? { Dir: inputs.workingDir } : {}),
        Env: [...inputs.env, ...secretFileEnv(inputs.secretEnv)],
        ...(secrets.length ? { Secrets: secrets } : {}),
        ...(inputs.mounts?.length
          ? {
              Mounts: inputs.mounts.map((m) => ({
                Type: 'volume',
                Source: m.volume,
                Target: m.target,
                ...(m.readOnly ? { ReadOnly: true } : {}),
              })),
            }
          : {}),
        Labels: inputs.taskLabels,
        Healthcheck: swarmHealthcheck(inputs.health),
        Init: true,
      },
      Resources: {
        Limits: {
          ...(inputs.cpus ? { NanoCPUs: Math.round(inputs.cpus * 1e9) } : {}),
          ...(inputs.memoryBytes ? { MemoryBytes: inputs.memoryBytes } : {}),
        },
      },
      Placement: { Constraints: inputs.placement },
      RestartPolicy: { Condition: 'any', Delay: 1e9 },
      Networks: [{ Target: inputs.network, Aliases: inputs.aliases }],
    },
    Mode: { Replicated: { Replicas: inputs.replicas } },
    UpdateConfig: { ...config, FailureAction: 'rollback', MaxFailureRatio: 0 },
    RollbackConfig: { ...config, FailureAction: 'pause', MaxFailureRatio: 0 },
    EndpointSpec: {
      ...(inputs.endpointMode ? { Mode: inputs.endpointMode } : {}),
      Ports: inputs.ports.map((p) => ({
        Protocol: 'tcp',
        TargetPort: p.container,
        PublishedPort: p.host,
        PublishMode: 'host',
      })),
    },
  };
}

/**
 * How long a rollout may take: each batch's start-up (its health check's timeout), delay and
 * monitor, twice over (the update, then Swarm's rollback of it), plus two minutes for the engine.
 */
function rolloutTimeoutMs(inputs: SwarmServiceInputs): number {
  const batches = Math.ceil(inputs.replicas / Math.max(1, inputs.rollout.parallelism));
  const perBatch = (inputs.health?.timeoutMs ?? 30000) + inputs.rollout.monitorMs + inputs.rollout.delayMs;
  return 120000 + 4 * batches * perBatch;
}

/** Waits until `replicas` tasks of the service run (with a health check, only once healthy). */
async function waitRunning(docker: Dockerode, inputs: SwarmServiceInputs): Promise<void> {
  const deadline = Date.now() + rolloutTimeoutMs(inputs);
  let last: string;
  for (;;) {
    const tasks = (await docker.listTasks({
      filters: { service: [inputs.name], 'desired-state': ['running'] },
    })) as Array<{ Status?: { State?: string; Err?: string; Message?: string } }>;
    const running = tasks.filter((t) => t.Status?.State === 'running').length;
    if (running >= inputs.replicas) return;
    const failed = (await docker.listTasks({ filters: { service: [inputs.name] } })) as Array<{
      Status?: { State?: string; Err?: string };
    }>;
    const err = failed.map((t) => t.Status?.Err).find((e) => !!e);
    last = `${running} of ${inputs.replicas} tasks running${err ? `; a task failed: ${err}` : ''}`;
    if (Date.now() > deadline)
      throw new Error(
        `Swarm service ${inputs.name} did not become healthy within ${Math.round(rolloutTimeoutMs(inputs) / 1000)}s: ${last}`,
      );
    await sleep(500);
  }
}

async function createService(inputs: SwarmServiceInputs) {
  const docker = dockerClient(inputs.dockerHost);
  // One left by an interrupted run (same labels) is replaced.
  try {
    const old = await docker.getService(inputs.name).inspect();
    if (old.Spec?.Labels?.['dev.slipway.env'] !== inputs.labels['dev.slipway.env'])
      throw new Error(`a Swarm service named ${inputs.name} already exists and belongs to something else; remove it`);
    await removeService(docker, inputs.name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const secrets = await ensureSecrets(docker, inputs.name, inputs.secretEnv, inputs.labels);
  const launch = await launchOf(docker, inputs);
  const created = (await docker.createService(serviceSpec(inputs, secrets, launch) as never)) as unknown as {
    id: string;
  };
  try {
    await waitRunning(docker, inputs);
  } catch (err) {
    await removeService(docker, created.id, inputs.name);
    await pruneSecrets(docker, inputs.name);
    throw err;
  }
  return { id: created.id, outs: { ...inputs, serviceId: created.id } };
}

/**
 * Swarm's rolling update to the new spec, watched until Swarm says how it ended: `completed`, or
 * rolled back (the new tasks failed their health check within the monitor period), which fails
 * the update with Swarm's own message while the service runs the previous release again.
 */
async function updateService(id: string, news: SwarmServiceInputs) {
  const docker = dockerClient(news.dockerHost);
  const service = docker.getService(id);
  const before = await service.inspect();
  const startedAfter = Date.now() - 1000;
  const secrets = await ensureSecrets(docker, news.name, news.secretEnv, news.labels);
  const spec = serviceSpec(news, secrets, await launchOf(docker, news));
  // It runs this spec already (Swarm's own rollback brought it back): an update would only clear
  // the status of that rollback.
  if (before.Spec?.Labels?.[SPEC_LABEL] === (spec.Labels as Labels)[SPEC_LABEL]) {
    await waitRunning(docker, news);
    return { outs: { ...news, serviceId: id } };
  }
  await service.update({ ...spec, version: before.Version.Index } as never);
  const deadline = Date.now() + rolloutTimeoutMs(news);
  // The same tasks as before (only the service's own labels changed, or Swarm's rollback already
  // brought it here): Swarm replaces nothing and reports no new update.
  const after = await service.inspect();
  const sameTasks = (info: typeof before) =>
    JSON.stringify([info.Spec?.TaskTemplate, info.Spec?.Mode, info.Spec?.EndpointSpec]);
  for (;;) {
    if (sameTasks(after) === sameTasks(before)) break;
    await sleep(500);
    const info = await service.inspect();
    const status = info.UpdateStatus as { State?: string; StartedAt?: string; Message?: string } | undefined;
    const current = status?.StartedAt && Date.parse(status.StartedAt) >= startedAfter;
    if (current && status?.State === 'completed') break;
    if (current && /^rollback_/.test(status?.State ?? '') && status?.State !== 'rollback_started') {
      throw new Error(
        `Swarm rolled ${news.name} back to the release it ran before (${status?.State}): ${status?.Message ?? 'its new tasks failed'}`,
      );
    }
    if (current && status?.State === 'paused')
      throw new Error(`Swarm paused the update of ${news.name}: ${status.Message ?? 'a task failed'}`);
    // No update status at all: nothing Swarm had to replace.
    if (!status && Date.now() - startedAfter > 3000) break;
    if (Date.now() > deadline)
      throw new Error(
        `the rolling update of ${news.name} did not finish within ${Math.round(rolloutTimeoutMs(news) / 1000)}s (${status?.State ?? 'no status'})`,
      );
  }
  await waitRunning(docker, news);
  await pruneSecrets(docker, news.name);
  return { outs: { ...news, serviceId: id } };
}

async function removeService(docker: Dockerode, id: string, name = id): Promise<void> {
  // Already gone (removed by hand, or made again under its name by a reapply): only its own
  // task containers are waited for, not those of a service now bearing the name.
  let gone = false;
  try {
    await docker.getService(id).remove();
  } catch (err) {
    if (!isNotFound(err)) throw err;
    gone = true;
  }
  // Its task containers go after it: the network they are on is removed next.
  for (let i = 0; i < 120; i++) {
    const left = await docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.id=${id}`] } });
    const byName = gone
      ? []
      : await docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name=${name}`] } });
    if (left.length === 0 && byName.length === 0) return;
    await sleep(500);
  }
}

const SERVICE_REPLACE_KEYS = ['dockerHost', 'name', 'network'];

export const swarmServiceProvider = {
  async create(inputs: SwarmServiceInputs) {
    return createService(inputs);
  },
  async diff(_id: string, olds: SwarmServiceInputs, news: SwarmServiceInputs) {
    const d = diffBy({ ...olds }, { ...news }, SERVICE_REPLACE_KEYS, [
      'image',
      'command',
      'entrypoint',
      'user',
      'workingDir',
      'env',
      'secretEnv',
      'envFromSecrets',
      'mounts',
      'ports',
      'endpointMode',
      'aliases',
      'health',
      'cpus',
      'memoryBytes',
      'replicas',
      'placement',
      'rollout',
      'labels',
      'taskLabels',
      'providerVersion',
    ]);
    return d;
  },
  async update(id: string, _olds: SwarmServiceInputs, news: SwarmServiceInputs) {
    return updateService(id, news);
  },
  async delete(id: string, props: SwarmServiceInputs) {
    const docker = dockerClient(props.dockerHost);
    await removeService(docker, id, props.name);
    await pruneSecrets(docker, props.name);
  },
};
