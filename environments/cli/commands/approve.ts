// `slipway approve`: approve promoting a branch's or stage's current commit to a stage.
import { str, type Command } from '../context';
import { pipelineOptions, promotionFor, promotionOptions } from '../pipeline';
import { printJson } from '../print';

export const approve: Command = {
  summary: "Sign an approval of promoting what a branch or stage runs now (commit, image digests, spec) to a stage; the range's own authors do not count",
  options: {
    ...promotionOptions,
    comment: { type: 'string', arg: 'TEXT', help: 'a note kept with the approval' },
    key: { type: 'string', arg: 'FILE', help: 'the SSH key to sign with (default: git config user.signingkey, else the ssh-agent\'s first key); its public key must be in the allowed_signers file the protected spec names' },
    ...pipelineOptions,
  },
  async run(ctx) {
    const { spec, pipeline, actor, from, to } = await promotionFor(ctx);
    const r = await pipeline.approve(spec, from, to, { actor, comment: str(ctx, 'comment'), key: str(ctx, 'key') });
    if (ctx.json) printJson(ctx, r);
    else ctx.out(`Signed approval recorded for ${actor}. Signed approvals so far: ${r.approvers.join(', ')} (the approval gate checks each against allowed_signers)`);
    return 0;
  },
};
