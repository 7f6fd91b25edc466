/**
 * The secret values of a Swarm service as Swarm secrets: one per variable and value (secrets are
 * immutable, so a new value is a new secret), mounted at /run/secrets/<VAR> with `<VAR>_FILE`
 * naming it in the service's env, so no value stands in the service's spec. Serialized with the
 * provider (see ../provider.ts): Node modules only through `require()` inside function bodies.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as Dockerode from 'dockerode';
import { isNotFound } from './shared';

/** The label that ties a Swarm secret to the service (by name) that uses it. */
const SECRET_OF = 'dev.slipway.secret-of';

export interface SecretRef {
  SecretID: string;
  SecretName: string;
  File: { Name: string; UID: string; GID: string; Mode: number };
}

function split(entry: string): [string, string] {
  const i = entry.indexOf('=');
  return [entry.slice(0, i), entry.slice(i + 1)];
}

/** The env entries that name each secret's file (`STRIPE_KEY_FILE=/run/secrets/STRIPE_KEY`). */
export function secretFileEnv(secretEnv: string[] | undefined): string[] {
  return (secretEnv ?? []).map((e) => `${split(e)[0]}_FILE=/run/secrets/${split(e)[0]}`);
}

/** Creates (or finds) the Swarm secret of each `VAR=value`, named by the service, the variable and a hash of the value. */
export async function ensureSecrets(
  docker: Dockerode,
  service: string,
  secretEnv: string[] | undefined,
  labels: Record<string, string>,
): Promise<SecretRef[]> {
  const crypto = require('node:crypto');
  const refs: SecretRef[] = [];
  for (const entry of secretEnv ?? []) {
    const [name, value] = split(entry);
    const hash: string = crypto.createHash('sha256').update(`${service}\0${entry}`).digest('hex').slice(0, 12);
    const secretName = `${service}-${name}-${hash}`.slice(0, 64);
    let id: string;
    try {
      id = ((await docker.getSecret(secretName).inspect()) as { ID: string }).ID;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const created = (await docker.createSecret({
        Name: secretName,
        Labels: { ...labels, [SECRET_OF]: service },
        Data: Buffer.from(value, 'utf8').toString('base64'),
      } as never)) as unknown as { id: string };
      id = created.id;
    }
    refs.push({ SecretID: id, SecretName: secretName, File: { Name: name, UID: '0', GID: '0', Mode: 0o444 } });
  }
  return refs;
}

/**
 * Removes the service's secrets that neither its spec nor its previous spec uses (the previous one
 * is what Swarm's rollback returns to); all of them once the service is gone.
 */
export async function pruneSecrets(docker: Dockerode, service: string): Promise<void> {
  const keep = new Set<string>();
  try {
    const info = (await docker.getService(service).inspect()) as {
      Spec?: { TaskTemplate?: { ContainerSpec?: { Secrets?: SecretRef[] } } };
      PreviousSpec?: { TaskTemplate?: { ContainerSpec?: { Secrets?: SecretRef[] } } };
    };
    for (const spec of [info.Spec, info.PreviousSpec])
      for (const s of spec?.TaskTemplate?.ContainerSpec?.Secrets ?? []) keep.add(s.SecretID);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const secrets = (await docker.listSecrets({
    filters: { label: [`${SECRET_OF}=${service}`] },
  } as never)) as unknown as Array<{ ID: string }>;
  for (const s of secrets) {
    if (keep.has(s.ID)) continue;
    try {
      await docker.getSecret(s.ID).remove();
    } catch (err) {
      // Still in use by a task that is stopping: the next prune takes it.
      if (!isNotFound(err) && (err as { statusCode?: number }).statusCode !== 400) throw err;
    }
  }
}
