/** The entry of a start-first Swarm service: a small relay service that holds the published host ports and passes each connection to the service's healthy tasks, so old and new tasks can overlap during a rolling update. */
import type * as pulumi from '@pulumi/pulumi';
import { LABEL_ROLE, LABEL_SERVICE } from '../naming';
import type { SwarmStage } from '../spec/types';
import type { SwarmServiceInputs } from '../docker/provider';

/** The Swarm service an entry's task relays to (its tasks carry the environment's labels too, with the role `entry`, so its host ports count as the environment's own while `list` and `status` leave it out). */
export const LABEL_ENTRY_OF = 'dev.slipway.entry-of';

/**
 * Whether a service of a Swarm stage is reached through an entry: under `start-first`, a new task
 * starts while the old one still runs, and two tasks on one node cannot both publish one host
 * port (Swarm's routing mesh, which could, needs IPVS in the engine's kernel).
 */
export function needsEntry(swarm: SwarmStage, published: Array<{ container: number; host: number }>): boolean {
  return swarm.rollout.order === 'start-first' && published.length > 0;
}

/**
 * The relay's command: busybox `nc` listening on each port, running `nc <service> <port>` per
 * connection. The service publishes with `dnsrr`, so its name resolves to its tasks' addresses,
 * and Docker lists a task there only once its health check passes and drops it before stopping it.
 */
export function entryCommand(service: string, ports: number[]): string[] {
  const relays = ports.map((p) => `nc -ll -p ${p} -e nc ${service} ${p} &`).join(' ');
  return ['sh', '-c', `${relays} wait`];
}

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** The entry's Swarm service: the stage's placement, one task, stopped before its replacement starts (it holds the host ports). */
export function entryInputs(
  base: { providerVersion: number; dockerHost: string },
  serviceName: string,
  service: string,
  image: pulumi.Input<string>,
  published: Array<{ container: number; host: number }>,
  network: string,
  swarm: SwarmStage,
  labels: Record<string, string>,
): Omit<Inputs<SwarmServiceInputs>, 'kind'> {
  return {
    ...base,
    name: `${serviceName}-entry`,
    image,
    command: entryCommand(
      service,
      published.map((p) => p.container),
    ),
    env: [],
    ports: published,
    network,
    aliases: [`${service}-entry`],
    replicas: 1,
    placement: swarm.placement,
    rollout: { ...swarm.rollout, order: 'stop-first' },
    labels: { ...labels, [LABEL_SERVICE]: service, [LABEL_ROLE]: 'entry' },
    taskLabels: { ...labels, [LABEL_SERVICE]: service, [LABEL_ROLE]: 'entry', [LABEL_ENTRY_OF]: serviceName },
  };
}
