/** Pulling an image the engine lacks, for the image kind of Slipway's dynamic provider. Serialized into Pulumi's state with the provider (see ../provider.ts): npm packages and Node modules only through `require()` inside function bodies. */
/* eslint-disable @typescript-eslint/no-require-imports */
import type Docker from 'dockerode';

/** The registry an image name is pulled from: its first part when that names a host, else Docker Hub. */
export function registryOf(tag: string): string {
  const slash = tag.indexOf('/');
  const first = slash > 0 ? tag.slice(0, slash) : '';
  return /[.:]/.test(first) || first === 'localhost' ? first : 'docker.io';
}

/** What a push or pull sends to the Docker Engine as `X-Registry-Auth`. */
export interface RegistryAuth {
  serveraddress: string;
  username?: string;
  password?: string;
}

/**
 * The credentials Docker itself keeps for a registry (`docker login`: the `auths` entry of
 * DOCKER_CONFIG's or ~/.docker's config.json; credential helpers are not run), or undefined for
 * an anonymous push or pull. Never logged: callers pass it to the engine only.
 */
export function registryAuth(registry: string): RegistryAuth | undefined {
  const fs = require('node:fs');
  const path = require('node:path');
  const os = require('node:os');
  try {
    const file = path.join(process.env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker'), 'config.json');
    const auths =
      (JSON.parse(fs.readFileSync(file, 'utf8')) as { auths?: Record<string, { auth?: string }> }).auths ?? {};
    const keys =
      registry === 'docker.io'
        ? ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io']
        : [registry, `https://${registry}`, `http://${registry}`];
    const entry = keys.map((k) => auths[k]).find((a) => a?.auth);
    if (!entry?.auth) return undefined;
    const [username, ...rest] = Buffer.from(entry.auth, 'base64').toString('utf8').split(':');
    return { serveraddress: registry, username, password: rest.join(':') };
  } catch {
    return undefined; // no Docker config: anonymous
  }
}

/**
 * Pulls `tag` from its registry with the credentials Docker itself keeps for that registry
 * (`docker login`: the `auths` entry of ~/.docker/config.json, or of DOCKER_CONFIG; credential
 * helpers are not run). A failed pull says what was asked and what the registry answered.
 */
export async function pullImage(docker: Docker, tag: string): Promise<void> {
  const registry = registryOf(tag);
  const authconfig = registryAuth(registry);
  const stream = await docker.pull(tag, authconfig ? { authconfig } : {}).catch((err: Error) => {
    throw new Error(
      `image ${tag} is not on this Docker Engine and pulling it from ${registry} failed: ${err.message}; build or pull it yourself (docker pull ${tag}, after docker login ${registry} if it is private) and retry`,
      { cause: err },
    );
  });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, results: Array<{ error?: string }>) => {
      const failed = err?.message ?? results.find((r) => r.error)?.error;
      if (failed)
        reject(
          new Error(
            `pulling image ${tag} from ${registry} failed: ${failed}; check its name and your access (docker login ${registry}) and retry`,
          ),
        );
      else resolve();
    });
  });
}
