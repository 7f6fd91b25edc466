/** The network kind of Slipway's dynamic provider: a bridge network, adopted when one of this environment's exists. Serialized into Pulumi's state with the provider (see ../provider.ts): npm packages and Node  modules only through `require()` inside function bodies. */
import { dockerClient } from '../endpoint';
import { diffBy, isNotFound, readByName, sameLabels, type Labels } from './shared';

export interface NetworkInputs {
  kind: 'network';
  providerVersion: number;
  dockerHost: string;
  name: string;
  labels: Labels;
  /** `overlay` (attachable) on a Swarm stage; default a bridge. */
  driver?: 'overlay';
}

async function createNetwork(
  inputs: NetworkInputs,
): Promise<{ id: string; outs: NetworkInputs & { networkId: string } }> {
  const docker = dockerClient(inputs.dockerHost);
  const existing = (await docker.listNetworks({ filters: { name: [inputs.name] } })).find(
    (n) => n.Name === inputs.name,
  );
  if (existing && sameLabels(existing.Labels, inputs.labels)) {
    return { id: existing.Id, outs: { ...inputs, networkId: existing.Id } };
  }
  if (existing) {
    throw new Error(
      `a Docker network named ${inputs.name} already exists and belongs to something else (another Slipway state folder, or not Slipway); remove it, or use that state (SLIPWAY_HOME)`,
    );
  }
  const net = await docker.createNetwork({
    Name: inputs.name,
    Driver: inputs.driver ?? 'bridge',
    ...(inputs.driver === 'overlay' ? { Attachable: true } : {}),
    Labels: inputs.labels,
    CheckDuplicate: true,
  });
  return { id: net.id, outs: { ...inputs, networkId: net.id } };
}

async function deleteNetwork(id: string, props: NetworkInputs): Promise<void> {
  const docker = dockerClient(props.dockerHost);
  try {
    await docker.getNetwork(id).remove();
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

export const networkProvider = {
  async create(inputs: NetworkInputs) {
    return createNetwork(inputs);
  },
  async diff(_id: string, olds: NetworkInputs, news: NetworkInputs) {
    return diffBy({ ...olds }, { ...news }, ['name', 'labels', 'dockerHost', 'driver'], ['providerVersion']);
  },
  async update(id: string, olds: NetworkInputs & { networkId: string }, news: NetworkInputs) {
    return { outs: { ...news, networkId: olds.networkId ?? id } };
  },
  async delete(id: string, props: NetworkInputs) {
    await deleteNetwork(id, props);
  },
  async read(id: string, props: NetworkInputs) {
    return readByName(id, props);
  },
};
