// `slipway up`: create or update the branch environment and wait until it is healthy.
import type { UpOptions } from '../../engine';
import { durationOption, engine, progress, specAndBranch, type Command } from '../context';
import { common, engineOptions } from '../options';
import { printJson } from '../print';

export const up: Command = {
  summary: 'Create or update the branch environment and wait until it is healthy',
  options: {
    branch: common.branch,
    spec: common.spec,
    ttl: {
      type: 'string',
      arg: 'DUR',
      help: "how long it lives without activity, such as 2h (default: the spec's ttl:, else slipway.ttl.default, else 72h)",
    },
    'keep-on-failure': {
      type: 'boolean',
      default: false,
      help: 'on a failed first up, keep what was created (default: remove it)',
    },
    ...engineOptions,
  },
  async run(ctx) {
    const ttlMs = durationOption(ctx, 'ttl');
    const { spec, branch } = await specAndBranch(ctx);
    const envs = await engine(ctx);
    if (!ctx.json) ctx.err(`Previewing ${spec.name} / ${branch} ...`);
    const started = Date.now();
    const opts: UpOptions & { keepOnFailure?: boolean } = {
      signal: ctx.signal,
      onEvent: progress(ctx),
      keepOnFailure: !!ctx.values['keep-on-failure'],
      ttlMs,
    };
    const r = await envs.up(spec, branch, opts);
    if (ctx.json) {
      printJson(ctx, { env: r.env, branch: r.branch, stack: r.stack, status: 'running', urls: r.urls });
    } else {
      ctx.out(`${spec.name} / ${branch} is running (${((Date.now() - started) / 1000).toFixed(1)}s)`);
      for (const [svc, url] of Object.entries(r.urls)) ctx.out(`  ${svc.padEnd(12)} ${url}`);
    }
    return 0;
  },
};
