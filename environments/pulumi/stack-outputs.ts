/** What both Pulumi programs of an environment (containers, and a Swarm stage's services) share: a service's published ports, its URL, and the stack's outputs. */
import type * as pulumi from '@pulumi/pulumi';
import { urlHost } from '../docker/remote';
import type { EnvNames } from '../naming';
import type { PortMap } from './program';

export interface PublishedPort {
  container: number;
  host: number;
}

/** The host port allocated to a container port of a service or database; a missing one is a bug in allocation. */
export function hostPort(ports: PortMap, owner: string, containerPort: number): number {
  const port = ports[owner]?.[String(containerPort)];
  if (port === undefined) throw new Error(`no host port allocated for ${owner}:${containerPort}`);
  return port;
}

/** Each of a service's container ports with the host port it is published on. */
export function publishedPorts(ports: PortMap, owner: string, containerPorts: number[]): PublishedPort[] {
  return containerPorts.map((p) => ({ container: p, host: hostPort(ports, owner, p) }));
}

/** Records a service's URL (its first published port, on the host its engine publishes on). */
export function addUrl(urls: Record<string, string>, service: string, dockerHost: string, published: PublishedPort[]) {
  if (published[0]) urls[service] = `http://${urlHost(dockerHost)}:${published[0].host}`;
}

/** The stack's outputs, as the engine reads them back after an `up`. */
export function stackOutputs(
  names: EnvNames,
  urls: Record<string, string>,
  ports: PortMap,
  images: Record<string, pulumi.Input<string>>,
  containers: Record<string, pulumi.Input<string>>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { project: names.project, env: names.env, branch: names.branch, urls, ports, images, containers, ...extra };
}
