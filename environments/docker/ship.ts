/** Shipping a release's images to a stage's own Docker engine: only those it lacks, streamed through the Docker API (save on the source engine, load on the target). */
import type Docker from 'dockerode';
import { SlipwayError } from '../errors';
import type { OperationOptions } from '../events';
import { describeDockerHost } from './engine';

/** An engine images can be copied from, as people write its endpoint. */
export interface ImageSource {
  docker: Docker;
  host: string;
}

/** One image to have on the target: by id or tag, and the tag it should carry there. */
export interface ShippedImage {
  /** What needs it (a service or database name), for messages. */
  owner: string;
  /** Image id (sha256:…) or tag. */
  ref: string;
  /** A tag to give it on the target (and on the source, so it travels with the image). */
  tag?: { repo: string; tag: string };
}

/** How one image the target lacks gets there (streamed by default; through a registry with ./registry-ship.ts). */
export type CopyImage = (
  target: ImageSource,
  sources: ImageSource[],
  image: ShippedImage,
  opts: OperationOptions,
) => Promise<void>;

export interface ShipResult {
  /** Refs copied to the target. */
  shipped: string[];
  /** Refs the target already had. */
  present: string[];
}

/** Whether the engine holds the image (by id or tag). */
export async function has(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/** What the engine said of a failure (its JSON message), else the error's message. */
export function said(err: unknown): string {
  return (err as { json?: { message?: string } }).json?.message ?? (err as Error).message;
}

/** Reads Docker's JSON progress stream to its end; an `error` entry in it fails. */
export function drain(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, results: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
        const failed = err?.message ?? results.find((r) => r.error)?.error;
        if (failed) reject(new Error(failed));
        else resolve();
      },
    );
  });
}

/**
 * Makes every image exist on `target`: one it already holds is left alone; any other is saved on
 * the first source that holds it and loaded on the target in one stream (`docker save | docker
 * load` through the API), so nothing is written to disk on this machine and no registry is needed
 * (unless `copy` says otherwise). A wanted tag is put on the image on both sides.
 */
export async function shipImages(
  target: ImageSource,
  sources: ImageSource[],
  images: ShippedImage[],
  opts: OperationOptions = {},
  copy: CopyImage = copyImage,
): Promise<ShipResult> {
  const result: ShipResult = { shipped: [], present: [] };
  const seen = new Set<string>();
  for (const image of images) {
    opts.signal?.throwIfAborted();
    if (!seen.has(image.ref)) {
      seen.add(image.ref);
      if (await has(target.docker, image.ref)) {
        result.present.push(image.ref);
      } else {
        await copy(target, sources, image, opts);
        result.shipped.push(image.ref);
      }
    }
    if (image.tag) {
      try {
        await target.docker.getImage(image.ref).tag(image.tag);
      } catch (err) {
        throw new SlipwayError(
          'operation-failed',
          `Could not tag ${image.owner}'s image ${image.ref} as ${image.tag.repo}:${image.tag.tag} on ${describeDockerHost(target.host)}: ${said(err)}`,
          { hint: 'Check that the engine answers and has room for images, then promote again.', cause: err },
        );
      }
    }
  }
  return result;
}

async function copyImage(
  target: ImageSource,
  sources: ImageSource[],
  image: ShippedImage,
  opts: OperationOptions,
): Promise<void> {
  const source = await findSource(target, sources, image);
  const where = describeDockerHost(target.host);
  // Tagged on the source first, the saved archive names the tag, and the load recreates it.
  let saveRef = image.ref;
  let added = false;
  if (image.tag) {
    saveRef = `${image.tag.repo}:${image.tag.tag}`;
    added = !(await has(source.docker, saveRef));
    await source.docker.getImage(image.ref).tag(image.tag);
  }
  opts.onEvent?.({
    type: 'step',
    message: `shipping ${image.owner}'s image ${shortRef(image.ref)} from ${describeDockerHost(source.host)} to ${where}`,
  });
  try {
    const archive = (await source.docker.getImage(saveRef).get()) as NodeJS.ReadableStream;
    const loaded = (await target.docker.loadImage(archive as never, { quiet: true })) as NodeJS.ReadableStream;
    await drain(target.docker, loaded);
  } catch (err) {
    throw new SlipwayError(
      'operation-failed',
      `Shipping ${image.owner}'s image ${shortRef(image.ref)} from ${describeDockerHost(source.host)} to ${where} failed: ${said(err)}`,
      { hint: 'Check that both engines answer and the target has room for images, then promote again.', cause: err },
    );
  } finally {
    // The tag was there only to name the archive: the source engine keeps no tag of the target's stage.
    if (added) await untag(source.docker, saveRef);
  }
  if (!(await has(target.docker, image.ref))) {
    throw new SlipwayError(
      'operation-failed',
      `${where} loaded ${image.owner}'s image but does not hold ${shortRef(image.ref)} afterwards (it may store images by another id).`,
      { hint: 'Load the image onto that engine yourself (docker save | docker load), then promote again.' },
    );
  }
}

/** Removes one name of an image, but only while the image has another, so the image itself always stays. */
export async function untag(docker: Docker, name: string): Promise<void> {
  const tags = await docker
    .getImage(name)
    .inspect()
    .then((i) => i.RepoTags ?? [])
    .catch((): string[] => []);
  if (tags.includes(name) && tags.length > 1)
    await docker
      .getImage(name)
      .remove({ noprune: true })
      .catch(() => undefined);
}

/** The first source engine that holds the image; none fails saying where it was looked for. */
export async function findSource(
  target: ImageSource,
  sources: ImageSource[],
  image: ShippedImage,
): Promise<ImageSource> {
  for (const s of sources) if (await has(s.docker, image.ref).catch(() => false)) return s;
  const where = describeDockerHost(target.host);
  throw new SlipwayError(
    'operation-failed',
    sources.length
      ? `${image.owner}'s image ${image.ref} is on neither ${where} nor ${sources.map((s) => describeDockerHost(s.host)).join(', ')}, so it cannot be shipped there.`
      : `${image.owner}'s image ${image.ref} is not on ${where}.`,
    {
      hint: 'The image may have been removed (docker image rm or prune) since the preview ran: bring the preview up again, then promote again.',
    },
  );
}

/** An image id shortened as the Docker CLI shows it; a tag as it is. */
export function shortRef(ref: string): string {
  return ref.startsWith('sha256:') ? ref.slice(7, 19) : ref;
}
