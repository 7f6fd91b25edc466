/**
 * The head start of an `up` that changes a service: a container that the run will certainly
 * replace is stopped while Pulumi's engine starts (as `down` removes an environment ahead of
 * Pulumi's deletes), so Pulumi's delete of it then only removes a stopped container. Stopping a
 * container takes the engine about as long as Pulumi takes to get from its start to that delete.
 *
 * "Certainly replaced": the service's entry in the spec changed only in what its container is
 * made with (each a replace key of the container kind), and nothing has to be built or pulled
 * for it first (same image, same build context), so no build can fail, or take minutes, while it
 * is down. A container the run did not replace after all (the run failed before it, or the new
 * values resolved to the old ones) is started again.
 */
import type Docker from 'dockerode';
import { CONTAINER_REPLACE_KEYS } from '../../docker/provider/container';
import type { EnvRecord } from '../../records';
import type { ServiceSpec, Spec } from '../../spec/types';

/** Fields of a service and the container inputs each becomes (see the program). */
const INPUTS_OF: Record<string, string[]> = {
  command: ['command'],
  entrypoint: ['entrypoint'],
  user: ['user'],
  workingDir: ['workingDir'],
  env: ['env'],
  ports: ['ports'],
  healthcheck: ['health'],
  resources: ['cpus', 'memoryBytes'],
};
/** Those whose change replaces the container: every input it becomes is a replace key of the container kind. */
const REPLACING = new Set(
  Object.keys(INPUTS_OF).filter((field) => INPUTS_OF[field].every((k) => CONTAINER_REPLACE_KEYS.includes(k))),
);

export interface AheadTarget {
  service: string;
  /** The container the last successful `up` made for it. */
  id: string;
}

/** The fields of two entries of a service that differ. */
function changedFields(before: ServiceSpec, after: ServiceSpec): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter(
    (k) =>
      JSON.stringify((before as unknown as Record<string, unknown>)[k]) !==
      JSON.stringify((after as unknown as Record<string, unknown>)[k]),
  );
}

/**
 * The services of `spec` whose containers this `up` will replace, with nothing built or pulled
 * first: compared with what the last successful full `up` ran (`prior.ran`), and with the build
 * contexts' hashes then and now (`contexts`, by service). None after a partial or failed one.
 */
export function replacedAhead(
  prior: EnvRecord | undefined,
  spec: Spec,
  contexts: Record<string, string>,
): AheadTarget[] {
  const applied = prior?.applied;
  if (!applied || applied.fingerprint === 'partial' || !prior?.ran) return [];
  const out: AheadTarget[] = [];
  for (const svc of spec.services) {
    const before = prior.ran.services.find((s) => s.name === svc.name);
    const id = applied.containers[svc.name];
    // A job is not running: it reruns in its turn, after what it depends on.
    if (!before || !id || svc.job || before.job) continue;
    if (svc.build && (!applied.contexts?.[svc.name] || applied.contexts[svc.name] !== contexts[svc.name])) continue;
    const changed = changedFields(before, svc);
    if (changed.length > 0 && changed.every((k) => REPLACING.has(k))) out.push({ service: svc.name, id });
  }
  return out;
}

/** Stops each target's container (the engine's stop timeout, as Pulumi's delete would). Errors are left to Pulumi's delete. */
export async function stopAhead(docker: Docker, targets: AheadTarget[]): Promise<void> {
  await Promise.all(
    targets.map((t) =>
      docker
        .getContainer(t.id)
        .stop({ t: 10 })
        .catch(() => undefined),
    ),
  );
}

/**
 * Starts again each target's container that is still there and stopped: the run did not replace
 * it (it failed first, or found nothing to change). Returns the services started.
 */
export async function restartUnreplaced(docker: Docker, targets: AheadTarget[]): Promise<string[]> {
  const started: string[] = [];
  await Promise.all(
    targets.map(async (t) => {
      const c = docker.getContainer(t.id);
      const info = await c.inspect().catch(() => undefined);
      if (!info || info.State.Running) return;
      await c.start();
      started.push(t.service);
    }),
  );
  return started;
}
