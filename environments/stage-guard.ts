// The core's rule that a stage's environment changes only through the pipeline (promotion, rollback, an audited reapply or accept).
import { SlipwayError } from './errors';

/** Set by the pipeline alone when it changes a stage's environment. */
export interface StageAccess {
  viaPipeline?: boolean;
}

/** Refuses `what` (up, reapply, accept) on a stage's environment unless the pipeline asks for it. */
export function assertStageChange(branch: string, what: string, opts: StageAccess): void {
  if (!branch.startsWith('stage:') || opts.viaPipeline) return;
  const stage = branch.slice('stage:'.length);
  throw new SlipwayError(
    'policy-refused',
    `Refusing to ${what} stage ${stage} directly: a stage changes only by promotion and rollback, so that it runs a release that passed its gates.`,
    {
      hint: `Promote to it (slipway promote --to ${stage}); to make it run its release again use slipway drift --stage ${stage} --reapply, which redeploys the release's images and is audited.`,
    },
  );
}
