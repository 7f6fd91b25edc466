/**
 * Which snapshot volumes are still read: a preview database layered on a snapshot names its volume
 * in a label of its upper volume, so a snapshot replaced by a newer one (`slipway data sync`) is
 * kept until no upper volume names it, then removed (after a clone, a sync and a `down`).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { LAYER_SNAPSHOT_LABEL } from '../docker/provider/layered-volume';
import { readTextIfExists } from '../files';
import { readSeedRecord, removeSeedRecord } from './seed-record';

export const SNAPSHOT_LABEL = 'dev.slipway.snapshots';
/** The snapshot id a volume holds, and the Slipway home (hashed) whose record names it. */
export const SNAPSHOT_ID_LABEL = 'dev.slipway.snapshot';
export const SNAPSHOT_HOME_LABEL = 'dev.slipway.snapshot-home';

export const homeId = (home: string) => createHash('sha256').update(home).digest('hex').slice(0, 12);
export const recordPath = (home: string, project: string, id: string) => join(home, 'snapshots', project, `${id}.json`);

/** The volume the record of snapshot `id` names (undefined: no readable record). */
function recordedVolume(home: string, project: string, id: string): string | undefined {
  try {
    const v = JSON.parse(readTextIfExists(recordPath(home, project, id)) ?? 'null') as { volume?: unknown } | null;
    return typeof v?.volume === 'string' ? v.volume : undefined;
  } catch {
    return undefined;
  }
}

/** Snapshot volumes some preview database's upper layer sits on (any environment, any home). */
export async function snapshotsInUse(docker: Docker): Promise<Set<string>> {
  const { Volumes } = await docker.listVolumes({ filters: JSON.stringify({ label: [LAYER_SNAPSHOT_LABEL] }) });
  return new Set((Volumes ?? []).map((v) => v.Labels?.[LAYER_SNAPSHOT_LABEL] ?? '').filter(Boolean));
}

/**
 * Removes this home's snapshot volumes of `project` that a newer one of the same id replaced
 * (its record names another volume) and that no upper layer reads; a volume a copy is reading
 * (mounted) stays too. Returns the volumes removed.
 */
export async function releaseSnapshots(docker: Docker, home: string, project: string): Promise<string[]> {
  const { Volumes } = await docker.listVolumes({
    filters: JSON.stringify({ label: [`${SNAPSHOT_LABEL}=${project}`, `${SNAPSHOT_HOME_LABEL}=${homeId(home)}`] }),
  });
  const stale = (Volumes ?? []).filter((v) => {
    const id = v.Labels?.[SNAPSHOT_ID_LABEL];
    const current = id ? recordedVolume(home, project, id) : undefined;
    return current !== undefined && current !== v.Name;
  });
  if (stale.length === 0) return [];
  const used = await snapshotsInUse(docker);
  const removed: string[] = [];
  for (const v of stale) {
    if (used.has(v.Name)) continue;
    const gone = await docker
      .getVolume(v.Name)
      .remove()
      .then(
        () => true,
        () => false,
      );
    if (gone) removed.push(v.Name);
  }
  return removed;
}

/**
 * After `down` of an environment: its seed record removed and, when it had one, the snapshots no
 * preview is layered on any more (the last one layered on a replaced snapshot takes it with it).
 */
export async function forgetSeed(docker: Docker, home: string, project: string, env: string): Promise<void> {
  const seeded = readSeedRecord(home, project, env);
  removeSeedRecord(home, project, env);
  if (seeded) await releaseSnapshots(docker, home, project).catch(() => undefined);
}
