// `slipway rollback`: return a stage to its previous release.
import { checkStage, progress, type Command } from '../context';
import { pipelineFor, pipelineOptions } from '../pipeline';
import { confirmStage, yesOption } from '../confirm';
import { printJson } from '../print';
import { approveRollback, rollbackApproveOptions } from '../rollback-approve';

export const rollback: Command = {
  summary: "Return a stage to its previous release (inside the stage's window, unless --emergency)",
  options: {
    stage: { type: 'string', arg: 'STAGE', required: true, help: 'the stage to roll back (staging, production, ...)' },
    emergency: { type: 'boolean', help: "roll back even outside the stage's window (audited as an emergency)" },
    ...rollbackApproveOptions,
    yes: yesOption,
    ...pipelineOptions,
  },
  async run(ctx) {
    if (ctx.values.approve) return approveRollback(ctx);
    const { spec, pipeline, actor } = await pipelineFor(ctx);
    const stage = checkStage(ctx, spec, String(ctx.values.stage));
    await confirmStage(ctx, `Roll stage ${stage} of ${spec.name} back to its previous release?`);
    const r = await pipeline.rollback(spec, stage, {
      actor,
      emergency: !!ctx.values.emergency,
      signal: ctx.signal,
      onEvent: progress(ctx),
    });
    if (ctx.json) printJson(ctx, r);
    else {
      ctx.out(`${spec.name}: ${r.stage} runs release ${r.release} (a rollback)`);
      for (const [svc, id] of Object.entries(r.images)) ctx.out(`  ${svc.padEnd(12)} ${id}`);
    }
    return 0;
  },
};
