/**
 * The changes to a stage's environment besides promotion and rollback, each audited: reapply
 * (redeploys the current release's pinned images and spec, never the working tree), accept (takes
 * what runs into the state) and down. Drift of a stage is judged against its release too.
 */
import { join } from 'node:path';
import type { LocalEnvironments } from '../engine';
import type { DownResult } from '../pulumi/protocol';
import type { ResourceRef } from '../pulumi/fingerprint';
import { SlipwayError } from '../errors';
import type { OperationOptions } from '../events';
import { acquireLock } from '../lock';
import { withTeamLock } from '../state/store';
import { projectSlug, stageBranch } from '../naming';
import type { Spec } from '../spec/types';
import { appendAudit, intactAudit, type AuditAction } from './audit';
import type { DriftReport } from './drift';
import { readReleases, type Release } from './releases';

export interface StageOpOptions extends OperationOptions {
  /** Who acts (git user email). */
  actor: string;
  dockerHost?: string;
  resources?: ResourceRef[];
}

/** The stage's current release, and the spec it deployed (pinned images: nothing is rebuilt). */
export function releaseSpec(home: string, spec: Spec, stage: string): { spec: Spec; release: Release } {
  const history = readReleases(home, projectSlug(spec.name), stage);
  const release = history.releases.find((r) => r.number === history.current);
  if (!release) {
    throw new SlipwayError(
      'release-not-found',
      `Stage ${stage} runs no release, so there is nothing to judge its drift by or redeploy.`,
      {
        hint: `Promote to ${stage} first (slipway promote --to ${stage}).`,
      },
    );
  }
  return {
    spec: {
      ...spec,
      services: release.services,
      databases: release.databases,
      data: release.data,
      mocks: release.mocks as Spec['mocks'],
    },
    release,
  };
}

/** Drift of a stage against its current release (not the working tree's spec). */
export function stageDrift(
  envs: LocalEnvironments,
  spec: Spec,
  stage: string,
  opts: OperationOptions & { dockerHost?: string },
): Promise<DriftReport> {
  return envs.drift(releaseSpec(envs.home, spec, stage).spec, stageBranch(stage), opts);
}

/** Makes the stage run its current release again: its pinned images and spec, audited. */
export function reapplyStage(
  envs: LocalEnvironments,
  spec: Spec,
  stage: string,
  opts: StageOpOptions,
): Promise<DriftReport> {
  return audited(envs, spec, stage, 'stage-reapply', opts, async (release) => {
    const report = await envs.reapply(releaseSpec(envs.home, spec, stage).spec, stageBranch(stage), {
      ...opts,
      viaPipeline: true,
    });
    return {
      result: report,
      note: `reapplied release ${release?.number}${opts.resources ? ` (${opts.resources.map((r) => r.name).join(', ')})` : ''}; ${report.items.length} difference(s) remain`,
    };
  });
}

/** Takes what the stage runs into its state, audited: the stage then differs from its release on purpose. */
export function acceptStage(
  envs: LocalEnvironments,
  spec: Spec,
  stage: string,
  opts: StageOpOptions,
): Promise<DriftReport> {
  return audited(envs, spec, stage, 'stage-accept', opts, async (release) => {
    const report = await envs.acceptDrift(releaseSpec(envs.home, spec, stage).spec, stageBranch(stage), {
      ...opts,
      viaPipeline: true,
    });
    return { result: report, note: `accepted what runs into the state of release ${release?.number}` };
  });
}

/** Removes the stage's environment, audited. */
export function downStage(
  envs: LocalEnvironments,
  spec: Spec,
  stage: string,
  opts: StageOpOptions,
): Promise<DownResult> {
  return audited(envs, spec, stage, 'stage-down', opts, async (release) => ({
    result: await envs.down(spec.name, stageBranch(stage), opts),
    note: release ? `removed the environment running release ${release.number}` : 'removed the environment',
  }));
}

/** Runs `fn` holding the stage's release lock; audits it done, or failed. An action that cannot be audited is not run. */
async function audited<T>(
  envs: LocalEnvironments,
  spec: Spec,
  stage: string,
  action: AuditAction,
  opts: StageOpOptions,
  fn: (release: Release | undefined) => Promise<{ result: T; note: string }>,
): Promise<T> {
  const project = projectSlug(spec.name);
  intactAudit(envs.home, project);
  const lock = await acquireLock(
    join(envs.home, 'locks', project, `releases-${stage}.lock`),
    `the releases of stage ${stage}`,
    {
      timeoutMs: 30 * 60_000,
      signal: opts.signal,
      onWait: (pid) => opts.onEvent?.({ type: 'step', message: `waiting for another change to ${stage} (pid ${pid})` }),
    },
  );
  try {
    // A team's shared state: one change to the stage at a time on every machine too.
    return await withTeamLock(
      envs.home,
      `${project}/releases-${stage}`,
      `the releases of stage ${stage}`,
      30 * 60_000,
      async () => {
        const history = readReleases(envs.home, project, stage);
        const release = history.releases.find((r) => r.number === history.current);
        const entry = { actor: opts.actor, action, stage, release: release?.number, images: release?.images };
        try {
          const { result, note } = await fn(release);
          await appendAudit(envs.home, project, { at: new Date().toISOString(), ...entry, note });
          return result;
        } catch (err) {
          await appendAudit(envs.home, project, {
            at: new Date().toISOString(),
            ...entry,
            note: `failed: ${(err as Error).message.split('\n')[0]}`,
          });
          throw err;
        }
      },
    );
  } finally {
    lock.release();
  }
}
