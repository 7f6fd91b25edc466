// `slipway gc`: tear down expired environments (--merged: also those of deleted or merged branches) and remove Docker objects labelled for this state that belong to no environment; --watch keeps doing it.
import { SlipwayError } from '../../errors';
import { collectGarbage, type GcReport } from '../../quotas/gc';
import { readLimits } from '../../quotas/limits';
import { dirname } from 'node:path';
import { durationOption, engine, specOf, type Command, type Context } from '../context';
import { envelopeText, okEnvelope } from '../json';
import { common, engineOptions } from '../options';

export const gc: Command = {
  summary:
    'Tear down expired environments (--merged: and those of deleted or merged branches) and remove orphaned Docker objects and images of this state (--dry-run: only list them)',
  options: {
    'dry-run': { type: 'boolean', default: false, help: 'list what would be removed, remove nothing' },
    watch: {
      type: 'boolean',
      default: false,
      help: 'collect again every --interval until a signal (Ctrl+C) ends it',
      conflicts: ['dry-run'],
    },
    interval: {
      type: 'string',
      arg: 'DUR',
      default: '5m',
      help: 'how often --watch collects (default: 5m)',
      needs: ['watch'],
    },
    merged: {
      type: 'boolean',
      default: false,
      help: "also tear down the spec's environments whose branch is deleted locally or merged into the default branch",
    },
    spec: { ...common.spec, needs: ['merged'] },
    ...engineOptions,
  },
  async run(ctx) {
    const intervalMs = ctx.values.watch ? (durationOption(ctx, 'interval') ?? 300_000) : 0;
    const spec = ctx.values.merged ? await specOf(ctx) : undefined;
    const envs = await engine(ctx);
    // Environments brought up before TTLs expire by the user's or the host's default.
    const defaultTtlMs = readLimits(envs.home).ttl?.ms;
    const once = async () => {
      const report = await collectGarbage(envs, {
        dryRun: !!ctx.values['dry-run'],
        signal: ctx.signal,
        defaultTtlMs,
        merged: spec ? { dir: dirname(spec.file), project: spec.name } : undefined,
        onProgress: (l) => !ctx.json && ctx.err(l),
      });
      print(ctx, report);
      return report;
    };
    if (!ctx.values.watch) {
      const report = await once();
      const failed = [...report.expired, ...(report.finished ?? [])].filter((e) => e.error);
      if (failed.length)
        throw new SlipwayError(
          'operation-failed',
          `Could not tear down ${failed.map((e) => `${e.project} / ${e.branch} (${e.error})`).join('; ')}.`,
          { hint: 'Run `slipway gc` again, or `slipway down` for it.' },
        );
      return 0;
    }
    while (!ctx.signal.aborted) {
      await once().catch((err: Error) => ctx.err(`warning: ${err.message}`));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        ctx.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
    return 0;
  },
};

function print(ctx: Context, r: GcReport): void {
  // --watch: one envelope per collection, each on its own line.
  if (ctx.json) return ctx.out(envelopeText(okEnvelope(r), !!ctx.values.watch || ctx.events));
  const verb = r.dryRun ? 'would remove' : 'removed';
  if (r.expired.length === 0 && r.orphans.length === 0 && !r.finished?.length)
    return ctx.out(`Nothing to collect (${r.at}).`);
  for (const e of r.expired)
    ctx.out(
      `expired ${e.project} / ${e.branch} (${e.owner ?? 'unknown owner'}, expired ${e.expiresAt}): ${e.error ? `failed: ${e.error}` : verb}`,
    );
  for (const f of r.finished ?? [])
    ctx.out(
      `${f.reason === 'merged' ? `merged into ${f.into}` : 'branch deleted'} ${f.project} / ${f.branch} (${f.owner ?? 'unknown owner'}): ${f.error ? `failed: ${f.error}` : verb}`,
    );
  for (const o of r.orphans)
    ctx.out(
      `orphaned ${o.project} / ${o.env}: ${o.containers} container(s), ${o.networks} network(s), ${o.volumes} volume(s), ${o.images ?? 0} image(s): ${verb}`,
    );
}
