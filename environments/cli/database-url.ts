// A database's connection URL on 127.0.0.1 for `slipway url --database` and `slipway data seed`: read from its running container, password masked unless asked for.
import { SlipwayError } from '../errors';
import { connectDocker } from '../docker/engine';
import { databaseHostUrl } from '../data/preview-seed';
import { maskedUrl } from '../data/source';
import { envNames } from '../naming';
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

export async function databaseUrl(
  ctx: Context,
  spec: Spec,
  branch: string,
  name: string,
  showSecrets: boolean,
): Promise<string> {
  const db = checkDatabase(spec, name);
  const envs = await engine(ctx);
  await requireEnvironment(envs, spec.name, branch);
  const docker = connectDocker(envs.dockerHost);
  const container = envNames(spec.name, branch).container(db.name);
  const url = await databaseHostUrl(docker, container, db).catch((err: unknown) => {
    if (SlipwayError.is(err)) throw err;
    throw new SlipwayError(
      'not-found',
      `The database ${db.name} of ${spec.name} / ${branch} is not running (${(err as Error).message}).`,
      { hint: 'Run `slipway up` for the branch.' },
    );
  });
  return showSecrets ? url : maskedUrl(url);
}
