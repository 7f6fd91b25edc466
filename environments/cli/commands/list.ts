// `slipway list`: the environments of the spec's project, or of every project with --all, and the quota use against the limits in force.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { connectDocker } from '../../docker/engine';
import { currentActor } from '../../git';
import { quotaReport } from '../../quotas/admit';
import type { QuotaUse } from '../../quotas/check';
import type { Spec } from '../../spec/types';
import { engine, specOf, type Command } from '../context';
import { common, engineOptions } from '../options';
import { printEnvironments, printJson } from '../print';

export const list: Command = {
  summary: "List the spec project's environments (all projects with --all), and the quota use",
  options: {
    spec: {
      ...common.spec,
      help: 'the spec file (default: ./slipway.yaml); with --all, only its workspace settings are read, for the quota limits',
    },
    all: { type: 'boolean', default: false, help: 'every project on this machine' },
    ...engineOptions,
  },
  readOnly: true,
  async run(ctx) {
    // With --all the spec is optional: the workspace's settings still name limits when it is there.
    const spec: Spec | undefined = ctx.values.all
      ? existsSync(resolve(String(ctx.values.spec)))
        ? await specOf(ctx)
        : undefined
      : await specOf(ctx);
    const project = ctx.values.all ? undefined : spec?.name;
    const envs = await engine(ctx);
    const dir = spec?.dir ?? process.cwd();
    // Read while the environments are: the quota use (with the engine's holdings) when limits are in force.
    const quotas = ctx.json
      ? undefined
      : quotaReport(
          { home: envs.home, stateId: envs.stateId, docker: connectDocker(envs.dockerHost) },
          dir,
          () => currentActor(dir),
          spec?.name,
        );
    quotas?.catch(() => undefined);
    const all = await envs.list(project);
    if (!quotas) printJson(ctx, all);
    else {
      if (all.length === 0) ctx.out(project ? `No environments for ${project}.` : 'No environments.');
      else printEnvironments(ctx, all);
      printQuotas(ctx, await quotas);
    }
    return 0;
  },
};

function printQuotas(ctx: Parameters<Command['run']>[0], quotas: QuotaUse[]): void {
  if (quotas.length === 0) return;
  ctx.out('Quotas:');
  for (const q of quotas)
    ctx.out(
      `  ${q.what}: ${q.text.used} of ${q.text.limit} (${q.limit.setting} in ${q.limit.source}); held by ${q.holders}`,
    );
}
