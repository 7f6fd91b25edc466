// `slipway logs`: print a service's container logs; --follow keeps printing until a signal.
import { projectSlug } from '../../naming';
import { touch } from '../../quotas/ttl';
import { checkService, engine, requireEnvironment, specAndBranch, type Command } from '../context';
import { common, engineOptions, usageError } from '../options';

export const logs: Command = {
  summary: "Print a service's container logs (stdout and stderr); --follow keeps printing",
  options: {
    service: { type: 'string', arg: 'NAME', required: true, help: 'a service or database, as named in the spec' },
    branch: common.branch,
    tail: { type: 'string', arg: 'N', default: '100', help: 'lines from the end to start with (default: 100)' },
    follow: { type: 'boolean', short: 'f', default: false, help: 'keep printing new lines (Ctrl+C stops)' },
    spec: common.spec,
    ...engineOptions,
    json: { ...common.json, help: 'a failure as JSON on stdout (log lines stay plain text)' },
  },
  readOnly: true,
  async run(ctx) {
    const tail = Number(ctx.values.tail);
    if (!/^\d+$/.test(String(ctx.values.tail)) || !Number.isSafeInteger(tail)) throw usageError(ctx.command, `--tail ${JSON.stringify(ctx.values.tail)} is not a number of lines`);
    const { spec, branch } = await specAndBranch(ctx);
    const service = checkService(spec, String(ctx.values.service));
    const envs = await engine(ctx);
    const env = await requireEnvironment(envs, spec.name, branch);
    // Following logs is activity: the environment's TTL counts from now.
    if (ctx.values.follow) await touch(envs.home, projectSlug(spec.name), env.env, { timeoutMs: 5_000 }).catch(() => undefined);
    await envs.logs(spec.name, branch, service, { tail, follow: !!ctx.values.follow, signal: ctx.signal, onLine: ctx.out });
    return 0;
  },
};
