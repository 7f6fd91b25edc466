// `slipway url`: print the URL of a service of the branch environment (the link to share), or a database's connection URL on 127.0.0.1.
import { SlipwayError } from '../../errors';
import { checkService, engine, requireEnvironment, str, target, type Command } from '../context';
import { targetEnvironmentOptions } from '../options';
import { printJson } from '../print';
import { databaseUrl } from '../database-url';

export const url: Command = {
  summary:
    "Print the URL of the branch environment's service (the link to share; default: its first published service), or of a database (--database)",
  options: {
    service: {
      type: 'string',
      arg: 'NAME',
      help: 'a service, as named in the spec (default: the first with a published port)',
      conflicts: ['database'],
    },
    database: {
      type: 'string',
      arg: 'NAME',
      help: "a database, as named in the spec: its postgres:// URL on 127.0.0.1 (password masked unless --show-secrets), of the branch's environment or the --stage's",
    },
    'show-secrets': {
      type: 'boolean',
      default: false,
      help: "with --database: print the database's password instead of ***",
      needs: ['database'],
    },
    ...targetEnvironmentOptions,
  },
  positional: 'service',
  readOnly: true,
  async run(ctx) {
    const { spec, branch, dockerHost, stage } = await target(ctx);
    const database = str(ctx, 'database');
    if (database !== undefined) {
      const link = await databaseUrl(ctx, spec, branch, database, !!ctx.values['show-secrets'], { dockerHost, stage });
      if (ctx.json) printJson(ctx, { branch, ...(stage ? { stage } : {}), database, url: link });
      else ctx.out(link);
      return 0;
    }
    const wanted = str(ctx, 'service');
    if (wanted !== undefined) checkService(spec, wanted);
    const envs = await engine(ctx);
    const s = await requireEnvironment(envs, spec.name, branch, dockerHost, stage);
    const service = wanted ?? Object.keys(s.urls)[0];
    const link = service ? s.urls[service] : undefined;
    if (!link) {
      throw new SlipwayError(
        'service-not-found',
        `${spec.name} / ${branch} has no URL for ${service ?? 'any service'}.`,
        { hint: 'Only services with published ports have a URL.' },
      );
    }
    if (ctx.json) printJson(ctx, { branch, ...(stage ? { stage } : {}), service, url: link });
    else ctx.out(link);
    return 0;
  },
};
