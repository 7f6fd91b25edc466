/**
 * A clone with no copy: the preview's data volume is an overlay (../docker/provider/layered-volume.ts)
 * whose links are re-pointed, while its PostgreSQL is stopped, at the snapshot's data folder
 * (read-only, the lower layer) and a new empty upper volume that takes every write of the
 * preview. The time does not depend on the snapshot's size.
 */
import type Docker from 'dockerode';
import pg from 'pg';
import { isLayered, makeUpper, pointLayers, uppersOf } from '../docker/provider/layered-volume';
import { SlipwayError } from '../errors';
import { waitForLogin, type Snapshot } from './snapshot';
import type { CloneOptions, ClonePhase, CloneTarget } from './snapshot-clone';

/**
 * Run in the preview's container once it starts: waits for PostgreSQL on its socket, then sets
 * the role's password with the statement in $SLIPWAY_SQL (never an argument; not logged even
 * when it fails). The snapshot's own password is random and died with the container that made it.
 */
const PASSWORD_SCRIPT = `i=0
until pg_isready -q -U "$SLIPWAY_USER" -d "$SLIPWAY_DB"; do
  i=$((i+1)); [ "$i" -lt 1200 ] || { echo "PostgreSQL did not start within 60 s" >&2; exit 4; }
  sleep 0.05
done
printf '%s;\\n' "$SLIPWAY_SQL" | psql -X -q -v ON_ERROR_STOP=1 -U "$SLIPWAY_USER" -d "$SLIPWAY_DB" >/dev/null
`;

async function setPassword(container: Docker.Container, target: CloneTarget, database: string): Promise<void> {
  const sql = `ALTER ROLE ${pg.escapeIdentifier(target.user)} PASSWORD ${pg.escapeLiteral(target.password)}`;
  const exec = await container.exec({
    Cmd: ['sh', '-c', PASSWORD_SCRIPT],
    Env: [
      `SLIPWAY_SQL=${sql}`,
      `SLIPWAY_USER=${target.user}`,
      `SLIPWAY_DB=${database}`,
      'PGOPTIONS=-c log_min_error_statement=panic -c log_min_messages=fatal',
    ],
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({});
  const out: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => out.push(c));
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  const { ExitCode } = await exec.inspect();
  if (ExitCode !== 0) {
    const log = Buffer.concat(out)
      .toString('utf8')
      .replace(/[^\x20-\x7e\n]/g, '');
    throw new SlipwayError(
      'data-copy-failed',
      `Setting the password of ${target.user} in ${target.container} failed (exit ${ExitCode}): ${log.trim().slice(-600)}`,
      { hint: 'The database image must allow local (socket) logins without a password, as the postgres image does.' },
    );
  }
}

const notStopped = (err: { statusCode?: number }) => {
  if (err.statusCode !== 304) throw err; // 304: already stopped
};

/**
 * Clones `snapshot` into the preview when its data volume (`at.volume`) is layered; false (nothing
 * done) when it is a plain volume. On a failure before the links moved, the new upper volume is
 * removed and the preview's database started again as it was; once they moved, the old upper
 * volumes are removed whatever happens.
 */
export async function cloneByOverlay(
  docker: Docker,
  snapshot: Snapshot,
  target: CloneTarget,
  at: { info: Docker.ContainerInspectInfo; volume: string },
  opts: CloneOptions & { phase: (name: ClonePhase, at?: number) => void },
): Promise<boolean> {
  const data = await docker.getVolume(at.volume).inspect();
  if (!isLayered(data)) return false;
  const { phase } = opts;
  const preview = docker.getContainer(target.container);
  const database = decodeURIComponent(new URL(target.url).pathname.slice(1)) || target.user;
  // The upper volume is made while the preview's PostgreSQL shuts down; both settle first.
  const [stop, made] = await Promise.allSettled([
    preview.stop({ t: 30 }).then(() => phase('stopped'), notStopped),
    makeUpper(docker, at.volume, data.Labels ?? {}, snapshot.volume).then((v) => (phase('upper made'), v)),
  ]);
  const upper = made.status === 'fulfilled' ? made.value : undefined;
  let pointed = false;
  let dropping: Promise<unknown> = Promise.resolve();
  try {
    if (stop.status === 'rejected') throw stop.reason;
    if (made.status === 'rejected') throw made.reason;
    opts.signal?.throwIfAborted();
    try {
      await pointLayers(docker, at.info.Image, at.volume, upper!, snapshot.volume);
    } catch (err) {
      throw new SlipwayError(
        'data-copy-failed',
        `Layering ${target.container} on the snapshot ${snapshot.id} failed: ${(err as Error).message}`,
        { hint: 'Run `slipway data sync` to remake the snapshot, or `slipway data seed --fresh` to mask anew.' },
      );
    }
    pointed = true;
    phase('links pointed');
    // The layers the preview ran on before are read by nothing now: removed while it starts.
    dropping = uppersOf(docker, at.volume, upper).then((old) =>
      Promise.all(
        old.map((v) =>
          docker
            .getVolume(v)
            .remove({ force: true })
            .catch(() => undefined),
        ),
      ),
    );
    await preview.start();
    phase('started');
    await setPassword(preview, target, database);
    phase('password set');
    // A port published without a fixed host port gets a new one on start.
    const url = new URL(target.url);
    const port = (await preview.inspect()).NetworkSettings.Ports?.['5432/tcp']?.[0]?.HostPort;
    if (port) url.port = port;
    await waitForLogin(url.toString(), `The database ${target.container}`, opts.signal);
    phase('login');
    return true;
  } catch (err) {
    if (!pointed) {
      if (upper)
        await docker
          .getVolume(upper)
          .remove()
          .catch(() => undefined);
      await preview.start().catch(() => undefined);
    }
    throw err;
  } finally {
    await dropping.catch(() => undefined);
  }
}
