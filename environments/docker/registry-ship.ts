/** Carrying an image between engines through a registry the team names: tagged and pushed on the engine that holds it, pulled by the target. */
import { SlipwayError } from '../errors';
import type { OperationOptions } from '../events';
import { describeDockerHost } from './engine';
import { registryCredentials, type RegistryCredentials } from './provider/credentials';
import {
  drain,
  findSource,
  has,
  said,
  shortRef,
  untag,
  type CopyImage,
  type ImageSource,
  type ShippedImage,
} from './ship';

/**
 * The name an image carries in the registry: its wanted tag under the registry
 * (`REGISTRY/slipway/<project>-<service>:stage_<stage>-r<n>`), else its own name under the
 * registry (`busybox:stable` -> `REGISTRY/busybox:stable`), else one made from what needs it and
 * its id.
 */
export function registryName(registry: string, image: ShippedImage): { repo: string; tag: string } {
  if (image.tag) return { repo: `${registry}/${image.tag.repo}`, tag: image.tag.tag };
  if (!image.ref.startsWith('sha256:')) {
    const { repo, tag } = splitName(image.ref);
    // A name's own registry host is dropped: the image lives under the named registry now.
    const first = repo.split('/')[0];
    const path =
      repo.includes('/') && (/[.:]/.test(first) || first === 'localhost') ? repo.slice(first.length + 1) : repo;
    return { repo: `${registry}/${path}`, tag };
  }
  const owner =
    image.owner
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'image';
  return { repo: `${registry}/slipway/${owner}`, tag: image.ref.slice(7, 19) };
}

function splitName(ref: string): { repo: string; tag: string } {
  const at = ref.indexOf('@');
  const name = at >= 0 ? ref.slice(0, at) : ref;
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/')
    ? { repo: name.slice(0, colon), tag: name.slice(colon + 1) }
    : { repo: name, tag: 'latest' };
}

/**
 * A copy for `shipImages` that goes through `registry`: the image is tagged with its registry name
 * on the first source engine that holds it, pushed, pulled by the target and checked there by id.
 * Credentials are those the Docker CLI would use for the registry (its credential helper, else
 * `docker login`'s `auths` entry: ./provider/credentials.ts), read once per promotion and sent to
 * the engines only: never logged, never stored.
 */
export function throughRegistry(registry: string): CopyImage {
  const host = registry.split('/')[0];
  let credentials: RegistryCredentials | undefined;
  const lookup = (): RegistryCredentials => {
    try {
      return (credentials ??= registryCredentials(host));
    } catch (err) {
      throw new SlipwayError(
        'operation-failed',
        `Reading the credentials for the registry ${registry}: ${said(err)}.`,
        {
          hint: 'Fix the Docker config or its credential helper (docker login works when it is right), then promote again.',
          cause: err,
        },
      );
    }
  };
  return async (target: ImageSource, sources: ImageSource[], image: ShippedImage, opts: OperationOptions) => {
    const source = await findSource(target, sources, image);
    const name = registryName(registry, image);
    const full = `${name.repo}:${name.tag}`;
    const found = lookup();
    // Anonymous: an empty credential, which the engine's push API expects.
    const authconfig = found.auth ?? { serveraddress: host };
    const from = describeDockerHost(source.host);
    const to = describeDockerHost(target.host);
    const failed = (step: string, err: unknown): SlipwayError =>
      new SlipwayError(
        'operation-failed',
        `${step} ${image.owner}'s image ${shortRef(image.ref)} as ${full} failed: ${said(err)} (credentials: ${found.from})`,
        {
          hint: `Check that the registry ${registry} answers both engines and accepts these credentials (docker login ${host}), then promote again.`,
          cause: err,
        },
      );
    try {
      await source.docker.getImage(image.ref).tag(name);
      opts.onEvent?.({
        type: 'step',
        message: `pushing ${image.owner}'s image ${shortRef(image.ref)} from ${from} to ${registry}`,
      });
      try {
        const pushed = (await source.docker
          .getImage(name.repo)
          .push({ tag: name.tag, authconfig })) as NodeJS.ReadableStream;
        await drain(source.docker, pushed);
      } catch (err) {
        throw failed(`Pushing from ${from}`, err);
      }
    } finally {
      await untag(source.docker, full);
    }
    opts.onEvent?.({ type: 'step', message: `pulling ${image.owner}'s image ${full} from ${registry} on ${to}` });
    try {
      const pulled = (await target.docker.pull(full, { authconfig })) as NodeJS.ReadableStream;
      await drain(target.docker, pulled);
    } catch (err) {
      throw failed(`Pulling on ${to}`, err);
    }
    if (!(await has(target.docker, image.ref))) {
      if (image.ref.startsWith('sha256:'))
        throw new SlipwayError(
          'operation-failed',
          `${to} pulled ${full} but does not hold ${shortRef(image.ref)} afterwards (the registry or the engine stores it by another id).`,
          { hint: 'Promote again without "registry" in the stage, so the image is streamed between the engines.' },
        );
      await target.docker.getImage(full).tag(splitName(image.ref));
    }
    if (!image.tag && !image.ref.startsWith('sha256:'))
      await target.docker
        .getImage(full)
        .remove({ noprune: true })
        .catch(() => undefined);
  };
}
