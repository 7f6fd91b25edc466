// `slipway status`: the branch environment's state, services and URLs.
import { engine, notFound, target, type Command } from '../context';
import { targetEnvironmentOptions } from '../options';
import { printJson, printStatus } from '../print';

export const status: Command = {
  summary: "Show the branch environment's (or a stage's) state, services and URLs",
  options: {
    ...targetEnvironmentOptions,
  },
  readOnly: true,
  async run(ctx) {
    const { spec, branch, dockerHost, stage } = await target(ctx);
    const envs = await engine(ctx);
    const s = await envs.status(spec.name, branch, dockerHost);
    if (s.status === 'absent') throw notFound(spec.name, branch, stage);
    if (ctx.json) printJson(ctx, s);
    else printStatus(ctx, s);
    return 0;
  },
};
