// `slipway state migrate --to postgres://...`: copies a SLIPWAY_HOME's shared state into a team's PostgreSQL (history kept, files untouched).
import { join } from 'node:path';
import { slipwayHome } from '../../paths';
import { migrateState } from '../../state/migrate';
import { str, type Command } from '../context';
import { EXIT } from '../exit';
import { common } from '../options';
import { printJson } from '../print';

export const stateMigrate: Command = {
  summary:
    "Copy this SLIPWAY_HOME's records, releases, approvals, audit log and share links into a team's PostgreSQL state",
  options: {
    to: {
      type: 'string',
      arg: 'URL',
      required: true,
      help: 'the team database: postgres://USER:PASSWORD@HOST:PORT/DATABASE (never printed with its password)',
    },
    json: common.json,
    help: common.help,
  },
  async run(ctx) {
    const result = migrateState(slipwayHome(), String(str(ctx, 'to')));
    if (ctx.json) printJson(ctx, result);
    else {
      if (result.interrupted)
        ctx.out(
          `an earlier migration to ${result.interrupted.to} (started ${result.interrupted.startedAt}) was interrupted: it committed none of its items (they are copied in one transaction), so this run copied them afresh${result.stacks.present.length ? '; stacks it had moved were kept' : ''}.`,
        );
      if (result.continued)
        ctx.out(`${result.continued} log(s) begun by an older, interrupted migration were completed.`);
      const copied = Object.entries(result.copied).map(([t, n]) => `${n} ${t.replace('slipway_', '')}`);
      ctx.out(
        `migrated to ${result.to}: ${copied.length ? copied.join(', ') : 'nothing new'}${result.unchanged ? ` (${result.unchanged} already there)` : ''}`,
      );
      if (result.stacks.copied.length)
        ctx.out(
          `Pulumi stacks moved: ${result.stacks.copied.join(', ')}; the team reads their secrets with this state's passphrase (${join(slipwayHome(), 'passphrase')}): give it to them as PULUMI_CONFIG_PASSPHRASE.`,
        );
      ctx.out(
        'set SLIPWAY_STATE_URL (or state_url in the host policy) to the same URL to use it; the files were left as they were.',
      );
    }
    return EXIT.ok;
  },
};
