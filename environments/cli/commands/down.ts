// `slipway down`: remove a branch's (or stage's) environment, or every branch environment the current git user brought up.
import { currentActor } from '../../git';
import { downStage } from '../../pipeline/stage-ops';
import { engine, notFound, progress, specOf, target, type Command, type Context } from '../context';
import { confirmStage, yesOption } from '../confirm';
import { common, engineOptions } from '../options';
import { printJson } from '../print';

export const down: Command = {
  summary: 'Remove the branch (or stage) environment: its containers, network, volumes, images and stack',
  options: {
    branch: { ...common.branch, conflicts: ['stage', 'mine'] },
    stage: { type: 'string', arg: 'NAME', help: 'a pipeline stage (staging, production, ...)', conflicts: ['mine'] },
    mine: {
      type: 'boolean',
      default: false,
      help: 'every branch environment of the project that you (git user.email) brought up',
    },
    yes: yesOption,
    spec: common.spec,
    ...engineOptions,
  },
  async run(ctx) {
    if (ctx.values.mine) return downMine(ctx);
    const { spec, branch, dockerHost, stage } = await target(ctx);
    const envs = await engine(ctx);
    const before = await envs.status(spec.name, branch, dockerHost);
    if (stage !== undefined && before.status !== 'absent')
      await confirmStage(ctx, `Remove stage ${stage} of ${spec.name} (its containers, volumes and data)?`);
    if (!ctx.json && before.status !== 'absent') ctx.err(`Tearing down ${spec.name} / ${branch} ...`);
    // Run even when nothing is recorded or running: a stack left by an interrupted first up goes too.
    const opts = { signal: ctx.signal, onEvent: progress(ctx), dockerHost };
    const r = stage
      ? await downStage(envs, spec, stage, { ...opts, actor: await currentActor(spec.dir) })
      : await envs.down(spec.name, branch, opts);
    if (before.status === 'absent') throw notFound(spec.name, branch, stage);
    if (ctx.json) printJson(ctx, { env: r.env, branch: r.branch, stack: r.stack, status: 'absent' });
    else ctx.out(`${spec.name} / ${branch} is gone`);
    return 0;
  },
};

/** `down --mine`: every branch environment of the project whose owner is the current git user (stages belong to the team). */
async function downMine(ctx: Context): Promise<number> {
  const spec = await specOf(ctx);
  const me = await currentActor(spec.dir);
  const envs = await engine(ctx);
  const mine = (await envs.list(spec.name)).filter((s) => s.owner === me && !s.branch.startsWith('stage:'));
  if (!ctx.json)
    ctx.err(
      mine.length
        ? `Tearing down ${mine.length} environment(s) of ${spec.name} brought up by ${me} ...`
        : `No environment of ${spec.name} was brought up by ${me}.`,
    );
  const gone: string[] = [];
  for (const s of mine) {
    await envs.down(spec.name, s.branch, { signal: ctx.signal, onEvent: progress(ctx) });
    gone.push(s.branch);
    if (!ctx.json) ctx.out(`${spec.name} / ${s.branch} is gone`);
  }
  if (ctx.json) printJson(ctx, { owner: me, removed: gone });
  return 0;
}
