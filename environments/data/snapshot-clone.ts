/**
 * A preview database from a masked snapshot at the Docker level: the preview's PostgreSQL is
 * stopped, and its data volume either re-layered on the snapshot (an overlay volume, see
 * ./snapshot-overlay.ts: no copy, the same time whatever the size) or, where the engine would not
 * mount an overlay, given a copy of the snapshot's stopped data folder (a throwaway container from
 * the preview's own image) with its role's password set in single-user mode before it listens;
 * then it is started again. No rows are parsed.
 */
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import pg from 'pg';
import { SlipwayError } from '../errors';
import {
  removeContainer,
  SNAPSHOT_DATA,
  SNAPSHOT_ID_LABEL,
  SNAPSHOT_LABEL,
  waitForLogin,
  type Snapshot,
} from './snapshot';
import { cloneByOverlay } from './snapshot-overlay';
import { prepareTarget } from './target';

const DATA = '/var/lib/postgresql/data';

/**
 * Runs in the throwaway container as root: the preview's old files moved aside (a rename) and
 * removed in the background while the snapshot's folder is copied in, then the role's password
 * set with the statement in $SLIPWAY_SQL (never in an argument or the log: statements are not
 * logged even when they fail). The `phase` lines time the steps for the bench.
 */
const COPY_SCRIPT = `set -euo pipefail
test -s ${SNAPSHOT_DATA}/PG_VERSION || { echo "the snapshot volume holds no PostgreSQL data folder" >&2; exit 3; }
echo "phase start $(date +%s%3N)"
old=/target/.slipway-old-$$
mkdir "$old"
find /target -mindepth 1 -maxdepth 1 ! -path "$old" -exec mv -t "$old" {} +
rm -rf "$old" &
cp -a ${SNAPSHOT_DATA}/. /target/
rm -f /target/postmaster.pid
echo "phase copied $(date +%s%3N)"
printf '%s;\\n\\n' "$SLIPWAY_SQL" | setpriv --reuid=postgres --regid=postgres --init-groups -- \\
  postgres --single -j -D /target -c log_min_error_statement=panic -c log_min_messages=fatal postgres >/dev/null
echo "phase password $(date +%s%3N)"
wait
`;

/** How a clone was made: the snapshot as the lower layer of an overlay, or copied. */
export type ClonePath = 'overlay' | 'copy';

/** The steps of a clone, in order, as `onPhase` reports them (overlay: upper made, links pointed). */
export type ClonePhase =
  | 'target checked'
  | 'upper made'
  | 'stopped'
  | 'links pointed'
  | 'copier created'
  | 'copier started'
  | 'data copied'
  | 'password set'
  | 'copier done'
  | 'started'
  | 'login';

export interface CloneTarget {
  /** The preview database's container (Docker name), its user and password, and its URL on the host. */
  container: string;
  user: string;
  password: string;
  url: string;
}

export interface CloneOptions {
  replace?: boolean;
  signal?: AbortSignal;
  onPhase?: (phase: ClonePhase, ms: number) => void;
}

/**
 * Makes the preview database a clone of `snapshot`, layered when its data volume is an overlay,
 * copied otherwise. An empty database is refused unless `replace` (a re-seed). Throwaway
 * containers are removed whatever happens; on a failure before the data was switched the
 * preview's database is started again as it was.
 */
export async function cloneSnapshot(
  docker: Docker,
  snapshot: Snapshot,
  target: CloneTarget,
  opts: CloneOptions = {},
): Promise<ClonePath> {
  let mark = Date.now();
  const phase = (name: ClonePhase, at = Date.now()) => {
    opts.onPhase?.(name, at - mark);
    mark = at;
  };
  const preview = docker.getContainer(target.container);
  const info = await preview.inspect();
  const volume = info.Mounts?.find((m) => m.Destination === DATA && m.Type === 'volume')?.Name;
  if (!volume)
    throw new SlipwayError('data-copy-failed', `The database container ${target.container} has no data volume.`, {
      hint: 'Run `slipway up` to recreate it, then seed again.',
    });
  if (!opts.replace) {
    const client = new pg.Client({ connectionString: target.url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await prepareTarget(client, false);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  phase('target checked');
  opts.signal?.throwIfAborted();
  const layered = await cloneByOverlay(docker, snapshot, target, { info, volume }, { ...opts, phase });
  if (layered) return 'overlay';
  const name = `${target.container}-clone-${randomBytes(4).toString('hex')}`;
  const cancel = () => void removeContainer(docker, name);
  opts.signal?.addEventListener('abort', cancel, { once: true });
  let copying = false;
  try {
    const sql = `ALTER ROLE ${pg.escapeIdentifier(target.user)} PASSWORD ${pg.escapeLiteral(target.password)}`;
    // The copier is made while the preview's PostgreSQL shuts down (it only runs once it has).
    const stopped = preview.stop({ t: 30 }).then(
      () => phase('stopped'),
      (err: { statusCode?: number }) => {
        if (err.statusCode !== 304) throw err; // already stopped
      },
    );
    const created = docker.createContainer({
      name,
      Image: info.Image,
      User: '0',
      Entrypoint: ['bash', '-c', COPY_SCRIPT],
      Cmd: [],
      Env: [`SLIPWAY_SQL=${sql}`],
      Labels: { [SNAPSHOT_LABEL]: info.Config.Labels?.['dev.slipway.project'] ?? '', [SNAPSHOT_ID_LABEL]: snapshot.id },
      NetworkDisabled: true,
      HostConfig: { Binds: [`${snapshot.volume}:/snapshot:ro`, `${volume}:/target`] },
    });
    // Both settle before anything else, so a failure leaves no copier being made behind the clean-up.
    const [stop, made] = await Promise.allSettled([stopped, created]);
    if (stop.status === 'rejected') throw stop.reason;
    if (made.status === 'rejected') throw made.reason;
    const copier = made.value;
    phase('copier created');
    copying = true;
    await copier.start();
    const { StatusCode } = (await copier.wait()) as { StatusCode: number };
    if (opts.onPhase && StatusCode === 0) {
      const marks = (await copier.logs({ stdout: true })).toString('latin1');
      for (const [name, label] of [
        ['start', 'copier started'],
        ['copied', 'data copied'],
        ['password', 'password set'],
      ] as const) {
        const at = Number(new RegExp(`phase ${name} (\\d+)`).exec(marks)?.[1]);
        if (at) phase(label, at);
      }
    }
    phase('copier done');
    if (StatusCode !== 0) {
      const log = (await copier.logs({ stdout: true, stderr: true })).toString('utf8').replace(/[^\x20-\x7e\n]/g, '');
      throw new SlipwayError(
        'data-copy-failed',
        `Copying the snapshot ${snapshot.id} into ${target.container} failed (exit ${StatusCode}): ${log.trim().slice(-800)}`,
        {
          hint: 'Run `slipway data sync` to remake the snapshot, or `slipway data seed --fresh` to mask anew.',
        },
      );
    }
    // The copier is removed while the preview's PostgreSQL starts.
    await Promise.all([removeContainer(docker, name), preview.start()]);
    phase('started');
    // A port published without a fixed host port gets a new one on start.
    const url = new URL(target.url);
    const port = (await preview.inspect()).NetworkSettings.Ports?.['5432/tcp']?.[0]?.HostPort;
    if (port) url.port = port;
    await waitForLogin(url.toString(), `The database ${target.container}`, opts.signal);
    phase('login');
    return 'copy';
  } catch (err) {
    await removeContainer(docker, name);
    if (!copying) await preview.start().catch(() => undefined);
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', cancel);
  }
}
