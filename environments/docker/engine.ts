/**
 * The Docker Engine as the core sees it outside Pulumi runs: reachability, what an environment
 * runs now (found by Slipway's labels), host ports already taken, and a final sweep of anything
 * labelled for an environment that is being removed.
 */
import type Docker from 'dockerode';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { SlipwayError } from '../errors';
import { isUp } from '../service-state';
import { timePhase } from '../timings';
import {
  LABEL_BRANCH,
  LABEL_CREATED,
  LABEL_ENV,
  LABEL_OWNER,
  LABEL_PROJECT,
  LABEL_ROLE,
  LABEL_SERVICE,
  LABEL_STATE,
} from '../naming';
import type { LabelledEnvironment } from '../records';
import { isImageGoneOrInUse } from './provider/shared';

export { dockerClient as connectDocker } from './endpoint';

/** The endpoint as people write it: a stage's TLS files (query parameters) shown as "(TLS)". */
export function describeDockerHost(dockerHost: string): string {
  const endpoint = dockerHost || process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  if (!endpoint.startsWith('tcp://') || !endpoint.includes('?')) return endpoint;
  const [base, query] = endpoint.split('?', 2);
  return new URLSearchParams(query).get('tls') === 'false' ? `${base} (plain HTTP)` : `${base} (TLS)`;
}

/** Fails with a clear `docker-unavailable` error when no engine answers. */
export async function assertDockerReachable(docker: Docker, dockerHost: string): Promise<void> {
  try {
    await timePhase('docker ping', () => docker.ping());
  } catch (err) {
    // A refused SSH host key (or any other typed refusal) already says what to do.
    if (SlipwayError.is(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EACCES'
        ? 'permission denied on its socket'
        : code === 'ENOENT'
          ? 'no socket there'
          : (err as Error).message;
    throw new SlipwayError(
      'docker-unavailable',
      `No Docker Engine answers at ${describeDockerHost(dockerHost)} (${why}).`,
      {
        hint:
          code === 'EACCES'
            ? 'Add your user to the docker group (then log in again), or set DOCKER_HOST.'
            : 'Start Docker (Docker Desktop, dockerd, or Podman with DOCKER_HOST=unix://$XDG_RUNTIME_DIR/podman/podman.sock); without one, install Docker Engine or Docker Desktop (https://docs.docker.com/engine/install/), or in a Slipway checkout run `npm run setup` as root on Debian/Ubuntu.',
        cause: err,
      },
    );
  }
}

export interface ServiceState {
  service: string;
  containerId: string;
  /**
   * Docker's state (running, exited, restarting, ...), `completed` for a job that exited with code
   * 0; `missing` in a status when a declared one has no container (containerId empty).
   */
  state: string;
  /** healthy | unhealthy | starting | none */
  health: string;
  image: string;
  ports: Record<string, number>;
}

export { isUp };

/** Docker label filters for an environment of the given owner state (all states when `state` is empty). */
export interface EnvSelector {
  project: string;
  env: string;
  state?: string;
}

function labelFilters(sel: EnvSelector): string[] {
  return [
    `${LABEL_PROJECT}=${sel.project}`,
    `${LABEL_ENV}=${sel.env}`,
    ...(sel.state ? [`${LABEL_STATE}=${sel.state}`] : []),
  ];
}

export async function environmentContainers(docker: Docker, sel: EnvSelector): Promise<ServiceState[]> {
  const list = await timePhase('docker list containers', () =>
    docker.listContainers({ all: true, filters: { label: labelFilters(sel) } }),
  );
  // A Swarm stage's entry relays are not its services.
  return list.filter((c) => c.Labels?.[LABEL_ROLE] !== 'entry').map(serviceState);
}

/** One container of a `docker ps` listing as a service's state (its service from Slipway's label). */
export function serviceState(c: Docker.ContainerInfo): ServiceState {
  const ports: Record<string, number> = {};
  for (const p of c.Ports ?? []) if (p.PublicPort) ports[String(p.PrivatePort)] = p.PublicPort;
  const health =
    /\((healthy|unhealthy|health: starting)\)/.exec(c.Status ?? '')?.[1]?.replace('health: ', '') ?? 'none';
  // A job that exited with code 0 is done, not stopped.
  const completed = c.Labels?.[LABEL_ROLE] === 'job' && c.State === 'exited' && /^Exited \(0\)/.test(c.Status ?? '');
  return {
    service: c.Labels?.[LABEL_SERVICE] ?? c.Names?.[0]?.replace(/^\//, '') ?? c.Id,
    containerId: c.Id,
    state: completed ? 'completed' : c.State,
    health,
    image: c.ImageID,
    ports,
  };
}

/**
 * What the labels of an environment's containers (and its network's creation time) say about
 * it: what is needed to list, find and tear down an environment whose record is damaged.
 * Undefined when nothing of it is on this engine.
 */
export async function environmentLabels(docker: Docker, sel: EnvSelector): Promise<LabelledEnvironment | undefined> {
  const filters = { label: labelFilters(sel) };
  const [containers, networks] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
  ]);
  if (containers.length === 0 && networks.length === 0) return undefined;
  const first = (label: string) => containers.map((c) => c.Labels?.[label]).find((v) => !!v);
  const created = containers
    .map((c) => c.Labels?.[LABEL_CREATED])
    .filter((v): v is string => !!v && !Number.isNaN(Date.parse(v)));
  const networkCreated = networks.map((n) => n.Created).filter((v) => !!v && !Number.isNaN(Date.parse(v)));
  const newest = Math.max(...containers.map((c) => c.Created * 1000));
  const byRole = (role: string) =>
    [
      ...new Set(
        containers
          .filter((c) => (c.Labels?.[LABEL_ROLE] ?? 'service') === role)
          .map((c) => c.Labels?.[LABEL_SERVICE])
          .filter((v): v is string => !!v),
      ),
    ].sort();
  return {
    project: sel.project,
    env: sel.env,
    branch: first(LABEL_BRANCH) ?? networks.map((n) => n.Labels?.[LABEL_BRANCH]).find((v) => !!v),
    owner: first(LABEL_OWNER),
    createdAt:
      created.sort()[0] ??
      (networkCreated.length
        ? new Date(Math.min(...networkCreated.map((v) => Date.parse(v)))).toISOString()
        : undefined),
    updatedAt: Number.isFinite(newest) ? new Date(newest).toISOString() : undefined,
    services: byRole('service'),
    databases: byRole('database'),
  };
}

/** The environments (project and env) that have containers of the given owner state on this engine. */
export async function labelledEnvironments(
  docker: Docker,
  state: string,
  project?: string,
): Promise<Array<{ project: string; env: string }>> {
  const label = [
    `${LABEL_STATE}=${state}`,
    ...(project ? [`${LABEL_PROJECT}=${project}`] : [LABEL_PROJECT]),
    LABEL_ENV,
  ];
  const found = new Map<string, { project: string; env: string }>();
  for (const c of await docker.listContainers({ all: true, filters: { label } })) {
    const p = c.Labels?.[LABEL_PROJECT];
    const env = c.Labels?.[LABEL_ENV];
    if (p && env) found.set(`${p}/${env}`, { project: p, env });
  }
  return [...found.values()];
}

/** Every host port published on this engine: by the environment `own`'s containers, and by any other container (Slipway's or not). */
export async function publishedHostPorts(
  docker: Docker,
  own: EnvSelector,
): Promise<{ own: Set<number>; others: Set<number> }> {
  const list = await docker.listContainers({ all: true });
  const out = { own: new Set<number>(), others: new Set<number>() };
  for (const c of list) {
    const l = c.Labels ?? {};
    const mine =
      l[LABEL_PROJECT] === own.project && l[LABEL_ENV] === own.env && (!own.state || l[LABEL_STATE] === own.state);
    for (const p of c.Ports ?? []) if (p.PublicPort) (mine ? out.own : out.others).add(p.PublicPort);
  }
  return out;
}

/**
 * Where environments' host ports come from: below the kernel's ephemeral range (Linux's default
 * is 32768-60999, macOS and Windows start at 49152), so that no outgoing connection on this
 * machine can be handed an environment's port as its local end between one `up` and the next.
 * On Linux the range is read from the kernel; if it leaves too little room below it, any free
 * port will do.
 */
export function hostPortRange(ephemeral = readEphemeralRange()): { min: number; max: number } | undefined {
  const max = Math.min(32767, (ephemeral?.low ?? 32768) - 1);
  const min = 20000;
  return max - min >= 1000 ? { min, max } : undefined;
}

function readEphemeralRange(): { low: number; high: number } | undefined {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return Number.isInteger(low) && Number.isInteger(high) ? { low, high } : undefined;
  } catch {
    return undefined; // not Linux: the fixed range above is below the others' ephemeral ranges
  }
}

/** Whether 127.0.0.1:`port` can be listened on now (0: any port); resolves the port, or 0 when taken. */
export function tryListen(port: number): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(0));
    srv.listen(port, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

export interface SweepResult {
  containers: number;
  networks: number;
  volumes: number;
}

/** Removes every container (with its anonymous volumes), network and volume labelled for the environment. */
export async function sweepEnvironment(docker: Docker, sel: EnvSelector): Promise<SweepResult> {
  const filters = { label: labelFilters(sel) };
  const result: SweepResult = { containers: 0, networks: 0, volumes: 0 };
  // Listed together (a down's sweep usually finds nothing); removed in order, as networks and
  // volumes can only go once no container uses them.
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  for (const c of containers) {
    await ignoreMissing(docker.getContainer(c.Id).remove({ force: true, v: true }));
    result.containers++;
  }
  for (const n of networks) {
    await ignoreMissing(docker.getNetwork(n.Id).remove());
    result.networks++;
  }
  for (const v of volumes.Volumes ?? []) {
    await ignoreMissing(docker.getVolume(v.Name).remove({ force: true }));
    result.volumes++;
  }
  return result;
}

/**
 * `down`'s head start: while Pulumi's destroy starts (its engine, the state, the provider), the
 * environment's containers are stopped as Pulumi would stop them (10 s grace, in parallel) and
 * removed with their anonymous volumes, then its networks and volumes. Pulumi's deletes then
 * find them gone, which its provider takes as done, and the state records the teardown as
 * before. Best effort: whatever this leaves, Pulumi's destroy and the sweep after it remove. A
 * down interrupted after it leaves a stack whose objects are gone: the next `up` makes them again.
 */
export async function teardownAhead(docker: Docker, sel: EnvSelector): Promise<void> {
  const filters = { label: labelFilters(sel) };
  const quietly = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      () => undefined,
    );
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map(async (c) => {
      const container = docker.getContainer(c.Id);
      if (c.State === 'running') await quietly(container.stop({ t: 10 }));
      await quietly(container.remove({ force: true, v: true }));
    }),
  );
  const [networks, volumes] = await Promise.all([docker.listNetworks({ filters }), docker.listVolumes({ filters })]);
  await Promise.all([
    ...networks.map((n) => quietly(docker.getNetwork(n.Id).remove())),
    ...(volumes.Volumes ?? []).map((v) => quietly(docker.getVolume(v.Name).remove({ force: true }))),
  ]);
}

/**
 * Removes the images built for the environment (labelled for it), by id: an image some other
 * tag or container still uses stays. Only a failed first `up` calls this; `down` leaves images
 * that a stage's release may pin to Pulumi's delete, which untags them.
 */
export async function removeEnvironmentImages(docker: Docker, sel: EnvSelector): Promise<number> {
  let removed = 0;
  for (const image of await docker.listImages({ all: true, filters: { label: labelFilters(sel) } })) {
    try {
      await docker.getImage(image.Id).remove({ force: false, noprune: false });
      removed++;
    } catch (err) {
      if (!isImageGoneOrInUse(err)) throw err;
    }
  }
  return removed;
}

/**
 * Removes the environment's images that no tag names any more (a rebuild moved the tag to a new
 * one) and no container uses: kept until an `up` succeeds, in case the old one must run again.
 */
export async function pruneDanglingImages(docker: Docker, sel: EnvSelector): Promise<void> {
  for (const image of await docker.listImages({ filters: { label: labelFilters(sel), dangling: ['true'] } })) {
    try {
      await docker.getImage(image.Id).remove({ noprune: false });
    } catch (err) {
      if (!isImageGoneOrInUse(err)) throw err;
    }
  }
}

/**
 * One sentence on what of `declared` runs now (after a failed operation), e.g.
 * "still running: db, web; not running: static (missing)".
 */
export async function whatRuns(docker: Docker, sel: EnvSelector, declared: string[]): Promise<string> {
  const live = await environmentContainers(docker, sel);
  const running: string[] = [];
  const not: string[] = [];
  for (const name of [...new Set([...declared, ...live.map((s) => s.service)])]) {
    const s = live.find((x) => x.service === name);
    if (s && isUp(s)) running.push(name);
    else not.push(`${name} (${s ? s.state : 'missing'})`);
  }
  return [
    running.length ? `still running: ${running.join(', ')}` : 'nothing is running',
    ...(not.length ? [`not running: ${not.join(', ')}`] : []),
  ].join('; ');
}

async function ignoreMissing(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
}
