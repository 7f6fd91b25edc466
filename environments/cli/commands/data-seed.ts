// `slipway data seed`: (re)seed a running environment's database with a masked copy of its source; the spec's seed gives the defaults.
import { resolve } from 'node:path';
import { connectDocker } from '../../docker/engine';
import { MaskingPolicyError } from '../../data';
import { seedDatabase } from '../../data/preview-seed';
import { envNames } from '../../naming';
import type { DatabaseSpec } from '../../spec/types';
import { engine, progress, requireEnvironment, specAndBranch, str, type Context, type Command } from '../context';
import { checkDatabase } from '../database-url';
import { common, engineOptions, usageError } from '../options';
import { printJson } from '../print';
import { sourceUrl } from './data-source';

/** The database to seed: --database, else the spec's only seeded one (or its only database). */
function chosenDatabase(ctx: Context, databases: DatabaseSpec[], named?: string): DatabaseSpec {
  if (named !== undefined) return checkDatabase({ databases } as never, named);
  const seeded = databases.filter((d) => d.seed);
  const candidates = seeded.length ? seeded : databases;
  if (candidates.length !== 1)
    throw usageError(
      ctx.command,
      `--database NAME is needed: the spec has ${candidates.length ? candidates.map((d) => d.name).join(', ') : 'no database'}`,
    );
  return candidates[0];
}

export const dataSeed: Command = {
  summary:
    "Re-seed a running environment's database with a masked copy of its source (the spec's seed gives source and policy)",
  options: {
    branch: common.branch,
    spec: common.spec,
    database: {
      type: 'string',
      arg: 'NAME',
      help: "the database, as named in the spec (default: the spec's seeded database)",
    },
    source: {
      type: 'string',
      arg: 'URL',
      help: "the source, postgres://user:password@host:port/database (default: the spec's seed.source; the password is never shown)",
    },
    policy: { type: 'string', short: 'p', arg: 'FILE', help: "the masking policy (default: the spec's seed.policy)" },
    fresh: {
      type: 'boolean',
      default: false,
      help: "mask anew from the source into this database, instead of cloning the project's masked snapshot",
    },
    ...engineOptions,
  },
  async run(ctx) {
    const { spec, branch } = await specAndBranch(ctx);
    const db = chosenDatabase(ctx, spec.databases, str(ctx, 'database'));
    const given = str(ctx, 'source') !== undefined ? sourceUrl(ctx) : undefined;
    const policyFile = str(ctx, 'policy') !== undefined ? resolve(String(str(ctx, 'policy'))) : undefined;
    if (!db.seed && (!given || !policyFile)) {
      throw usageError(
        ctx.command,
        `database "${db.name}" has no seed in ${spec.file}: give --source and --policy, or add databases.${db.name}.seed to the spec`,
      );
    }
    const seeded: DatabaseSpec = {
      ...db,
      seed: db.seed ?? { source: { env: 'SLIPWAY_SEED_SOURCE' }, policy: policyFile! },
    };
    const envs = await engine(ctx);
    await requireEnvironment(envs, spec.name, branch);
    const names = envNames(spec.name, branch);
    const target = {
      home: envs.home,
      project: names.project,
      env: names.env,
      docker: connectDocker(envs.dockerHost),
      container: names.container(db.name),
    };
    if (!ctx.json) ctx.err(`Seeding ${db.name} of ${spec.name} / ${branch} ...`);
    let done;
    try {
      done = await seedDatabase(target, seeded, {
        signal: ctx.signal,
        onEvent: progress(ctx),
        replace: true,
        fresh: !!ctx.values.fresh,
        sourceUrl: given,
        policyFile,
      });
    } catch (err) {
      if (MaskingPolicyError.is(err))
        throw new MaskingPolicyError(err.issues, 'Fix the masking policy and run `slipway data seed` again.');
      throw err;
    }
    if (ctx.json) printJson(ctx, { branch, database: db.name, ...done });
    else
      ctx.out(
        `${db.name}: ${done.rows} rows in ${done.tables} tables from ${done.source} (policy ${done.policyHash.slice(0, 12)}${done.snapshot ? `, snapshot ${done.snapshot}${done.clone ? ` ${done.clone === 'overlay' ? 'layered' : 'copied'}` : ''}` : ', masked anew'}, ${(done.durationMs / 1000).toFixed(1)}s)`,
      );
    return 0;
  },
};
