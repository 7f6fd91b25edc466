// `slipway status`: the branch environment's state, services and URLs.
import { engine, notFound, specAndBranch, type Command } from '../context';
import { branchEnvironmentOptions } from '../options';
import { printJson, printStatus } from '../print';

export const status: Command = {
  summary: "Show the branch environment's state, services and URLs",
  options: {
    ...branchEnvironmentOptions,
  },
  readOnly: true,
  async run(ctx) {
    const { spec, branch } = await specAndBranch(ctx);
    const envs = await engine(ctx);
    const s = await envs.status(spec.name, branch);
    if (s.status === 'absent') throw notFound(spec.name, branch);
    if (ctx.json) printJson(ctx, s);
    else printStatus(ctx, s);
    return 0;
  },
};
