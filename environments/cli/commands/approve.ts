// `slipway approve`: approve promoting a branch's or stage's current commit to a stage.
import { str, type Command } from '../context';
import { pipelineOptions, promotionFor, promotionOptions } from '../pipeline';
import { printJson } from '../print';

export const approve: Command = {
  summary: "Approve promoting a branch or stage's current commit to a stage (the author's own approval does not count)",
  options: {
    ...promotionOptions,
    comment: { type: 'string', arg: 'TEXT', help: 'a note kept with the approval' },
    ...pipelineOptions,
  },
  async run(ctx) {
    const { spec, pipeline, actor, from, to } = await promotionFor(ctx);
    const r = await pipeline.approve(spec, from, to, { actor, comment: str(ctx, 'comment') });
    if (ctx.json) printJson(ctx, r);
    else ctx.out(`Approved by ${actor}. Approvers so far: ${r.approvers.join(', ')}`);
    return 0;
  },
};
