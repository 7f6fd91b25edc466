// `slipway data sync`: remake the masked snapshots and re-seed the running environments whose database seed has a schedule; --watch keeps doing it on the schedules.
import { connectDocker } from '../../docker/engine';
import { syncOnce, watchSync, type SyncResult } from '../../data/sync';
import { engine, progress, specOf, type Command, type Context } from '../context';
import { common, engineOptions, usageError } from '../options';
import { envelopeText, okEnvelope } from '../json';
import { printJson } from '../print';

function report(ctx: Context, results: SyncResult[], watching = false): void {
  // A watch prints one compact envelope per line for each sync (NDJSON), as `drift --watch` does.
  if (ctx.json && watching) return ctx.out(envelopeText(okEnvelope({ databases: results }), true));
  if (ctx.json) return printJson(ctx, { databases: results });
  for (const r of results) {
    ctx.out(
      r.reseeded.length
        ? `${r.database}: snapshot ${r.snapshot} (${r.rows} rows) re-seeded ${r.reseeded.join(', ')}`
        : `${r.database}: nothing re-seeded`,
    );
  }
}

export const dataSync: Command = {
  summary:
    'Remake the masked snapshots and re-seed running environments whose database seed has a schedule (--watch: on the schedule)',
  options: {
    spec: common.spec,
    watch: {
      type: 'boolean',
      short: 'w',
      default: false,
      help: 'keep running, syncing each database when its seed.schedule fires',
    },
    ...engineOptions,
  },
  readOnly: false,
  async run(ctx) {
    const spec = await specOf(ctx);
    if (!spec.databases.some((d) => d.seed))
      throw usageError(ctx.command, `${spec.file} seeds no database (databases.<name>.seed)`);
    const envs = await engine(ctx);
    const opts = {
      home: envs.home,
      docker: connectDocker(envs.dockerHost),
      signal: ctx.signal,
      onEvent: progress(ctx),
    };
    if (ctx.values.watch) {
      if (!spec.databases.some((d) => d.seed?.schedule))
        throw usageError(ctx.command, `--watch needs a database whose seed has a schedule in ${spec.file}`);
      await watchSync(spec, { ...opts, onSync: (r) => report(ctx, r, true) });
      return 0;
    }
    report(ctx, await syncOnce(spec, opts));
    return 0;
  },
};
