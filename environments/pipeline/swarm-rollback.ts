/** `slipway rollback` on a Swarm stage through Swarm's own rollback (`docker service update --rollback`): each service returns to the spec it ran before, with the stage's rollback settings. */
import type Docker from 'dockerode';
import { connectDocker } from '../docker/engine';
import type { OperationOptions } from '../events';
import { LABEL_ENV, LABEL_PROJECT, LABEL_ROLE, LABEL_SERVICE, stageEnvName } from '../naming';
import type { StageSpec } from '../spec/types';
import type { Release } from './releases';
import type { ServiceRollout } from './swarm-rollout';

interface SwarmServiceInfo {
  ID: string;
  Version: { Index: number };
  Spec: { Name: string; Labels?: Record<string, string>; TaskTemplate?: { ContainerSpec?: { Image?: string } } };
  PreviousSpec?: { TaskTemplate?: { ContainerSpec?: { Image?: string } } };
  UpdateStatus?: { State?: string; Message?: string; StartedAt?: string; CompletedAt?: string };
}

const imageOf = (spec: SwarmServiceInfo['PreviousSpec']) => spec?.TaskTemplate?.ContainerSpec?.Image;

/**
 * The stage's services when Swarm's rollback returns each to the target release: every service of
 * both releases is there, runs the current release's image, and ran the target's before.
 * Undefined otherwise (the rollback goes further back, or the services changed): then Slipway
 * deploys the target release itself.
 */
async function rollbackable(
  docker: Docker,
  project: string,
  stage: StageSpec,
  current: Release,
  target: Release,
): Promise<SwarmServiceInfo[] | undefined> {
  const listed = (await docker.listServices({
    filters: { label: [`${LABEL_PROJECT}=${project}`, `${LABEL_ENV}=${stageEnvName(stage.name)}`] },
  })) as unknown as SwarmServiceInfo[];
  // Entries follow their services; databases are left as they run (their data stays with them).
  const services = listed.filter((s) => !['entry', 'database'].includes(s.Spec.Labels?.[LABEL_ROLE] ?? ''));
  const names = (r: Release) => r.services.map((s) => s.name).sort();
  if (names(current).join() !== names(target).join()) return undefined;
  if (JSON.stringify(current.databases) !== JSON.stringify(target.databases)) return undefined;
  if (
    services
      .map((s) => s.Spec.Labels?.[LABEL_SERVICE])
      .sort()
      .join() !== names(target).join()
  )
    return undefined;
  for (const s of services) {
    const name = s.Spec.Labels![LABEL_SERVICE]!;
    if (!s.PreviousSpec) return undefined;
    const [now, before] = [current.images[name], target.images[name]];
    if (now !== undefined && imageOf(s.Spec) !== now) return undefined;
    if (before !== undefined && imageOf(s.PreviousSpec) !== before) return undefined;
    if (now === undefined && imageOf(s.Spec) !== imageOf(s.PreviousSpec)) return undefined;
  }
  return services;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Rolls each Swarm service of the stage back to its previous spec and waits until Swarm says
 * `rollback_completed`. Returns how each ended, or undefined when Swarm's rollback does not lead
 * to the target release. A rollback Swarm pauses fails with Swarm's message.
 */
export async function swarmRollback(
  project: string,
  stage: StageSpec,
  current: Release,
  target: Release,
  opts: OperationOptions,
  timeoutMs = 10 * 60_000,
): Promise<ServiceRollout[] | undefined> {
  if (!stage.swarm) return undefined;
  const docker = connectDocker(stage.dockerHost ?? '');
  const services = await rollbackable(docker, project, stage, current, target);
  if (!services) return undefined;
  const out: ServiceRollout[] = [];
  for (const s of services) {
    const name = s.Spec.Labels![LABEL_SERVICE]!;
    opts.onEvent?.({ type: 'step', message: `Swarm rolls ${name} back to the spec it ran before` });
    const startedAfter = Date.now() - 1000;
    const service = docker.getService(s.ID);
    await service.update({ _query: { version: s.Version.Index, rollback: 'previous' }, _body: s.Spec } as never);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await sleep(500);
      const status = ((await service.inspect()) as SwarmServiceInfo).UpdateStatus;
      const mine = status?.StartedAt !== undefined && Date.parse(status.StartedAt) >= startedAfter;
      if (mine && status?.State === 'rollback_completed') {
        out.push({
          service: name,
          state: status.State,
          message: status.Message,
          startedAt: status.StartedAt,
          completedAt: status.CompletedAt,
          automatic: false,
        });
        break;
      }
      if (mine && status?.State === 'rollback_paused')
        throw new Error(`Swarm paused the rollback of ${name}: ${status.Message ?? 'a task failed'}`);
      if (Date.now() > deadline)
        throw new Error(`Swarm's rollback of ${name} did not finish within ${Math.round(timeoutMs / 1000)}s`);
    }
  }
  return out;
}

/** Swarm's rollback when it leads to the target release; a failed one is reported and left to the deploy that follows. */
export async function swarmRollbackOrNot(
  project: string,
  stage: StageSpec,
  current: Release,
  target: Release,
  opts: OperationOptions,
): Promise<ServiceRollout[] | undefined> {
  try {
    return await swarmRollback(project, stage, current, target, opts);
  } catch (err) {
    opts.onEvent?.({
      type: 'step',
      message: `Swarm's own rollback failed (${(err as Error).message}); deploying release ${target.number} instead`,
    });
    return undefined;
  }
}
