// `slipway drift`: what differs between the spec, the state and what runs; its remedies; and a watch that ends with 3 if it ever saw drift.
import type { LocalEnvironments } from '../../engine';
import { SlipwayError } from '../../errors';
import { currentActor } from '../../git';
import { acceptStage, reapplyStage, releaseSpec } from '../../pipeline/stage-ops';
import type { DriftReport } from '../../pipeline/drift';
import type { ResourceRef } from '../../pulumi/fingerprint';
import type { Spec } from '../../spec/types';
import { resourceKindOf } from '../../kinds';
import { tryParseDuration } from '../../spec/units';
import { engine, notFound, progress, requireEnvironment, str, target, type Command, type Context } from '../context';
import { EXIT } from '../exit';
import { envelopeText, okEnvelope } from '../json';
import { common, engineOptions, usageError } from '../options';
import { printDrift, printJson } from '../print';

export const drift: Command = {
  summary: 'Show what differs between the spec, the state and what runs (exit 3 when anything does)',
  options: {
    branch: { ...common.branch, conflicts: ['stage'] },
    stage: { type: 'string', arg: 'NAME', help: 'a pipeline stage (staging, production, ...)' },
    reapply: {
      type: 'boolean',
      help: 'make what runs match the spec again (recreates what drifted); on a stage, its current release (audited)',
      conflicts: ['accept', 'watch'],
    },
    accept: {
      type: 'boolean',
      help: 'take what runs into the state (the spec then shows the difference); audited on a stage',
      conflicts: ['watch'],
    },
    resource: {
      type: 'string',
      arg: 'NAME',
      help: 'only this resource (as drift names it: web, web-image, db-volume, ...)',
      needs: ['reapply', 'accept'],
      conflicts: ['watch'],
    },
    watch: {
      type: 'boolean',
      help: 'keep checking, on an interval and on Docker events, until a signal (Ctrl+C) ends it; exit 3 if drift was seen at any time',
    },
    interval: {
      type: 'string',
      arg: 'DUR',
      default: '30s',
      help: 'how often --watch checks (default: 30s)',
      needs: ['watch'],
    },
    spec: common.spec,
    ...engineOptions,
  },
  async run(ctx) {
    const intervalMs = ctx.values.watch ? intervalOf(ctx, String(ctx.values.interval)) : 0;
    const { spec: given, branch, dockerHost, stage } = await target(ctx);
    const envs = await engine(ctx);
    const opts = { signal: ctx.signal, onEvent: progress(ctx), dockerHost };
    const absent = () => notFound(given.name, branch, stage);
    // Only whether it exists: the report says nothing of health, so no service is probed over HTTP.
    await requireEnvironment(envs, given.name, branch, dockerHost, stage, { health: false });
    // A stage is judged against, and reapplied from, its current release: never the working tree.
    const spec = stage ? releaseSpec(envs.home, given, stage).spec : given;
    if (ctx.values.watch) return watch(ctx, envs, spec, branch, { ...opts, intervalMs }, absent);
    const remedy = ctx.values.reapply ? 'reapply' : ctx.values.accept ? 'accept' : undefined;
    const named = str(ctx, 'resource');
    // One resource: its drifted kinds (a service has a container and an image) from a check first.
    let resources: ResourceRef[] | undefined;
    if (named !== undefined && remedy) {
      const first = await envs.drift(spec, branch, opts);
      if (!first.exists) throw absent();
      resources = driftedResources(first, spec, branch, named, remedy);
    }
    const staged = stage && remedy ? { ...opts, resources, actor: await currentActor(given.dir) } : undefined;
    const report =
      remedy === 'reapply'
        ? await (staged
            ? reapplyStage(envs, given, stage!, staged)
            : envs.reapply(spec, branch, { ...opts, resources }))
        : remedy === 'accept'
          ? await (staged
              ? acceptStage(envs, given, stage!, staged)
              : envs.acceptDrift(spec, branch, { ...opts, resources }))
          : await envs.drift(spec, branch, opts);
    if (!report.exists) throw absent();
    if (ctx.json) printJson(ctx, report);
    else printDrift(ctx, report);
    return report.drifted ? EXIT.drift : EXIT.ok;
  },
};

/**
 * One report each time the drift changes (with --json, one compact `{ "data", "error" }` envelope per line),
 * until a signal ends the watch: 3 if any report drifted, else 0.
 */
async function watch(
  ctx: Context,
  envs: LocalEnvironments,
  spec: Spec,
  branch: string,
  opts: { signal: AbortSignal; dockerHost?: string; intervalMs: number },
  absent: () => SlipwayError,
): Promise<number> {
  let seen = false;
  let last = '';
  try {
    for await (const report of envs.watchDrift(spec, branch, opts)) {
      if (!report.exists) throw absent();
      seen ||= report.drifted;
      const key = JSON.stringify(report.items);
      if (key !== last) {
        if (ctx.json) ctx.out(envelopeText(okEnvelope(report), true));
        else printDrift(ctx, report);
      }
      last = key;
    }
  } catch (err) {
    // A signal ends a watch: the check in flight was cancelled, the answer is what was seen.
    if (!(SlipwayError.is(err, 'operation-cancelled') && ctx.signal.aborted)) throw err;
  }
  return seen ? EXIT.drift : EXIT.ok;
}

/** The drifted resources named `name` that `remedy` applies to; an error naming the drifted ones if there are none. */
function driftedResources(
  report: DriftReport,
  spec: Spec,
  branch: string,
  name: string,
  remedy: 'reapply' | 'accept',
): ResourceRef[] {
  const kinds = new Set(
    report.items
      .filter((i) => i.resource === name && i.remedies.includes(remedy))
      .map((i) => resourceKindOf(i.kind) ?? i.kind),
  );
  if (kinds.size === 0) {
    const others = [...new Set(report.items.filter((i) => i.remedies.includes(remedy)).map((i) => i.resource))];
    throw new SlipwayError(
      'not-found',
      `${spec.name} / ${branch}: resource "${name}" has no drift that --${remedy} can fix.`,
      {
        hint: others.length ? `Drifted: ${others.join(', ')}.` : 'Nothing has drifted.',
      },
    );
  }
  return [...kinds].map((kind) => ({ kind: kind as ResourceRef['kind'], name }));
}

function intervalOf(ctx: Context, text: string): number {
  const ms = tryParseDuration(text);
  if (!(ms !== undefined && ms > 0))
    throw usageError(ctx.command, `--interval ${JSON.stringify(text)} is not a duration (e.g. 500ms, 30s, 5m)`);
  return ms;
}
