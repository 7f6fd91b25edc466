/** Pulling an image the engine lacks, for the image kind of Slipway's dynamic provider. Serialized into Pulumi's state with the provider (see ../provider.ts). */
import type Docker from 'dockerode';
import { registryCredentials } from './credentials';

/** The registry an image name is pulled from: its first part when that names a host, else Docker Hub. */
export function registryOf(tag: string): string {
  const slash = tag.indexOf('/');
  const first = slash > 0 ? tag.slice(0, slash) : '';
  return /[.:]/.test(first) || first === 'localhost' ? first : 'docker.io';
}

/**
 * Pulls `tag` from its registry with the credentials the Docker CLI would use for that registry
 * (DOCKER_CONFIG's or ~/.docker's config.json: its credential helper, else its `auths` entry; see
 * ./credentials.ts). A failed pull says what was asked, whose credentials and what the registry
 * answered.
 */
export async function pullImage(docker: Docker, tag: string): Promise<void> {
  const registry = registryOf(tag);
  let found: ReturnType<typeof registryCredentials>;
  try {
    found = registryCredentials(registry);
  } catch (err) {
    throw new Error(`image ${tag} is not on this Docker Engine and cannot be pulled: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const authconfig = found.auth;
  const stream = await docker.pull(tag, authconfig ? { authconfig } : {}).catch((err: Error) => {
    throw new Error(
      `image ${tag} is not on this Docker Engine and pulling it from ${registry} failed (${found.from}): ${err.message}; build or pull it yourself (docker pull ${tag}, after docker login ${registry} if it is private) and retry`,
      { cause: err },
    );
  });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, results: Array<{ error?: string }>) => {
      const failed = err?.message ?? results.find((r) => r.error)?.error;
      if (failed)
        reject(
          new Error(
            `pulling image ${tag} from ${registry} failed (${found.from}): ${failed}; check its name and your access (docker login ${registry}) and retry`,
          ),
        );
      else resolve();
    });
  });
}
