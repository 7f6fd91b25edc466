// `slipway promote`: deploy a branch's or stage's exact images to the next stage, if its gates pass (exit 4 when they do not).
import { progress, type Command } from '../context';
import { pipelineOptions, promotionFor, promotionOptions } from '../pipeline';
import { printGates, printJson } from '../print';

export const promote: Command = {
  summary: 'Promote a branch or stage to the next stage, if its gates pass: the same image digests, never a rebuild',
  options: { ...promotionOptions, ...pipelineOptions },
  async run(ctx) {
    const { spec, pipeline, actor, from, to } = await promotionFor(ctx);
    const r = await pipeline.promote(spec, from, to, { actor, signal: ctx.signal, onEvent: progress(ctx) });
    if (ctx.json) printJson(ctx, r);
    else {
      ctx.out(`${spec.name}: ${to} runs release ${r.release}`);
      printGates(ctx, r.gates);
      for (const [svc, id] of Object.entries(r.images)) ctx.out(`  ${svc.padEnd(12)} ${id}`);
      for (const [svc, link] of Object.entries(r.urls)) ctx.out(`  ${svc.padEnd(12)} ${link}`);
    }
    return 0;
  },
};
