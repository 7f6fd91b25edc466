// A database's connection URL on 127.0.0.1 for `slipway url --database` (of a branch or a stage), and the database check `slipway data seed` shares: read from its running container, password masked unless asked for.
import { SlipwayError } from '../errors';
import { connectDocker } from '../docker/engine';
import { databaseHostUrl } from '../data/preview-seed';
import { maskedUrl } from '../data/source';
import { envNames } from '../naming';
import { isLocalEngine } from '../engine/status';
import type { DatabaseSpec, Spec } from '../spec/types';
import { engine, requireEnvironment, type Context } from './context';

export function checkDatabase(spec: Spec, name: string): DatabaseSpec {
  const db = spec.databases.find((d) => d.name === name);
  if (!db) {
    const names = spec.databases.map((d) => d.name);
    throw new SlipwayError(
      'service-not-found',
      `${spec.file} has no database "${name}"${names.length ? `: it has ${names.join(', ')}` : ': it declares none'}.`,
    );
  }
  return db;
}

/**
 * The URL of database `name` of the branch's environment, or of a stage's (`branch` is then the
 * stage's engine key and `dockerHost` its endpoint, which must publish on this machine).
 */
export async function databaseUrl(
  ctx: Context,
  spec: Spec,
  branch: string,
  name: string,
  showSecrets: boolean,
  where: { dockerHost?: string; stage?: string } = {},
): Promise<string> {
  const db = checkDatabase(spec, name);
  const envs = await engine(ctx);
  if (where.dockerHost !== undefined && !isLocalEngine(where.dockerHost))
    throw new SlipwayError(
      'usage',
      `slipway url --database ${name} --stage ${where.stage}: the stage runs on its own Docker endpoint (${where.dockerHost}), whose ports are not on this machine's 127.0.0.1; connect there`,
    );
  await requireEnvironment(envs, spec.name, branch, where.dockerHost, where.stage);
  const docker = connectDocker(where.dockerHost ?? envs.dockerHost);
  const container = envNames(spec.name, branch).container(db.name);
  const url = await databaseHostUrl(docker, container, db).catch((err: unknown) => {
    if (SlipwayError.is(err)) throw err;
    throw new SlipwayError(
      'not-found',
      `The database ${db.name} of ${where.stage ? `stage ${where.stage} of ${spec.name}` : `${spec.name} / ${branch}`} is not running (${(err as Error).message}).`,
      { hint: 'Run `slipway up` for the branch.' },
    );
  });
  return showSecrets ? url : maskedUrl(url);
}
