/**
 * What the resource kinds of Slipway's dynamic provider share: labels, diffs, not-found errors,
 * removing a container, reading an object back by name. Serialized into Pulumi's state with the provider (see ../provider.ts): npm packages and Node
 * modules only through `require()` inside function bodies.
 */
import type * as Dockerode from 'dockerode';
import { dockerClient } from '../endpoint';
import type { NetworkInputs } from './network';
import type { VolumeInputs } from './volume';

export type Labels = Record<string, string>;

export type ResourceKind = 'network' | 'volume' | 'image' | 'container' | 'password' | 'swarm-service';

export interface DiffResult {
  changes: boolean;
  replaces?: string[];
  deleteBeforeReplace?: boolean;
}

export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 404;
}

/**
 * Whether removing an image failed only because it is gone or still in use (then it stays):
 * 404, 409, or the engine's 500 "unrecognized image ID" when another removal (another
 * environment's `down` pruning the parent layers they share) took it between its lookups.
 */
export function isImageGoneOrInUse(err: unknown): boolean {
  const code = (err as { statusCode?: number } | null)?.statusCode;
  return (
    code === 404 || code === 409 || (code === 500 && /unrecognized image ID/i.test(String((err as Error).message)))
  );
}

function changedKeys(olds: Record<string, unknown>, news: Record<string, unknown>, keys: string[]): string[] {
  return keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
}

/** Fields whose change replaces the object; any other change is an in-place update. */
export function diffBy(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  replaceKeys: string[],
  updateKeys: string[],
): DiffResult {
  const replaces = changedKeys(olds, news, replaceKeys);
  const updates = changedKeys(olds, news, updateKeys);
  return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: true };
}

export function sameLabels(actual: Labels | undefined | null, wanted: Labels): boolean {
  const a = actual ?? {};
  return Object.keys(wanted).every((k) => a[k] === wanted[k]);
}

/**
 * Removes a container with its anonymous volumes (those Docker made for a VOLUME its image
 * declares and nothing mounted: no later container would ever use them); named volumes stay.
 */
export async function removeContainer(docker: Dockerode, idOrName: string): Promise<void> {
  try {
    await docker.getContainer(idOrName).remove({ force: true, v: true });
  } catch (err) {
    if (isNotFound(err)) return;
    // Another client is removing it (`down` removes ahead of Pulumi's delete): done once it is gone.
    if ((err as { statusCode?: number }).statusCode !== 409) throw err;
    for (let waited = 0; waited < 60_000; waited += 100) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        await docker.getContainer(idOrName).inspect();
      } catch (gone) {
        if (isNotFound(gone)) return;
        throw gone;
      }
    }
    throw err;
  }
}

export async function readByName(id: string, props: NetworkInputs | VolumeInputs) {
  const docker = dockerClient(props.dockerHost);
  try {
    if (props.kind === 'network') await docker.getNetwork(id).inspect();
    else await docker.getVolume(props.name).inspect();
    return { id, props };
  } catch (err) {
    if (isNotFound(err)) return { id: '', props: {} };
    throw err;
  }
}
