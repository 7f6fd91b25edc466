/** Drift operations of an environment: the report (a stack worker run), watching it, and the two remedies (accept, reapply). */
import { SlipwayError } from '../errors';
import type { OperationOptions } from '../events';
import { resourceKindOf } from '../kinds';
import { LABEL_ENV, envNames } from '../naming';
import type { DriftItem, DriftReport } from '../pipeline/drift';
import { connectDocker } from '../docker/engine';
import type { ResourceRef } from '../pulumi/fingerprint';
import type { Spec } from '../spec/types';
import type { EngineContext } from './context';
import { driftFromView } from './drift-view';

/** What differs between the spec, Pulumi's state and the real Docker objects. */
export async function drift(
  ctx: EngineContext,
  spec: Spec,
  branch: string,
  opts: OperationOptions & { dockerHost?: string; stopGraceMs?: number } = {},
): Promise<DriftReport> {
  await ctx.reachable(opts.dockerHost);
  const known = await driftFromView(ctx, spec, branch, opts.dockerHost);
  if (known) return known;
  return (await ctx.runWorker(
    { op: 'drift', spec, branch, settings: ctx.settings(opts.dockerHost) },
    opts,
  )) as DriftReport;
}

/**
 * Drift, checked again every `intervalMs` and soon after any Docker event on the
 * environment's containers (stopped, removed, recreated), until the signal aborts.
 */
export async function* watchDrift(
  ctx: EngineContext,
  spec: Spec,
  branch: string,
  opts: OperationOptions & { dockerHost?: string; intervalMs: number },
): AsyncGenerator<DriftReport> {
  const names = envNames(spec.name, branch, ctx.stateId);
  const docker = connectDocker(opts.dockerHost ?? ctx.dockerHost);
  const events = (await docker.getEvents({
    filters: { type: ['container'], label: [`${LABEL_ENV}=${names.env}`] },
  })) as NodeJS.ReadableStream & { destroy?(): void };
  let nudged: boolean;
  let wake: (() => void) | undefined;
  events.on('data', () => {
    nudged = true;
    wake?.();
  });
  // A broken event stream leaves the interval checks; it never stops the watch.
  events.on('error', (err: Error) =>
    ctx.logger.warn(`Docker events stream: ${err.message}; checking every ${opts.intervalMs / 1000}s only`),
  );
  try {
    while (!opts.signal?.aborted) {
      nudged = false;
      yield await drift(ctx, spec, branch, opts);
      if (nudged) continue;
      await new Promise<void>((resolve) => {
        const finish = () => {
          opts.signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(finish, opts.intervalMs);
        const done = () => {
          clearTimeout(timer);
          // Let a burst of events (stop, die, destroy) settle before checking.
          setTimeout(finish, 500);
        };
        wake = done;
        opts.signal?.addEventListener('abort', done, { once: true });
      });
      wake = undefined;
    }
  } finally {
    events.destroy?.();
  }
}

/**
 * Remedy `accept`: takes reality into the state (a refresh), of every resource or of the
 * `resources` given; returns the drift that remains.
 */
export async function acceptDrift(
  ctx: EngineContext,
  spec: Spec,
  branch: string,
  opts: OperationOptions & { dockerHost?: string; resources?: ResourceRef[] } = {},
): Promise<DriftReport> {
  await ctx.reachable(opts.dockerHost);
  return (await ctx.runWorker(
    { op: 'refresh', spec, branch, settings: ctx.settings(opts.dockerHost), resources: opts.resources },
    opts,
  )) as DriftReport;
}

/**
 * Remedy `reapply`: makes reality match the spec, recreating every drifted container. With
 * `resources`, only those: what runs differently is recreated, and a spec difference is
 * applied to that resource and what depends on it (a targeted update), nothing else.
 */
export async function reapply(
  ctx: EngineContext,
  spec: Spec,
  branch: string,
  opts: OperationOptions & { dockerHost?: string; resources?: ResourceRef[] } = {},
): Promise<DriftReport> {
  const before = await drift(ctx, spec, branch, opts);
  const chosen = (i: DriftItem) =>
    !opts.resources || opts.resources.some((r) => r.kind === resourceKind(i.kind) && r.name === i.resource);
  const items = before.items.filter((i) => chosen(i) && i.remedies.includes('reapply'));
  const drifted = new Map<string, { kind: 'container' | 'network' | 'volume' | 'swarm-service'; name: string }>();
  for (const i of items) {
    if (
      i.source === 'reality' &&
      (i.kind === 'container' || i.kind === 'network' || i.kind === 'volume' || i.kind === 'swarm-service')
    )
      drifted.set(i.resource, { kind: i.kind, name: i.resource });
  }
  // A network or volume made again takes every container with it.
  if ([...drifted.values()].some((r) => r.kind === 'network' || r.kind === 'volume')) {
    for (const name of [...spec.services.map((s) => s.name), ...spec.databases.map((d) => d.name)])
      drifted.set(name, { kind: 'container', name });
  }
  const replace = [...drifted.values()];
  if (opts.resources && items.length === 0) {
    // Fixed in the meantime (a view a check behind): nothing to apply, the fresh report says so.
    const names = [...new Set(opts.resources.map((r) => r.name))];
    opts.onEvent?.({
      type: 'step',
      message: `nothing to reapply${names.length ? ` for ${names.join(', ')}` : ''}: it no longer drifts`,
    });
  }
  // A resource the spec adds needs what it depends on (its image, volume, password) made too:
  // that is a whole up. Otherwise a targeted update of the chosen resources and their dependents.
  const adds = items.some((i) => i.source === 'spec' && i.property === 'existence' && i.actual === 'missing');
  const only =
    opts.resources && !adds
      ? [
          ...new Map(
            items.map((i) => [`${i.kind}:${i.resource}`, { kind: resourceKind(i.kind), name: i.resource }]),
          ).values(),
        ]
      : undefined;
  if (adds && opts.resources)
    opts.onEvent?.({
      type: 'step',
      message: 'a resource the spec adds needs the ones it depends on: applying the whole spec',
    });
  if (items.length > 0) await ctx.up(spec, branch, { ...opts, replace, only });
  return drift(ctx, spec, branch, opts);
}

/** A drift item's kind (`container`, `image`, `generatedpassword`, ...) as a resource kind of the program. */
function resourceKind(kind: string): ResourceRef['kind'] {
  const known = resourceKindOf(kind);
  if (known) return known;
  throw new SlipwayError(
    'spec-invalid',
    `"${kind}" is not a kind of Slipway resource (container, network, volume, image, password).`,
  );
}
