/** The image kind of Slipway's dynamic provider: a build from a context, or an image looked up by tag (pulled when the engine lacks it). Serialized into Pulumi's state with the provider (see ../provider.ts): npm packages and Node  modules only through `require()` inside function bodies. */
import { contextEntries } from '../build-context';
import { dockerClient } from '../endpoint';
import { pullImage } from './pull';
import { diffBy, isImageGoneOrInUse, isNotFound, type Labels } from './shared';

export interface ImageInputs {
  kind: 'image';
  providerVersion: number;
  dockerHost: string;
  /** Build from `context` with `dockerfile`; or, without `context`, use the local image `tag`. */
  tag: string;
  context?: string;
  dockerfile?: string;
  /** Hash of the build context (honouring .dockerignore): a change rebuilds. */
  contextHash?: string;
  /** Build arguments (the Dockerfile's ARGs). */
  buildArgs?: Record<string, string>;
  /** The Dockerfile stage to build (`docker build --target`); absent: its last stage. */
  target?: string;
  labels: Labels;
}

async function buildImage(inputs: ImageInputs): Promise<{ id: string; outs: ImageInputs & { imageId: string } }> {
  const docker = dockerClient(inputs.dockerHost);
  if (!inputs.context) {
    try {
      const info = await docker.getImage(inputs.tag).inspect();
      return { id: info.Id, outs: { ...inputs, imageId: info.Id } };
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    await pullImage(docker, inputs.tag);
    const info = await docker.getImage(inputs.tag).inspect();
    return { id: info.Id, outs: { ...inputs, imageId: info.Id } };
  }
  const stream = await docker
    .buildImage(
      { context: inputs.context, src: contextEntries(inputs.context) },
      {
        t: inputs.tag,
        dockerfile: inputs.dockerfile ?? 'Dockerfile',
        labels: inputs.labels,
        rm: true,
        forcerm: true,
        ...(inputs.buildArgs ? { buildargs: inputs.buildArgs } : {}),
        ...(inputs.target ? { target: inputs.target } : {}),
      },
    )
    .catch((err: Error & { json?: { message?: string } }) => {
      // Refused before it starts (a Dockerfile or target that is not there): the engine's own words.
      throw new Error(`docker build of ${inputs.context} failed: ${err.json?.message ?? err.message}`, { cause: err });
    });
  const tail: string[] = [];
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, results: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
        const failed = err ?? results.find((r) => r.error);
        if (!failed) return resolve();
        const message = failed instanceof Error ? failed.message : (failed.errorDetail?.message ?? failed.error);
        reject(
          new Error(`docker build of ${inputs.context} failed: ${message}\n${tail.join('')}`, {
            cause: err ?? undefined,
          }),
        );
      },
      (event: { stream?: string }) => {
        if (event.stream) {
          tail.push(event.stream);
          if (tail.length > 20) tail.shift();
        }
      },
    );
  });
  const info = await docker.getImage(inputs.tag).inspect();
  return { id: info.Id, outs: { ...inputs, imageId: info.Id } };
}

async function deleteImage(props: ImageInputs): Promise<void> {
  if (!props.context) return; // an image Slipway did not build is never removed
  const docker = dockerClient(props.dockerHost);
  try {
    // Removes this environment's tag; layers shared with other tags stay.
    await docker.getImage(props.tag).remove({ noprune: false });
  } catch (err) {
    if (!isImageGoneOrInUse(err)) throw err;
  }
}

/** Whether the engine still holds the image `id` (true when the state recorded none). */
async function imageExists(dockerHost: string, id: string | undefined): Promise<boolean> {
  if (!id) return true;
  try {
    await dockerClient(dockerHost).getImage(id).inspect();
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

export const imageProvider = {
  async create(inputs: ImageInputs) {
    return buildImage(inputs);
  },
  async diff(_id: string, olds: ImageInputs, news: ImageInputs) {
    const d = diffBy(
      { ...olds },
      { ...news },
      ['dockerHost'],
      ['tag', 'context', 'dockerfile', 'contextHash', 'buildArgs', 'target', 'labels', 'providerVersion'],
    );
    // An image removed from the engine by hand since (`docker image prune -a`, `docker rmi`) is
    // built or pulled again in place, under the same tag: the containers made from it (replaced
    // when they vanished too) then find it.
    if (!d.changes && !(await imageExists(news.dockerHost, (olds as { imageId?: string }).imageId)))
      return { changes: true, replaces: [], deleteBeforeReplace: false };
    return { ...d, deleteBeforeReplace: false };
  },
  async update(_id: string, olds: ImageInputs, news: ImageInputs) {
    const built = await buildImage(news);
    if (olds.tag !== news.tag) await deleteImage(olds);
    return { outs: built.outs };
  },
  async delete(_id: string, props: ImageInputs) {
    await deleteImage(props);
  },
};
