/**
 * Seeding during `up`: a database the spec seeds and the environment does not have yet is made
 * first (with no service that uses it), checked and filled with its masked copy, and only then do
 * the services that use it start. A failed check makes nothing; a failed copy of a new
 * environment removes what was made.
 */
import type Docker from 'dockerode';
import type { OperationOptions } from '../events';
import { LABEL_STAGE, type EnvNames } from '../naming';
import type { EnvRecord } from '../records';
import type { DatabaseSpec, Spec } from '../spec/types';
import { preflightSeed, resolveSource, seedDatabase } from './preview-seed';
import { removeSeedRecord } from './seed-record';

export interface UpSeedContext {
  home: string;
  docker: () => Promise<Docker>;
  names: EnvNames;
  /** The environment's record before this `up` (undefined: a new environment). */
  prior?: EnvRecord;
  /** Applies a spec (the databases first) through the stack worker. */
  up(spec: Spec): Promise<unknown>;
  /** Removes the environment (a new one whose seed failed). */
  down(): Promise<unknown>;
}

/** Databases the spec seeds that the environment has not made yet. */
export function newSeededDatabases(spec: Spec, prior?: EnvRecord): DatabaseSpec[] {
  return spec.databases.filter((d) => d.seed && !prior?.applied?.containers[d.name]);
}

/** The spec without the services that use `seeded` (directly or through another service), nor services not made yet. */
export function beforeServices(spec: Spec, seeded: Set<string>, prior?: EnvRecord): Spec {
  let kept = spec.services.filter(
    (s) => prior?.applied?.containers[s.name] && !s.dependsOn.databases.some((d) => seeded.has(d)),
  );
  for (let changed = true; changed;) {
    const names = new Set(kept.map((s) => s.name));
    const next = kept.filter((s) => s.dependsOn.services.every((d) => names.has(d)));
    changed = next.length !== kept.length;
    kept = next;
  }
  return { ...spec, services: kept };
}

export async function seedNewDatabases(spec: Spec, ctx: UpSeedContext, opts: OperationOptions): Promise<void> {
  // Pipeline stages (staging, production) are never seeded with masked data: only branch previews.
  if (ctx.names.labels[LABEL_STAGE]) return;
  const seeded = newSeededDatabases(spec, ctx.prior);
  if (seeded.length === 0) return;
  // Fail closed before anything is made: every source there, every policy safe for it.
  for (const db of seeded) await preflightSeed(db, resolveSource(db.seed!, db.name), opts.signal);
  opts.onEvent?.({
    type: 'step',
    message: `starting ${seeded.map((d) => d.name).join(', ')} first, to seed before the services that use them start`,
  });
  await ctx.up(beforeServices(spec, new Set(seeded.map((d) => d.name)), ctx.prior));
  try {
    const docker = await ctx.docker();
    for (const db of seeded) {
      await seedDatabase(
        {
          home: ctx.home,
          project: ctx.names.project,
          env: ctx.names.env,
          docker,
          container: ctx.names.container(db.name),
        },
        db,
        opts,
      );
    }
  } catch (err) {
    if (!ctx.prior?.applied) {
      opts.onEvent?.({ type: 'step', message: 'the seed failed: removing the new environment' });
      await ctx.down().catch(() => undefined);
      removeSeedRecord(ctx.home, ctx.names.project, ctx.names.env);
    }
    throw err;
  }
}
