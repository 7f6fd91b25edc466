/**
 * The data profile a promotion carries: per seeded database the masking policy (file and sha256),
 * the source's host and the snapshot the promoted environment started from, and what the target
 * stage declares (`seed: same | none`). A `same` stage is checked before anything is deployed (the
 * policy unchanged since that seed, its source there and safe) and seeded after the deploy.
 */
import { relative } from 'node:path';
import { connectDocker } from '../docker/engine';
import type { LocalEnvironments } from '../engine';
import { SlipwayError } from '../errors';
import type { OperationOptions } from '../events';
import { envNames, projectSlug, stageBranch } from '../naming';
import { policyHash, preflightSeed, resolveSource, seedDatabase } from '../data/preview-seed';
import { readSeedRecord } from '../data/seed-record';
import type { DatabaseSpec, Spec, StageSpec } from '../spec/types';
import { appendAudit } from './audit';
import type { Release } from './releases';
import type { ResolvedSource } from './source';

export interface DataProfile {
  /** What the target stage declared: seeded with the same policy, or not seeded. */
  seed: 'same' | 'none';
  /** The promoted environment's seeded databases (empty: none was seeded). */
  databases: Record<string, { policy: string; policyHash: string; source: string; snapshot?: string }>;
}

/** The seeded databases of what is promoted: a branch's seed record, or the data profile of a stage's current release. */
function sourceDatabases(envs: LocalEnvironments, spec: Spec, source: ResolvedSource, carried?: DataProfile) {
  if (source.kind === 'stage') return carried?.databases ?? {};
  const record = readSeedRecord(envs.home, projectSlug(spec.name), source.env);
  const out: DataProfile['databases'] = {};
  for (const [name, s] of Object.entries(record?.databases ?? {})) {
    const rel = relative(spec.dir, s.policy);
    out[name] = {
      policy: rel.startsWith('..') ? s.policy : rel,
      policyHash: s.policyHash,
      source: s.source,
      ...(s.snapshot ? { snapshot: s.snapshot } : {}),
    };
  }
  return out;
}

/**
 * The profile of a promotion into `target`, checked: for a `same` stage every database the source
 * seeded must still name the policy with the recorded hash, and its source must be reachable and
 * pass the fail-closed check; otherwise a clear refusal, before gates run or anything is deployed.
 */
export async function promotionProfile(
  envs: LocalEnvironments,
  spec: Spec,
  source: ResolvedSource,
  target: StageSpec,
  carried: DataProfile | undefined,
  signal?: AbortSignal,
): Promise<DataProfile> {
  const profile: DataProfile = { seed: target.seed ?? 'none', databases: sourceDatabases(envs, spec, source, carried) };
  if (profile.seed !== 'same') return profile;
  const what = `${source.kind} "${source.name}"`;
  const names = Object.keys(profile.databases);
  if (names.length === 0)
    throw new SlipwayError(
      'pipeline-invalid',
      `Stage ${target.name} is seeded with the same masking policy as what is promoted (seed: same), but ${what} has no seeded database.`,
      {
        hint: `Seed it first (\`slipway data seed --branch ${source.name}\`), or set seed: none on stage ${target.name}.`,
      },
    );
  for (const name of names) {
    const recorded = profile.databases[name];
    const db = source.databases.find((d) => d.name === name);
    if (!db?.seed)
      throw new SlipwayError(
        'pipeline-invalid',
        `Stage ${target.name} is seeded like ${what}, whose database ${name} was seeded by hand: the spec it ran names no seed for it.`,
        { hint: `Add databases.${name}.seed to slipway.yaml and bring ${source.name} up again, then promote.` },
      );
    const now = (() => {
      try {
        return policyHash(db.seed!.policy);
      } catch {
        return 'missing';
      }
    })();
    if (now !== recorded.policyHash)
      throw new SlipwayError(
        'pipeline-invalid',
        `The masking policy ${recorded.policy} of database ${name} ${now === 'missing' ? 'is gone' : 'changed'} since ${what} was seeded (sha256 ${recorded.policyHash.slice(0, 12)}${now === 'missing' ? '' : `, now ${now.slice(0, 12)}`}): stage ${target.name} would not get the same data profile.`,
        { hint: `Re-seed ${source.name} with the policy as it is now (\`slipway data seed\`), then promote.` },
      );
    try {
      await preflightSeed(db, resolveSource(db.seed, name), signal);
    } catch (err) {
      if (SlipwayError.is(err) && err.hint !== undefined)
        throw Object.assign(err, {
          hint: `${err.hint} Stage ${target.name} is seeded from the same source (seed: same), so nothing was promoted.`,
        });
      throw err;
    }
  }
  return profile;
}

/**
 * Seeds a `same` stage's databases after its deploy, from the snapshot of the same source and
 * policy; a database already seeded with that policy is left as it is. The services that use a
 * re-seeded database are restarted so they see its data.
 */
export async function seedStage(
  envs: LocalEnvironments,
  spec: Spec,
  stage: StageSpec,
  databases: DatabaseSpec[],
  profile: DataProfile,
  opts: OperationOptions,
): Promise<string[]> {
  if (profile.seed !== 'same') return [];
  const names = envNames(spec.name, stageBranch(stage.name), envs.stateId);
  const docker = connectDocker(stage.dockerHost ?? envs.dockerHost);
  const had = readSeedRecord(envs.home, names.project, names.env)?.databases ?? {};
  const seeded: string[] = [];
  for (const [name, wanted] of Object.entries(profile.databases)) {
    const db = databases.find((d) => d.name === name);
    if (!db?.seed) continue;
    if (had[name]?.policyHash === wanted.policyHash) {
      opts.onEvent?.({
        type: 'seed',
        database: name,
        message: `already seeded with policy ${wanted.policyHash.slice(0, 12)}`,
      });
      continue;
    }
    const target = {
      home: envs.home,
      project: names.project,
      env: names.env,
      docker,
      container: names.container(name),
    };
    await seedDatabase(target, db, { signal: opts.signal, onEvent: opts.onEvent, replace: true });
    seeded.push(name);
  }
  const users = spec.services.filter((s) => s.dependsOn.databases.some((d) => seeded.includes(d))).map((s) => s.name);
  for (const service of stage.dockerHost ? [] : users) {
    opts.onEvent?.({ type: 'step', message: `restarting ${service}, which uses the seeded database` });
    await envs.restart(spec.name, stageBranch(stage.name), service, { signal: opts.signal });
  }
  return seeded;
}

/** The profile in one line, for the audit log, `slipway history` and the pipeline view. */
export function describeProfile(profile: DataProfile | undefined): string | undefined {
  if (!profile) return undefined;
  const dbs = Object.entries(profile.databases).map(
    ([name, d]) => `${name}: ${d.policy} sha256:${d.policyHash.slice(0, 12)}`,
  );
  if (dbs.length === 0) return profile.seed === 'same' ? 'data: seeded' : undefined;
  return `data ${profile.seed === 'same' ? 'seeded with' : 'not seeded (the preview had'} ${dbs.join(', ')}${profile.seed === 'same' ? '' : ')'}`;
}

/** `seedStage` for a release just deployed; a failure is audited (the stage runs the release, its data does not match). */
export async function seedStageAudited(
  envs: LocalEnvironments,
  spec: Spec,
  stage: StageSpec,
  release: Release,
  opts: OperationOptions & { actor: string },
): Promise<void> {
  if (!release.seed) return;
  try {
    await seedStage(envs, spec, stage, release.databases, release.seed, opts);
  } catch (err) {
    await appendAudit(envs.home, projectSlug(spec.name), {
      at: new Date().toISOString(),
      actor: opts.actor,
      action: 'promote-failed',
      stage: stage.name,
      from: release.from,
      release: release.number,
      images: release.images,
      note: `deployed, but seeding its databases with the same policy failed: ${(err as Error).message.split('\n')[0]}; promote again once fixed`,
    });
    throw err;
  }
}
