// `slipway history`: the audit log (promotions, rollbacks, gate runs, approvals, stage changes), verified against its signatures and checkpoint; exit 1 when it is broken.
import { checkStage, str, type Command } from '../context';
import { EXIT } from '../exit';
import { pipelineFor, pipelineOptions } from '../pipeline';
import { printJson } from '../print';

const { as: _as, ...options } = pipelineOptions;

export const history: Command = {
  summary: 'Show the audit log: promotions, rollbacks, gate runs and approvals (and whether it is intact)',
  options: {
    stage: { type: 'string', arg: 'STAGE', help: 'only this stage' },
    verify: {
      type: 'boolean',
      help: 'only check the log (chain, signatures, signed checkpoint): name the first bad entry and exit 1, or say it is intact',
    },
    ...options,
  },
  readOnly: true,
  async run(ctx) {
    const { spec, pipeline } = await pipelineFor(ctx);
    const stage = str(ctx, 'stage');
    const h = pipeline.history(spec, stage === undefined ? undefined : checkStage(ctx, spec, stage));
    if (ctx.json) printJson(ctx, ctx.values.verify ? h.verification : h);
    else {
      for (const e of ctx.values.verify ? [] : h.entries) {
        const from = e.from
          ? ` from ${e.from.kind} ${e.from.name}${e.from.commit ? `@${e.from.commit.slice(0, 8)}` : ''}`
          : '';
        ctx.out(
          `${String(e.seq).padStart(4)} ${e.at} ${e.actor} ${e.action} ${e.stage}${from}${e.release ? ` release ${e.release}` : ''}${e.note ? ` (${e.note})` : ''}`,
        );
      }
      ctx.out(
        h.verification.ok
          ? `audit log intact (${h.verification.entries} entries)`
          : `AUDIT LOG BROKEN at entry ${h.verification.broken?.seq}: ${h.verification.broken?.problem}`,
      );
    }
    return h.verification.ok ? EXIT.ok : EXIT.failed;
  },
};
