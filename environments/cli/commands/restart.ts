// `slipway restart`: restart a service's container in place and wait until it is healthy (a job: until it completes).
import { checkService, engine, requireEnvironment, specAndBranch, type Command } from '../context';
import { branchEnvironmentOptions } from '../options';
import { printJson } from '../print';

export const restart: Command = {
  summary:
    "Restart a service's container (same container, same URL) and wait until it is healthy (a job: run it again and wait until it completes)",
  options: {
    service: {
      type: 'string',
      arg: 'NAME',
      required: true,
      help: 'a service or database, as named in the spec (or give it bare: slipway restart web)',
    },
    ...branchEnvironmentOptions,
  },
  positional: 'service',
  async run(ctx) {
    const { spec, branch } = await specAndBranch(ctx);
    const service = checkService(spec, String(ctx.values.service));
    const envs = await engine(ctx);
    await requireEnvironment(envs, spec.name, branch);
    if (!ctx.json) ctx.err(`Restarting ${service} of ${spec.name} / ${branch} ...`);
    await envs.restart(spec.name, branch, service, { signal: ctx.signal });
    const job = spec.services.some((s) => s.name === service && s.job);
    if (ctx.json) printJson(ctx, { branch, service, status: job ? 'completed' : 'healthy' });
    else ctx.out(job ? `${service} ran again and completed` : `${service} restarted and healthy`);
    return 0;
  },
};
