/** What the stack operations share about an environment's state: its prior record, its host ports, containers gone from Docker. */
import type { Stack } from '@pulumi/pulumi/automation';
import type { EnvNames } from '../naming';
import { inspectRecord, rebuildRecord, removeRecord, writeRecord, type EnvRecord } from '../records';
import { readView } from '../docker/declared-view';
import { connectDocker, environmentLabels, isUp, publishedHostPorts, serviceState } from '../docker/engine';
import type { ResourceKind } from '../docker/provider/shared';
import { allocateHostPorts, movedPortMessage } from '../ports';
import type { Spec } from '../spec/types';
import { emit } from './channel';
import { resourceUrn } from './fingerprint';
import { declaredPorts, type EnvIdentity, type PortMap } from './program';
import type { WorkerSettings } from './protocol';

/**
 * Host ports for every declared container port (see ../ports.ts): the ones used before (record,
 * else stack outputs) while still free, new ones otherwise; a replaced one is reported. With
 * `reserve` (an `up`), they are held in the machine-wide ledger until `down`.
 */
export async function allocatePorts(
  settings: WorkerSettings,
  names: EnvNames,
  stack: Stack,
  spec: Spec,
  recorded: PortMap | undefined,
  reserve: boolean,
): Promise<PortMap> {
  let previous: PortMap = recorded ?? {};
  if (!recorded) {
    try {
      previous = ((await stack.outputs()).ports?.value as PortMap | undefined) ?? {};
    } catch {
      previous = {};
    }
  }
  const docker = connectDocker(settings.dockerHost);
  const { ports, moved } = await allocateHostPorts({
    home: settings.home,
    project: names.project,
    env: names.env,
    wanted: declaredPorts(spec),
    previous,
    reserve,
    published: () => publishedHostPorts(docker, { project: names.project, env: names.env, state: settings.stateId }),
  });
  for (const m of moved)
    emit({
      type: 'diagnostic',
      severity: 'warning',
      message: movedPortMessage(
        m,
        spec.services.some((s) => s.name === m.owner),
      ),
    });
  return ports;
}

/**
 * What the last successful up made that is gone now (removed or stopped outside Slipway, or by a
 * `down` interrupted after its head start): its containers not running, and the networks and
 * volumes its declared view names that the engine no longer has. Each is replaced by this up.
 */
export async function vanishedContainers(
  settings: WorkerSettings,
  names: EnvNames,
  prior?: EnvRecord,
): Promise<string[]> {
  const applied = prior?.applied?.containers ?? {};
  if (Object.keys(applied).length === 0) return [];
  const docker = connectDocker(settings.dockerHost);
  const view = readView(settings.home, names.project, names.env);
  const networks = Object.entries(view?.networks ?? {});
  const volumes = Object.entries(view?.volumes ?? {});
  const [listed, haveNetworks, haveVolumes] = await Promise.all([
    docker.listContainers({ all: true }),
    networks.length
      ? docker
          .listNetworks({ filters: { name: networks.map(([, n]) => n) } })
          .then((l) => new Set(l.map((n) => n.Name)))
      : new Set<string>(),
    volumes.length
      ? docker
          .listVolumes({ filters: { name: volumes.map(([, v]) => v) } })
          .then((l) => new Set((l.Volumes ?? []).map((v) => v.Name)))
      : new Set<string>(),
  ]);
  // A job that completed is there as it should be; anything else must run.
  const running = new Set(listed.filter((c) => isUp(serviceState(c))).map((c) => c.Id));
  const gone: Array<[string, ResourceKind]> = [
    ...Object.entries(applied)
      .filter(([, id]) => !running.has(id))
      .map(([name]): [string, ResourceKind] => [name, 'container']),
    ...networks.filter(([, n]) => !haveNetworks.has(n)).map(([name]): [string, ResourceKind] => [name, 'network']),
    ...volumes.filter(([, v]) => !haveVolumes.has(v)).map(([name]): [string, ResourceKind] => [name, 'volume']),
  ];
  if (gone.length > 0)
    emit({
      type: 'step',
      message: `recreating what was stopped or removed outside Slipway: ${gone.map(([n]) => n).join(', ')}`,
    });
  return gone.map(([name, kind]) => resourceUrn(names.pulumiProject, names.stack, name, kind));
}

export function nowIso(): string {
  return new Date().toISOString();
}

/**
 * The environment's record before this operation. A damaged one is rebuilt from the Docker labels
 * of its containers (branch, owner, creation time), so the next write keeps what they know.
 */
export async function priorRecord(
  settings: WorkerSettings,
  names: EnvNames,
): Promise<{ prior?: EnvRecord; damaged: boolean }> {
  const { record, damaged } = inspectRecord(settings.home, names.project, names.env);
  if (!damaged) return { prior: record, damaged: false };
  emit({
    type: 'step',
    message: `the environment's record is damaged (${damaged.message}); rebuilding it from its Docker labels`,
  });
  return { prior: await labelledRecord(settings, names), damaged: true };
}

/** A record rebuilt from the Docker labels of the environment's containers. */
export async function labelledRecord(settings: WorkerSettings, names: EnvNames): Promise<EnvRecord> {
  const labels = await environmentLabels(connectDocker(settings.dockerHost), {
    project: names.project,
    env: names.env,
    state: settings.stateId,
  });
  return rebuildRecord({
    services: [],
    databases: [],
    ...labels,
    project: names.project,
    env: names.env,
    branch: names.branch,
  });
}

export function identityOf(record: EnvRecord): EnvIdentity {
  return { owner: record.owner, createdAt: record.createdAt };
}

/** Puts back the record as it was before an operation that changed nothing (its secrets could not be read). */
export function restoreRecord(settings: WorkerSettings, names: EnvNames, prior: EnvRecord | undefined): void {
  if (prior) writeRecord(settings.home, prior);
  else removeRecord(settings.home, names.project, names.env);
}
