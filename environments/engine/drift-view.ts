/** `drift` without Pulumi in the common case: the environment's declared view (kept by its last `up`) against one inspect of its objects. */
import { readView, viewDrift } from '../docker/declared-view';
import { lockOwner } from '../lock';
import { envNames, isStageBranch } from '../naming';
import type { DriftReport } from '../pipeline/drift';
import { programFingerprint } from '../pulumi/fingerprint';
import { inspectRecord, lockPath } from '../records';
import type { Spec } from '../spec/types';
import type { EngineContext } from './context';

/**
 * The drift report from the declared view, or undefined when only a Pulumi run can tell: another
 * backend than this state's files, a damaged record, an operation running or not succeeded, a
 * Swarm stage, a spec whose fingerprint differs from the one applied (a preview says what `up` would change), or
 * a view that is missing or from another `up`. What it reports is what the stack worker's check
 * of Pulumi's state against Docker reports then.
 */
export async function driftFromView(
  ctx: EngineContext,
  spec: Spec,
  branch: string,
  dockerHost: string | undefined,
): Promise<DriftReport | undefined> {
  if (!ctx.backendUrl.startsWith('file://')) return undefined;
  // A Swarm stage's services are checked against Pulumi's state (the view holds containers only).
  const stage = isStageBranch(branch);
  if (stage && spec.pipeline?.stages.find((s) => s.name === stage)?.swarm) return undefined;
  const names = envNames(spec.name, branch, ctx.stateId);
  const { record, damaged } = inspectRecord(ctx.home, names.project, names.env);
  if (damaged || !record?.applied || !record.ports || record.lastOperation.status !== 'succeeded') return undefined;
  if (lockOwner(lockPath(ctx.home, names.project, names.env)) !== undefined) return undefined;
  const view = readView(ctx.home, names.project, names.env);
  if (!view || view.fingerprint !== record.applied.fingerprint) return undefined;
  const applied = record.applied.containers;
  if (view.containers.length !== Object.keys(applied).length || view.containers.some((c) => applied[c.name] !== c.id))
    return undefined;
  const host = dockerHost ?? ctx.dockerHost;
  const identity = { owner: record.owner, createdAt: record.createdAt };
  if (programFingerprint(spec, record.ports, host, ctx.stateId, identity) !== record.applied.fingerprint)
    return undefined;
  const items = await viewDrift(await ctx.reachable(dockerHost), ctx.home, view);
  return {
    project: names.project,
    env: names.env,
    branch: names.branch,
    checkedAt: new Date().toISOString(),
    exists: true,
    drifted: items.length > 0,
    items,
  };
}
