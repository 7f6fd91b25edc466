/** The no-op `up`: answered from the record and one container listing, with no Pulumi run. */
import { environmentContainers } from '../docker/engine';
import { lockOwner } from '../lock';
import { envNames } from '../naming';
import { programFingerprint } from '../pulumi/fingerprint';
import type { UpResult } from '../pulumi/protocol';
import { inspectRecord, lockPath } from '../records';
import { isUp } from '../service-state';
import type { Spec } from '../spec/types';
import type { EngineContext } from './context';

/**
 * The result of an `up` that a Pulumi run could only find unchanged, else undefined: the file
 * backend (written by this state alone), the last `up` succeeded, its program fingerprint and
 * commit equal the spec's now, and every container it made is up (running, or a job completed).
 */
export async function unchangedSinceLastUp(
  ctx: Pick<EngineContext, 'home' | 'backendUrl' | 'dockerHost' | 'stateId' | 'docker'>,
  spec: Spec,
  branch: string,
  commit: string | undefined,
): Promise<UpResult | undefined> {
  if (!ctx.backendUrl.startsWith('file://')) return undefined;
  const names = envNames(spec.name, branch, ctx.stateId);
  // A damaged record says nothing reliable: a real run rebuilds it.
  const record = inspectRecord(ctx.home, names.project, names.env).record;
  if (!record?.applied || !record.ports || record.lastOperation.status !== 'succeeded') return undefined;
  if (lockOwner(lockPath(ctx.home, names.project, names.env)) !== undefined) return undefined;
  if (
    programFingerprint(spec, record.ports, ctx.dockerHost, ctx.stateId, {
      owner: record.owner,
      createdAt: record.createdAt,
    }) !== record.applied.fingerprint
  )
    return undefined;
  // A new commit is recorded by a real run (gates and approvals refer to it), even if nothing changed.
  if (commit !== record.applied.commit) return undefined;
  const live = await environmentContainers(ctx.docker, {
    project: names.project,
    env: names.env,
    state: ctx.stateId,
  });
  const up = Object.values(record.applied.containers).every((id) =>
    live.some((c) => c.containerId === id && isUp(c) && c.health !== 'unhealthy'),
  );
  if (!up) return undefined;
  return {
    project: names.project,
    env: names.env,
    branch,
    stack: names.stack,
    urls: record.urls,
    changes: { same: live.length },
  };
}

/** What a no-op `up` says it found. */
export function noOpUpMessage(spec: Spec): string {
  const jobs = spec.services.some((s) => s.job) ? ' (and every job completed)' : '';
  return `nothing changed since the last up, and every container is running${jobs}`;
}
