/** The volume kind of Slipway's dynamic provider: a named volume, recreated (never adopted) when found outside the state. Serialized into Pulumi's state with the provider (see ../provider.ts): npm packages and Node  modules only through `require()` inside function bodies. */
import { dockerClient } from '../endpoint';
import { createLayeredVolume, removeLayers } from './layered-volume';
import { diffBy, isNotFound, readByName, removeContainer, sameLabels, type Labels } from './shared';

export interface VolumeInputs {
  kind: 'volume';
  providerVersion: number;
  dockerHost: string;
  name: string;
  labels: Labels;
  /** On a Swarm manager: record the node that holds the volume (`node`), which a service using it is pinned to. */
  swarmNode?: boolean;
  /** The Swarm node ID of the engine the volume was made on (output; only with `swarmNode`). */
  node?: string;
  /**
   * A seeded database's data: made as an overlay whose lower layer a clone points at a masked
   * snapshot (./layered-volume.ts), with `layerImage` (the database's image) for the throwaway
   * containers; a plain volume when the engine refuses the mount.
   */
  layered?: boolean;
  layerImage?: string;
  /** Output: the volume was made as an overlay. */
  overlay?: boolean;
}

/** The Swarm node ID of the engine behind this endpoint (where a volume made through it lives). */
async function swarmNodeOf(inputs: VolumeInputs): Promise<string | undefined> {
  if (!inputs.swarmNode) return undefined;
  const info = (await dockerClient(inputs.dockerHost).info()) as { Swarm?: { NodeID?: string } };
  if (!info.Swarm?.NodeID) throw new Error(`the Docker Engine at ${inputs.dockerHost} is not a Swarm node`);
  return info.Swarm.NodeID;
}

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
  await removeLayers(docker, inputs.name);
  const overlay =
    !!inputs.layered &&
    !!inputs.layerImage &&
    (await createLayeredVolume(inputs.dockerHost, inputs.name, inputs.labels, inputs.layerImage));
  if (!overlay) await docker.createVolume({ Name: inputs.name, Labels: inputs.labels });
  const node = await swarmNodeOf(inputs);
  return { id: inputs.name, outs: { ...inputs, ...(node ? { node } : {}), ...(inputs.layered ? { overlay } : {}) } };
}

async function deleteVolume(id: string, props: VolumeInputs): Promise<void> {
  const docker = dockerClient(props.dockerHost);
  try {
    await docker.getVolume(id).remove({ force: true });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await removeLayers(docker, props.name);
}

export const volumeProvider = {
  async create(inputs: VolumeInputs) {
    return createVolume(inputs);
  },
  async diff(_id: string, olds: VolumeInputs, news: VolumeInputs) {
    // Whether it is layered is fixed when it is made: a data volume is never replaced for it.
    return diffBy({ ...olds }, { ...news }, ['name', 'labels', 'dockerHost'], ['providerVersion', 'swarmNode']);
  },
  async update(_id: string, olds: VolumeInputs, news: VolumeInputs) {
    // The volume stays where it was made.
    const node = news.swarmNode ? (olds.node ?? (await swarmNodeOf(news))) : undefined;
    const made = olds.overlay === undefined ? {} : { overlay: olds.overlay };
    return { outs: { ...news, ...(node ? { node } : {}), ...made } };
  },
  async delete(id: string, props: VolumeInputs) {
    await deleteVolume(id, props);
  },
  async read(id: string, props: VolumeInputs) {
    return readByName(id, props);
  },
};
