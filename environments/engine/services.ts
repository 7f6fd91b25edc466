/** Operations on one service's container of an environment: its logs (secrets hidden), its CPU and memory use, a restart that waits for health. */
import type Docker from 'dockerode';
import { SlipwayError } from '../errors';
import { envNames } from '../naming';
import { inspectRecord } from '../records';
import { environmentContainers } from '../docker/engine';
import { demuxDockerLog, demuxFrames, lineSplitter } from '../docker/logs';
import type { EngineContext } from './context';
import { probeHttpHealth } from './status';
import { environmentSecrets, secretScrubber } from './secrets';
import type { LogOptions, ServiceUsage } from './types';

export { environmentSecrets } from './secrets';

/**
 * A service's container logs (stdout and stderr), line by line, with the environment's secrets
 * and share tokens shown as `***`; with `follow`, until the signal aborts.
 */
export async function logs(
  ctx: EngineContext,
  project: string,
  branch: string,
  service: string,
  opts: LogOptions,
): Promise<void> {
  const container = await serviceContainer(ctx, project, branch, service);
  const stream = (await container.logs({
    follow: opts.follow ?? false,
    stdout: true,
    stderr: true,
    tail: opts.tail ?? 100,
  } as never)) as unknown as NodeJS.ReadableStream | Buffer;
  const scrub = secretScrubber(await environmentSecrets(ctx, project, branch));
  const split = lineSplitter((line) => opts.onLine(scrub(line)));
  if (Buffer.isBuffer(stream)) {
    split(demuxDockerLog(stream));
    split(undefined);
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const stop = () => {
      (stream as NodeJS.ReadableStream & { destroy?(): void }).destroy?.();
      resolve();
    };
    if (opts.signal?.aborted) return stop();
    opts.signal?.addEventListener('abort', stop, { once: true });
    stream.on('close', () => opts.signal?.removeEventListener('abort', stop));
    let pending: Buffer = Buffer.alloc(0);
    stream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      const { text, rest } = demuxFrames(pending);
      pending = rest;
      split(text);
    });
    stream.on('end', () => {
      split(undefined);
      resolve();
    });
    stream.on('error', (err: Error) => (opts.signal?.aborted ? resolve() : reject(err)));
  });
}

/**
 * CPU and memory each service's container uses now, against its limits (one Docker stats
 * sample per container). CPU in cores; memory in bytes; a limit is absent when there is none.
 */
export async function usage(ctx: EngineContext, project: string, branch: string): Promise<ServiceUsage[]> {
  const names = envNames(project, branch);
  const docker = await ctx.reachable(endpointOf(ctx, names.project, names.env));
  const services = await environmentContainers(docker, { project: names.project, env: names.env, state: ctx.stateId });
  return Promise.all(
    services
      .filter((s) => s.state === 'running')
      .map(async (s) => {
        const c = docker.getContainer(s.containerId);
        const [stats, info] = await Promise.all([
          c.stats({ stream: false }) as unknown as Promise<Docker.ContainerStats>,
          c.inspect(),
        ]);
        const cpuDelta = stats.cpu_stats.cpu_usage.total_usage - (stats.precpu_stats.cpu_usage?.total_usage ?? 0);
        const systemDelta = (stats.cpu_stats.system_cpu_usage ?? 0) - (stats.precpu_stats.system_cpu_usage ?? 0);
        const cpus = stats.cpu_stats.online_cpus || 1;
        const cache = (stats.memory_stats.stats as Record<string, number> | undefined)?.inactive_file ?? 0;
        return {
          service: s.service,
          cpu: systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * cpus : 0,
          cpuLimit: info.HostConfig.NanoCpus ? info.HostConfig.NanoCpus / 1e9 : undefined,
          memory: Math.max(0, (stats.memory_stats.usage ?? 0) - cache),
          memoryLimit: info.HostConfig.Memory || undefined,
        };
      }),
  );
}

/**
 * Restarts a service's container (same container, same URL) and waits until it is healthy
 * again by its own health check (up to that check's timeout), so a caller that goes on to use
 * the service finds it answering. Without a health check, or with an HTTP check on an engine
 * whose ports this machine cannot reach, running is enough. The signal stops the wait.
 */
export async function restart(
  ctx: EngineContext,
  project: string,
  branch: string,
  service: string,
  opts: { signal?: AbortSignal } = {},
): Promise<void> {
  const container = await serviceContainer(ctx, project, branch, service);
  await container.restart({ t: 10 });
  const names = envNames(project, branch);
  const record = inspectRecord(ctx.home, names.project, names.env).record;
  const endpoint = record?.dockerHost ?? ctx.dockerHost;
  const docker = await ctx.reachable(record?.dockerHost);
  const check = record?.ran?.services?.find((s) => s.name === service)?.healthcheck;
  // A job runs again: done when it exits with code 0.
  const job = record?.ran?.services?.find((s) => s.name === service)?.job;
  // An HTTP check is probed through the published port here, or from inside another engine.
  const probed = !!check?.command || !!check?.http;
  const deadline = Date.now() + (job?.timeoutMs ?? check?.timeoutMs ?? 30_000);
  let last: string;
  for (;;) {
    if (opts.signal?.aborted)
      throw new SlipwayError(
        'operation-cancelled',
        `Stopped waiting for ${service} to become healthy; it was restarted.`,
      );
    const services = await environmentContainers(docker, {
      project: names.project,
      env: names.env,
      state: ctx.stateId,
    });
    const [state] = await probeHttpHealth(
      record,
      services.filter((s) => s.service === service),
      endpoint,
      docker,
    );
    if (job) {
      if (state?.state === 'completed') return;
      if (state && state.state !== 'running' && state.state !== 'restarting') {
        const info = await docker.getContainer(state.containerId).inspect();
        throw new SlipwayError(
          'health-check-failed',
          `The job ${service} of ${project} / ${branch} ran again and exited with code ${info.State.ExitCode}.`,
          { hint: `Look at its logs: slipway logs --service ${service} --branch "${branch}".` },
        );
      }
    } else if (state?.state === 'running' && (state.health === 'healthy' || (state.health === 'none' && !probed)))
      return;
    last = state ? `it is ${state.state}, health ${state.health}` : 'its container is gone';
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, Math.min(check?.intervalMs ?? 500, 500)));
  }
  throw new SlipwayError(
    'health-check-failed',
    job
      ? `The job ${service} of ${project} / ${branch} ran again but did not finish within ${Math.round(job.timeoutMs / 1000)}s: ${last}.`
      : `Service ${service} of ${project} / ${branch} restarted but did not become healthy within ${Math.round((check?.timeoutMs ?? 30_000) / 1000)}s: ${last}.`,
    {
      hint: `Look at its logs: slipway logs --service ${service} --branch "${branch}".`,
    },
  );
}

async function serviceContainer(
  ctx: EngineContext,
  project: string,
  branch: string,
  service: string,
): Promise<Docker.Container> {
  const names = envNames(project, branch);
  const docker = await ctx.reachable(endpointOf(ctx, names.project, names.env));
  const services = await environmentContainers(docker, { project: names.project, env: names.env, state: ctx.stateId });
  const found = services.find((s) => s.service === service);
  if (!found) {
    throw new SlipwayError('service-not-found', `Service ${service} of ${project} / ${branch} has no container.`, {
      hint: 'Bring the environment up (slipway up) and try again.',
    });
  }
  return docker.getContainer(found.containerId);
}

/** The endpoint an environment runs on, as its record names it (undefined: the engine's own). */
function endpointOf(ctx: EngineContext, project: string, env: string): string | undefined {
  return inspectRecord(ctx.home, project, env).record?.dockerHost;
}
