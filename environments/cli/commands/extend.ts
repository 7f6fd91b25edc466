// `slipway extend`: activity on the branch environment: its TTL counts from now, or its expiry moves later by --by.
import { projectSlug } from '../../naming';
import { touch } from '../../quotas/ttl';
import { durationOption, engine, requireEnvironment, specAndBranch, type Command } from '../context';
import { common, engineOptions } from '../options';
import { printJson } from '../print';

export const extend: Command = {
  summary: 'Keep the branch environment alive: its TTL counts from now (--by: its expiry moves that much later)',
  options: {
    branch: common.branch,
    by: {
      type: 'string',
      arg: 'DUR',
      help: 'move the expiry this much later, such as 4h (default: the TTL again, from now)',
    },
    spec: common.spec,
    ...engineOptions,
  },
  async run(ctx) {
    const by = durationOption(ctx, 'by');
    const { spec, branch } = await specAndBranch(ctx);
    const envs = await engine(ctx);
    const s = await requireEnvironment(envs, spec.name, branch);
    const ttl = await touch(envs.home, projectSlug(spec.name), s.env, { by });
    if (ctx.json) printJson(ctx, { branch, env: s.env, expires: ttl?.expiresAt, lastActivity: ttl?.lastActivity });
    else ctx.out(`${spec.name} / ${branch} expires ${ttl?.expiresAt ?? 'never (it has no record)'}`);
    return 0;
  },
};
