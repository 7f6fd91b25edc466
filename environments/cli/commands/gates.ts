// `slipway gates`: run (or, with --stored, show the last run of) a promotion's gates; exit 4 unless every gate passes.
import { progress, type Command } from '../context';
import { EXIT } from '../exit';
import { pipelineOptions, promotionFor, promotionOptions } from '../pipeline';
import { printGates, printJson } from '../print';

export const gates: Command = {
  summary: "Run the gates of a promotion and show each one's state, reason and evidence (exit 4 unless all pass)",
  options: {
    ...promotionOptions,
    stored: {
      type: 'boolean',
      help: 'show the evidence stored by the last run, without running the gates',
      conflicts: ['as'],
    },
    ...pipelineOptions,
  },
  async run(ctx) {
    const { spec, pipeline, actor, from, to } = await promotionFor(ctx);
    const results = ctx.values.stored
      ? pipeline.storedGates(spec, from, to)
      : await pipeline.gates(spec, from, to, { actor, signal: ctx.signal, onEvent: progress(ctx) });
    if (ctx.json) printJson(ctx, results);
    else printGates(ctx, results);
    return results.every((r) => r.state === 'pass') ? EXIT.ok : EXIT.blocked;
  },
};
