// What the pipeline commands (gates, promote, approve, rollback, history) share: their options, the pipeline, the actor and the promotion named by --from and --to.
import { currentActor, currentBranch } from '../git';
import { LocalPipeline, type PromotionSource } from '../pipeline/pipeline';
import type { Spec } from '../spec/types';
import { checkBranch, checkStage, engine, namedStages, specOf, str, type Context } from './context';
import { common, type OptionTable } from './options';

export const pipelineOptions = {
  spec: common.spec,
  as: { type: 'string', arg: 'WHO', help: 'who acts (default: git config user.email)' },
  json: common.json,
  events: common.events,
  backend: common.backend,
  verbose: common.verbose,
  help: common.help,
} as const satisfies OptionTable;

export const promotionOptions = {
  from: { type: 'string', arg: 'NAME', help: 'the branch or stage to promote from (default: the current branch)' },
  to: { type: 'string', arg: 'STAGE', required: true, help: 'the stage to promote to' },
} as const satisfies OptionTable;

export async function pipelineFor(ctx: Context): Promise<{ spec: Spec; pipeline: LocalPipeline; actor: string }> {
  const spec = await specOf(ctx);
  const envs = await engine(ctx);
  const actor = str(ctx, 'as') ?? (await currentActor(spec.dir));
  return { spec, pipeline: new LocalPipeline(envs), actor };
}

/** `--from` names a stage when the pipeline has one of that name (other than the first), else a branch (default: the current one). */
async function promotionSource(ctx: Context, spec: Spec, value: string | undefined): Promise<PromotionSource> {
  if (value && namedStages(spec).includes(value)) return { stage: value };
  return { branch: value !== undefined ? checkBranch(ctx, value, '--from') : await currentBranch(spec.dir) };
}

/** The pipeline, plus the promotion named by `--from` and `--to` (gates, promote, approve). */
export async function promotionFor(
  ctx: Context,
): Promise<{ spec: Spec; pipeline: LocalPipeline; actor: string; from: PromotionSource; to: string }> {
  const p = await pipelineFor(ctx);
  const to = checkStage(ctx, p.spec, String(ctx.values.to), '--to');
  return { ...p, to, from: await promotionSource(ctx, p.spec, str(ctx, 'from')) };
}
