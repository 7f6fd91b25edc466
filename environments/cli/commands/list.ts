// `slipway list`: the environments of the spec's project, or of every project with --all.
import { engine, specOf, type Command } from '../context';
import { common, engineOptions } from '../options';
import { printJson, printStatus } from '../print';

export const list: Command = {
  summary: "List the spec project's environments (all projects with --all)",
  options: {
    spec: { ...common.spec, conflicts: ['all'] },
    all: { type: 'boolean', default: false, help: 'every project on this machine' },
    ...engineOptions,
  },
  readOnly: true,
  async run(ctx) {
    const project = ctx.values.all ? undefined : (await specOf(ctx)).name;
    const envs = await engine(ctx);
    const all = await envs.list(project);
    if (ctx.json) printJson(ctx, all);
    else if (all.length === 0) ctx.out(project ? `No environments for ${project}.` : 'No environments.');
    else for (const s of all) printStatus(ctx, s);
    return 0;
  },
};
