/**
 * Pulumi dynamic providers for the Docker objects of an environment, driven through dockerode:
 * the dispatcher. Each resource kind is one module in ./provider/ (network, volume, image,
 * container with its health wait, password, Swarm service), the build context in ./build-context.ts, the
 * endpoint in ./endpoint.ts.
 *
 * Pulumi serializes the provider object (with everything its functions capture) into the
 * stack's state and runs that serialized code for later updates and deletes. The stack worker
 * is one esbuild bundle (scripts/build.mjs, entry environments/pulumi/entry.ts) in which all
 * these modules share one scope, so what Pulumi serializes is one self-contained closure, the
 * same as when this was one file. For that, the modules reach npm packages only through a plain
 * `require()` inside a function body, import one another by name (never `import *`), and capture
 * nothing but each other's functions and plain constants. Every input carries `providerVersion`;
 * bumping PROVIDER_VERSION makes `diff` report a change, so new provider code reaches resources
 * that already exist.
 *
 * All kinds share one provider object that dispatches on the `kind` input: Pulumi serializes
 * each distinct provider object on every run (hundreds of milliseconds each), so one object
 * keeps that cost to a single serialization.
 *
 * Creates are idempotent by name: an object left behind by an interrupted run (created in
 * Docker, never recorded in state) carries Slipway's labels and is replaced or adopted, so the
 * next `up` converges instead of failing on a name clash.
 */
import { containerProvider, type ContainerInputs } from './provider/container';
import { imageProvider, type ImageInputs } from './provider/image';
import { networkProvider, type NetworkInputs } from './provider/network';
import { passwordProvider, type PasswordInputs } from './provider/password';
import type { DiffResult, ResourceKind } from './provider/shared';
import { swarmServiceProvider, type SwarmServiceInputs } from './provider/swarm-service';
import { volumeProvider, type VolumeInputs } from './provider/volume';

export { dockerClient, dockerConnection, type DockerConnection } from './endpoint';
export { hashBuildContext } from './build-context';
export type { ContainerHealth, ContainerInputs } from './provider/container';
export type { ImageInputs } from './provider/image';
export type { NetworkInputs } from './provider/network';
export type { PasswordInputs } from './provider/password';
export type { ResourceKind } from './provider/shared';
export type { SwarmServiceInputs } from './provider/swarm-service';
export type { VolumeInputs } from './provider/volume';

export const PROVIDER_VERSION = 5;

type AnyInputs = NetworkInputs | VolumeInputs | ImageInputs | ContainerInputs | PasswordInputs | SwarmServiceInputs;
interface KindProvider {
  create(inputs: never): Promise<{ id: string; outs: object }>;
  diff(id: string, olds: never, news: never): Promise<DiffResult>;
  update(id: string, olds: never, news: never): Promise<{ outs: object }>;
  delete?(id: string, props: never): Promise<void>;
  read?(id: string, props: never): Promise<{ id: string; props: object; inputs?: object }>;
}

function providerFor(kind: ResourceKind): KindProvider {
  const byKind: Record<ResourceKind, KindProvider> = {
    network: networkProvider,
    volume: volumeProvider,
    image: imageProvider,
    container: containerProvider,
    password: passwordProvider,
    'swarm-service': swarmServiceProvider,
  };
  const provider = byKind[kind];
  if (!provider) throw new Error(`unknown Slipway resource kind "${kind}"`);
  return provider;
}

export const slipwayProvider = {
  async create(inputs: AnyInputs) {
    return providerFor(inputs.kind).create(inputs as never);
  },
  async diff(id: string, olds: AnyInputs, news: AnyInputs) {
    if (olds.kind !== news.kind) return { changes: true, replaces: ['kind'], deleteBeforeReplace: true };
    return providerFor(news.kind).diff(id, olds as never, news as never);
  },
  async update(id: string, olds: AnyInputs, news: AnyInputs) {
    return providerFor(news.kind).update(id, olds as never, news as never);
  },
  async delete(id: string, props: AnyInputs) {
    await providerFor(props.kind).delete?.(id, props as never);
  },
  /** Refresh: the real object's properties (kinds without a read keep what the state has). */
  async read(id: string, props: AnyInputs) {
    const provider = providerFor(props.kind);
    return provider.read ? provider.read(id, props as never) : { id, props };
  },
};
