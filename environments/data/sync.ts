/**
 * `slipway data sync`: remakes each seeded database's masked snapshot from its source, and re-seeds
 * the running branch environments of a database whose seed has a `schedule`; with a watch, again
 * each time a schedule fires.
 */
import type Docker from 'dockerode';
import type { SlipwayEvent } from '../events';
import { envNames, projectSlug } from '../naming';
import { listRecords } from '../records';
import { nextRun } from '../spec/seed';
import type { DatabaseSpec, Spec } from '../spec/types';
import { seedDatabase } from './preview-seed';
import type { DatabaseSeed } from './seed-record';

export interface SyncResult {
  database: string;
  /** The environments re-seeded (branch names), the first of which remade the snapshot. */
  reseeded: string[];
  snapshot?: string;
  rows?: number;
}

export interface SyncOptions {
  home: string;
  docker: Docker;
  signal?: AbortSignal;
  onEvent?: (e: SlipwayEvent) => void;
  /** Only these databases (a schedule that fired). */
  only?: string[];
}

/** Running branch environments of the project whose database container runs. */
async function runningBranches(home: string, docker: Docker, spec: Spec, db: DatabaseSpec): Promise<string[]> {
  const { records } = listRecords(home, projectSlug(spec.name));
  const out: string[] = [];
  for (const r of records) {
    if (
      r.env.startsWith('stage_') ||
      r.lastOperation.status !== 'succeeded' ||
      r.lastOperation.op !== 'up' ||
      !r.databases.includes(db.name)
    )
      continue;
    const info = await docker
      .getContainer(envNames(spec.name, r.branch).container(db.name))
      .inspect()
      .catch(() => undefined);
    if (info?.State.Running) out.push(r.branch);
  }
  return out;
}

/**
 * One sync: for each seeded database, the snapshot is remade through the first running
 * environment that re-seeds (a database with a schedule re-seeds them all); a database without
 * a schedule, or with no running environment, has its snapshot remade by its next seed.
 */
export async function syncOnce(spec: Spec, opts: SyncOptions): Promise<SyncResult[]> {
  const results: SyncResult[] = [];
  for (const db of spec.databases.filter((d) => d.seed && (!opts.only || opts.only.includes(d.name)))) {
    const branches = db.seed!.schedule ? await runningBranches(opts.home, opts.docker, spec, db) : [];
    const result: SyncResult = { database: db.name, reseeded: [] };
    let last: DatabaseSeed | undefined;
    for (const [i, branch] of branches.entries()) {
      opts.signal?.throwIfAborted();
      const names = envNames(spec.name, branch);
      const target = {
        home: opts.home,
        project: names.project,
        env: names.env,
        docker: opts.docker,
        container: names.container(db.name),
      };
      last = await seedDatabase(target, db, {
        signal: opts.signal,
        onEvent: opts.onEvent,
        replace: true,
        refresh: i === 0,
      });
      result.reseeded.push(branch);
    }
    if (last) Object.assign(result, { snapshot: last.snapshot, rows: last.rows });
    else
      opts.onEvent?.({
        type: 'seed',
        database: db.name,
        message: db.seed!.schedule
          ? 'no running environment to re-seed'
          : 'no schedule: its snapshot is remade by the next `slipway data seed`',
      });
    results.push(result);
  }
  return results;
}

/** Syncs each database when its schedule fires, until the signal aborts. */
export async function watchSync(spec: Spec, opts: SyncOptions & { onSync: (r: SyncResult[]) => void }): Promise<void> {
  const scheduled = spec.databases.filter((d) => d.seed?.schedule);
  while (!opts.signal?.aborted && scheduled.length) {
    const now = new Date();
    const next = scheduled.map((d) => ({ name: d.name, at: nextRun(d.seed!.schedule!, now).getTime() }));
    const soonest = Math.min(...next.map((n) => n.at));
    opts.onEvent?.({ type: 'step', message: `next sync at ${new Date(soonest).toISOString()}` });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, soonest - Date.now()));
      opts.signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    if (opts.signal?.aborted) return;
    opts.onSync(await syncOnce(spec, { ...opts, only: next.filter((n) => n.at === soonest).map((n) => n.name) }));
  }
}
