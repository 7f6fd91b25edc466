/**
 * After a later `up` failed (the environment had come up before): brings back what ran before it.
 * Pulumi replaces a container by deleting it first (its name and host port carry over), so a new
 * container that never gets healthy leaves its service without one; the service is then made
 * again from the last successful `up`: its resolved spec and the very image it ran (kept until
 * an `up` succeeds), through one more `up` of that pinned spec.
 */
import type Docker from 'dockerode';
import type { SlipwayEvent } from './events';
import { envNames } from './naming';
import { inspectRecord, writeRecord, type EnvRecord } from './records';
import { environmentContainers, isUp, whatRuns } from './docker/engine';
import type { ServiceSpec, Spec } from './spec/types';

export interface RestoreContext {
  docker: Docker;
  home: string;
  stateId: string;
  onEvent?: (event: SlipwayEvent) => void;
  /** Runs an `up` of the given spec (in a stack worker). */
  up(spec: Spec): Promise<unknown>;
}

/**
 * Brings back the services and databases of `prior` (the record before the failed up) that no
 * longer run, then says in the record that the up failed, why (`error`), and what runs now.
 * Returns that sentence on what runs, and whether anything was brought back.
 */
export async function restoreAfterFailedUp(
  ctx: RestoreContext,
  spec: Spec,
  branch: string,
  prior: EnvRecord,
  error: string,
): Promise<{ runs: string; restored: string[] }> {
  const names = envNames(spec.name, branch, ctx.stateId);
  const sel = { project: names.project, env: names.env, state: ctx.stateId };
  const live = await environmentContainers(ctx.docker, sel);
  const lost = Object.keys(prior.applied?.containers ?? {}).filter(
    (name) => !live.some((c) => c.service === name && isUp(c)),
  );
  let restored: string[] = [];
  let note = '';
  if (lost.length > 0 && prior.ran) {
    const services = await pinnedServices(ctx.docker, prior);
    if (services) {
      ctx.onEvent?.({ type: 'step', message: `bringing back what ran before the failed up: ${lost.join(', ')}` });
      try {
        await ctx.up({ ...spec, services, databases: prior.ran.databases });
        restored = lost;
      } catch (err) {
        note = `; bringing back what ran before failed too: ${(err as Error).message.split('\n')[0]}`;
      }
    } else note = '; what ran before cannot be brought back: its image is gone';
  }
  const runs =
    (await whatRuns(ctx.docker, sel, [...prior.services, ...prior.databases])) +
    (restored.length ? ` (${restored.join(', ')} as before the failed up)` : '') +
    note;
  // The restoring up recorded a success: the record says again that the up failed, and what runs.
  const record = inspectRecord(ctx.home, names.project, names.env).record;
  if (record) {
    writeRecord(ctx.home, {
      ...record,
      updatedAt: new Date().toISOString(),
      lastOperation: { op: 'up', status: 'failed', at: new Date().toISOString(), error: `${error}\n${runs}` },
    });
  }
  return { runs, restored };
}

/** The last successful up's services, each built one pinned to the image it ran; undefined if one is gone. */
async function pinnedServices(docker: Docker, prior: EnvRecord): Promise<ServiceSpec[] | undefined> {
  const out: ServiceSpec[] = [];
  for (const svc of prior.ran?.services ?? []) {
    const image = prior.applied?.images[svc.name];
    if (!svc.build) out.push(svc);
    else if (!image) return undefined;
    else {
      try {
        await docker.getImage(image).inspect();
      } catch {
        return undefined;
      }
      out.push({ ...svc, build: undefined, image });
    }
  }
  return out;
}
