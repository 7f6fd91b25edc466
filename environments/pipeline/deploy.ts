// Deploying a release to a stage: the per-stage release lock, image tagging, audited deploys and rollback.
import { join } from 'node:path';
import type { LocalEnvironments } from '../engine';
import { acquireLock } from '../lock';
import { withTeamLock } from '../state/store';
import { SlipwayError } from '../errors';
import type { OperationOptions } from '../events';
import { projectSlug, stageBranch } from '../naming';
import type { Spec, StageSpec } from '../spec/types';
import { appendAudit, intactAudit } from './audit';
import type { GateResult } from './gates';
import { requireEmergencyApprovals, rollbackTarget } from './emergency';
import { readReleases, writeReleases, type Release } from './releases';
import { rollbackWindows } from './governance';
import { pipelineStage, type PipelineOptions } from './source';
import { stageWithRegistry } from './registry-policy';
import { shipRelease } from './ship-release';
import { automaticRollbacks, rolloutNote } from './swarm-rollout';
import { swarmRollbackOrNot } from './swarm-rollback';

export interface PromoteResult {
  stage: string;
  release: number;
  images: Record<string, string>;
  urls: Record<string, string>;
  gates: GateResult[];
}

/** Promotions and rollbacks of one stage, one at a time: read releases, deploy, write. */
export async function withStageLock<T>(
  envs: LocalEnvironments,
  project: string,
  stage: string,
  opts: OperationOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const lock = await acquireLock(
    join(envs.home, 'locks', project, `releases-${stage}.lock`),
    `the releases of stage ${stage}`,
    {
      timeoutMs: 30 * 60_000,
      signal: opts.signal,
      onWait: (pid) =>
        opts.onEvent?.({
          type: 'step',
          message: `waiting for another promotion or rollback of ${stage} (pid ${pid})`,
        }),
    },
  );
  try {
    // A team's shared state: one promotion of the stage at a time on every machine too.
    return await withTeamLock(
      envs.home,
      `${project}/releases-${stage}`,
      `the releases of stage ${stage}`,
      30 * 60_000,
      fn,
    );
  } finally {
    lock.release();
  }
}

/** Deploys a release; a failed deploy is audited too (the stage may run part of it). */
export async function deployAudited(
  envs: LocalEnvironments,
  spec: Spec,
  stage: StageSpec,
  release: Release,
  from: Release['from'],
  opts: PipelineOptions & OperationOptions,
) {
  const started = Date.now();
  try {
    return await deployRelease(envs, spec, stage, release, opts);
  } catch (err) {
    // On a Swarm stage, a release that failed its health check was rolled back by Swarm itself.
    const rolledBack = await automaticRollbacks(projectSlug(spec.name), stage, started);
    await appendAudit(envs.home, projectSlug(spec.name), {
      at: new Date().toISOString(),
      actor: opts.actor,
      action: 'promote-failed',
      stage: stage.name,
      from,
      release: release.number,
      images: release.images,
      note: `${release.rollbackOf ? 'rollback' : 'promotion'} failed: ${(err as Error).message.split('\n')[0]}; run it again once fixed`,
    });
    if (rolledBack.length) {
      opts.onEvent?.({ type: 'step', message: `Swarm rolled back ${rolledBack.map((r) => r.service).join(', ')}` });
      await appendAudit(envs.home, projectSlug(spec.name), {
        at: new Date().toISOString(),
        actor: 'swarm',
        action: 'rollback-automatic',
        stage: stage.name,
        from,
        release: release.number,
        note: `Swarm rolled the rollout of release ${release.number} back by itself; the stage runs the release it ran before. ${rolloutNote(rolledBack)}`,
      });
    }
    throw err;
  }
}

/** Returns a stage to the release before the one it runs now. */
export async function rollbackStage(
  envs: LocalEnvironments,
  spec: Spec,
  stageName: string,
  opts: PipelineOptions & OperationOptions & { emergency?: boolean },
): Promise<PromoteResult> {
  const project = projectSlug(spec.name);
  const stage = stageWithRegistry(envs.home, spec, pipelineStage(spec, stageName).stage);
  return withStageLock(envs, project, stageName, opts, async () => {
    const history = readReleases(envs.home, project, stageName);
    intactAudit(envs.home, project); // a rollback that cannot be audited is not deployed
    const closed = await rollbackWindows(spec, stageName, opts.now ?? (() => new Date()), !!opts.emergency);
    const idx = history.releases.findIndex((r) => r.number === history.current);
    const current = history.releases[idx];
    const previous = idx > 0 ? rollbackTarget(history.releases, idx) : undefined;
    if (!current || !previous) {
      throw new SlipwayError('release-not-found', `Stage ${stageName} has no earlier release to roll back to.`, {
        hint: 'See `slipway history --stage ' + stageName + '`.',
      });
    }
    const rollback = { project, stage: stageName, current, target: previous };
    const approvers = closed.length ? await requireEmergencyApprovals(envs.home, spec, rollback, opts.actor) : [];
    const release: Release = {
      ...previous,
      number: history.releases[history.releases.length - 1].number + 1,
      at: (opts.now ?? (() => new Date()))().toISOString(),
      by: opts.actor,
      // A rollback to a rollback restores the release that one restored.
      rollbackOf: previous.rollbackOf ?? previous.number,
    };
    // On a Swarm stage, Swarm's own rollback first where it leads to the target; the deploy then finds it there.
    const bySwarm = await swarmRollbackOrNot(project, stage, current, previous, opts);
    const up = await deployAudited(envs, spec, stage, release, release.from, opts);
    writeReleases(envs.home, { ...history, releases: [...history.releases, release], current: release.number });
    await appendAudit(envs.home, project, {
      at: release.at,
      actor: opts.actor,
      action: closed.length ? 'rollback-emergency' : 'rollback',
      stage: stageName,
      from: release.from,
      release: release.number,
      images: release.images,
      note: `rolled back from release ${current.number} to release ${previous.number}${closed.length ? `, in an emergency outside the window (${closed.join('; ')}), approved by ${approvers.join(', ')}` : ''}${bySwarm ? `; by Swarm's own rollback: ${rolloutNote(bySwarm)}` : ''}`,
    });
    return { stage: stageName, release: release.number, images: release.images, urls: up.urls, gates: [] };
  });
}

async function deployRelease(
  envs: LocalEnvironments,
  spec: Spec,
  stage: StageSpec,
  release: Release,
  opts: OperationOptions,
) {
  await shipRelease(envs, spec, stage, release, opts);
  const stageSpec: Spec = {
    ...spec,
    services: release.services,
    databases: release.databases,
    data: release.data,
    mocks: release.mocks as Spec['mocks'],
  };
  return envs.up(stageSpec, stageBranch(stage.name), {
    ...opts,
    dockerHost: stage.dockerHost,
    viaPipeline: true,
  });
}
