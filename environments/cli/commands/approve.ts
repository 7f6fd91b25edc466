// `slipway approve`: approve promoting a branch's or stage's current commit to a stage, saying plainly when the approval will not count.
import { commitAuthor } from '../../git';
import type { Spec } from '../../spec/types';
import { str, type Command } from '../context';
import { pipelineOptions, promotionFor, promotionOptions } from '../pipeline';
import { printJson } from '../print';

export const approve: Command = {
  summary:
    "Sign an approval of promoting what a branch or stage runs now (commit, image digests, spec) to a stage; the range's own authors do not count",
  options: {
    ...promotionOptions,
    comment: { type: 'string', arg: 'TEXT', help: 'a note kept with the approval' },
    key: {
      type: 'string',
      arg: 'FILE',
      help: "the SSH key to sign with (default: git config user.signingkey, else the ssh-agent's first key); its public key must be in the allowed_signers file the protected spec names",
    },
    ...pipelineOptions,
  },
  async run(ctx) {
    const { spec, pipeline, actor, from, to } = await promotionFor(ctx);
    const r = await pipeline.approve(spec, from, to, { actor, comment: str(ctx, 'comment'), key: str(ctx, 'key') });
    // The change's author, as the approval gate sees it, when the approval is for a branch's commit.
    const author = 'branch' in from ? await commitAuthor(spec.dir, 'HEAD') : undefined;
    const why = notCounted(spec, to, actor, author);
    if (ctx.json) printJson(ctx, { ...r, actor, counts: why === undefined, ...(why ? { notCounted: why } : {}) });
    else {
      ctx.out(
        `Signed approval recorded for ${actor}. Signed approvals so far: ${r.approvers.join(', ')} (the approval gate checks each against allowed_signers)`,
      );
      if (why) ctx.err(`${ctx.paint.yellow('note')}: this approval will not count: ${why}.`);
    }
    return 0;
  },
};

/** Why an approval by `actor` will not count toward the stage's approval gate, or undefined when it will. */
export function notCounted(spec: Spec, to: string, actor: string, author: string | undefined): string | undefined {
  const gates = spec.pipeline?.stages.find((s) => s.name === to)?.gates ?? [];
  if (!gates.some((g) => g.kind === 'approval'))
    return `stage ${to} has no approval gate, so no approval is needed or counted`;
  if (author !== undefined && author.trim().toLowerCase() === actor.trim().toLowerCase()) {
    return `${actor} is the author of the change, and the author's own approval does not count (someone else must approve)`;
  }
  return undefined;
}
