/**
 * A seeded database's data volume as an overlay (Docker's local driver, `type=overlay`): its
 * lower, upper and work folders are links in a small volume of its own (`<name>-links`), so a
 * clone re-points them at a snapshot's data folder and a fresh upper layer (a volume
 * `<name>-upper-<hex>`, labelled with the snapshot volume it sits on) while the database is
 * stopped, with no copy. Serialized with the provider (see ../provider.ts): Node modules only
 * through `require()` inside function bodies.
 */
import type Dockerode from 'dockerode';
import { dockerClient } from '../endpoint';
import { isNotFound, type Labels } from './shared';

/** On the links and upper volumes: the data volume they belong to. */
export const LAYER_OF_LABEL = 'dev.slipway.layer-of';
/** On an upper volume: the snapshot volume it overlays (empty before the first clone). */
export const LAYER_SNAPSHOT_LABEL = 'dev.slipway.layer-snapshot';

export function linksVolume(name: string): string {
  return `${name}-links`;
}

/**
 * Run as root in a throwaway container with the links volume at /links, the new upper volume at
 * /layer and (for a clone) the snapshot volume at /snapshot: makes the upper and work folders and
 * points the links at them and at the lower folder ($SLIPWAY_LOWER, a path on the engine's host).
 */
const POINT_SCRIPT = `set -eu
mkdir -p /layer/upper /layer/work /links/empty
if [ -n "\${SLIPWAY_SNAPSHOT:-}" ]; then
  test -s /snapshot/data/PG_VERSION || { echo "the snapshot volume holds no PostgreSQL data folder" >&2; exit 3; }
  chown "$(stat -c %u:%g /snapshot/data)" /layer/upper
  chmod 700 /layer/upper
fi
ln -sfn "$SLIPWAY_LOWER" /links/lower
ln -sfn "$SLIPWAY_UPPER/upper" /links/upper
ln -sfn "$SLIPWAY_UPPER/work" /links/work
`;

async function mountpoint(docker: Dockerode, volume: string): Promise<string> {
  return ((await docker.getVolume(volume).inspect()) as { Mountpoint: string }).Mountpoint;
}

/** Runs `script` once in a throwaway container of `image` (no network); its log in the error when it fails. */
async function runOnce(
  docker: Dockerode,
  image: string,
  name: string,
  binds: string[],
  env: string[],
  script: string,
): Promise<void> {
  const c = await docker.createContainer({
    name,
    Image: image,
    User: '0',
    Entrypoint: ['sh', '-c', script],
    Cmd: [],
    Env: env,
    NetworkDisabled: true,
    HostConfig: { Binds: binds },
  });
  try {
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    if (StatusCode !== 0) {
      const log = (await c.logs({ stdout: true, stderr: true })).toString('utf8').replace(/[^\x20-\x7e\n]/g, '');
      throw new Error(`${name} exited with ${StatusCode}: ${log.trim().slice(-600)}`);
    }
  } finally {
    await c.remove({ force: true, v: true }).catch(() => undefined);
  }
}

/** Makes a new upper volume of `name` on `snapshot` (a volume name; empty: none). */
export async function makeUpper(docker: Dockerode, name: string, labels: Labels, snapshot: string): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { randomBytes } = require('node:crypto') as typeof import('node:crypto');
  const upper = `${name}-upper-${randomBytes(4).toString('hex')}`;
  await docker.createVolume({
    Name: upper,
    Labels: { ...labels, [LAYER_OF_LABEL]: name, [LAYER_SNAPSHOT_LABEL]: snapshot },
  });
  return upper;
}

/**
 * Points the links of data volume `name` at `upper` and at the data folder of `snapshot` (or at
 * an empty folder), in a throwaway container of `image`. The data volume must not be mounted.
 */
export async function pointLayers(
  docker: Dockerode,
  image: string,
  name: string,
  upper: string,
  snapshot?: string,
): Promise<void> {
  const links = linksVolume(name);
  const [linksAt, upperAt, snapshotAt] = await Promise.all([
    mountpoint(docker, links),
    mountpoint(docker, upper),
    snapshot ? mountpoint(docker, snapshot) : Promise.resolve(''),
  ]);
  await runOnce(
    docker,
    image,
    `${upper}-point`,
    [`${links}:/links`, `${upper}:/layer`, ...(snapshot ? [`${snapshot}:/snapshot:ro`] : [])],
    [
      `SLIPWAY_LOWER=${snapshot ? `${snapshotAt}/data` : `${linksAt}/empty`}`,
      `SLIPWAY_UPPER=${upperAt}`,
      `SLIPWAY_SNAPSHOT=${snapshot ?? ''}`,
    ],
    POINT_SCRIPT,
  );
}

/** The upper volumes of data volume `name`, but `keep`. */
export async function uppersOf(docker: Dockerode, name: string, keep?: string): Promise<string[]> {
  const { Volumes } = await docker.listVolumes({ filters: JSON.stringify({ label: [`${LAYER_OF_LABEL}=${name}`] }) });
  return (Volumes ?? []).map((v) => v.Name).filter((v) => v !== keep && v !== linksVolume(name));
}

async function removeVolume(docker: Dockerode, name: string): Promise<void> {
  try {
    await docker.getVolume(name).remove({ force: true });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Removes the links and upper volumes of data volume `name` (which must be gone or unused). */
export async function removeLayers(docker: Dockerode, name: string): Promise<void> {
  for (const v of await uppersOf(docker, name)) await removeVolume(docker, v);
  await removeVolume(docker, linksVolume(name));
}

/**
 * Makes `name` an overlay volume over an empty lower folder, its links and first upper volume
 * beside it, and mounts it once in a throwaway container of `image`. False (and nothing left)
 * when the engine refuses the mount (rootless Docker, Podman): the caller makes a plain volume.
 */
export async function createLayeredVolume(
  dockerHost: string,
  name: string,
  labels: Labels,
  image: string,
): Promise<boolean> {
  const docker = dockerClient(dockerHost);
  const links = linksVolume(name);
  await docker.createVolume({ Name: links, Labels: { ...labels, [LAYER_OF_LABEL]: name } });
  try {
    const upper = await makeUpper(docker, name, labels, '');
    await pointLayers(docker, image, name, upper);
    const at = await mountpoint(docker, links);
    await docker.createVolume({
      Name: name,
      Labels: labels,
      Driver: 'local',
      DriverOpts: {
        type: 'overlay',
        device: 'overlay',
        o: `lowerdir=${at}/lower,upperdir=${at}/upper,workdir=${at}/work`,
      },
    });
  } catch (err) {
    await removeLayers(docker, name);
    throw err;
  }
  try {
    await runOnce(docker, image, `${name}-probe`, [`${name}:/probe`], [], 'test -d /probe');
    return true;
  } catch {
    await removeVolume(docker, name);
    await removeLayers(docker, name);
    return false;
  }
}

/** Whether a data volume (as inspected) is an overlay made by createLayeredVolume. */
export function isLayered(volume: { Options?: Record<string, string> | null }): boolean {
  return volume.Options?.type === 'overlay' && (volume.Options.o ?? '').includes('-links/');
}
