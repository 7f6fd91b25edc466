// The engine's one entry to quotas: an `up` admitted (limits checked, environment reserved) or refused before anything is made.
import type Docker from 'dockerode';
import { currentActor } from '../git';
import { envNames, projectSlug } from '../naming';
import { inspectRecord } from '../records';
import type { Spec } from '../spec/types';
import { limitsFor, quotaUse, reserveQuota, type QuotaUse } from './check';
import { readLimits } from './limits';
import { DEFAULT_TTL_MS, touch } from './ttl';
import { dropReservation, hostHoldings, readReservations } from './usage';

export interface QuotaContext {
  home: string;
  stateId: string;
  docker: Docker;
}

export interface Admitted {
  /** The spec to bring up: services without limits carry the per-environment default. */
  spec: Spec;
  /** Runs the `up`; if it fails and leaves no environment (a refused or failed first up), the reservation goes too. */
  run<T>(up: () => Promise<T>): Promise<T>;
}

/** Checks the quotas for bringing up `branch` from `spec` and reserves its place; throws `quota-exceeded` (exit 4) if a limit does not hold. */
export async function admitUp(ctx: QuotaContext, spec: Spec, branch: string, ttlMs?: number): Promise<Admitted> {
  const { limits, spec: limited } = limitsFor(ctx.home, spec);
  const names = envNames(spec.name, branch, ctx.stateId);
  const owner = inspectRecord(ctx.home, names.project, names.env).record?.owner ?? (await currentActor(spec.dir));
  await reserveQuota(
    ctx.docker,
    { home: ctx.home, state: ctx.stateId, project: names.project, env: names.env, branch: names.branch, owner },
    limited,
    limits,
  );
  return {
    spec: limited,
    async run(up) {
      try {
        const result = await up();
        // An up is activity: the environment lives its TTL from now (`--ttl`, the spec's, the settings').
        await touch(ctx.home, names.project, names.env, {
          ms: ttlMs ?? spec.ttlMs ?? limits.ttl?.ms ?? DEFAULT_TTL_MS,
        });
        return result;
      } catch (err) {
        if (!inspectRecord(ctx.home, names.project, names.env).record)
          await dropReservation(ctx.stateId, names.project, names.env, undefined, ctx.home).catch(() => undefined);
        throw err;
      }
    },
  };
}

/** After a `down`: the environment holds no quota any more. */
export async function releaseQuota(stateId: string, project: string, branch: string, home?: string): Promise<void> {
  const names = envNames(project, branch, stateId);
  await dropReservation(stateId, names.project, names.env, undefined, home).catch(() => undefined);
}

/**
 * The use of every limit in force, as `slipway list` and the editor show it: for the current
 * user (`owner`, asked for only when a limit is in force) and the workspace of `workspaceDir`
 * (its project `project`, when known). With no limit in force, nothing is read from the engine.
 */
export async function quotaReport(
  ctx: QuotaContext,
  workspaceDir: string | undefined,
  owner: string | (() => Promise<string>),
  project?: string,
): Promise<QuotaUse[]> {
  const limits = readLimits(ctx.home, workspaceDir);
  if (Object.keys(limits.limits).length === 0) return [];
  const [holdings, who] = await Promise.all([
    hostHoldings(ctx.docker, readReservations(undefined, ctx.home)),
    typeof owner === 'string' ? owner : owner(),
  ]);
  return quotaUse(limits, holdings, { owner: who, project: project === undefined ? undefined : projectSlug(project) });
}
