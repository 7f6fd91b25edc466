/** A service container's inputs from its env files, secrets and mounts: secret env entries and Docker mounts. */
import * as pulumi from '@pulumi/pulumi';
import type { EnvNames } from '../naming';
import { readSecretEnv } from '../spec/service-extras';
import type { ServiceSpec, Spec } from '../spec/types';

/**
 * The service's env with its env files' and secrets' variables first (its own env wins, as in
 * Docker Compose); when it has any, the whole list is a Pulumi secret.
 */
export function withSecretEnv(env: pulumi.Output<string[]>, svc: ServiceSpec, spec: Spec): pulumi.Output<string[]> {
  if (!svc.envFiles?.length && !svc.secrets?.length) return env;
  return pulumi.secret(pulumi.all([secretEnvOf(env, svc, spec), env]).apply(([secret, own]) => [...secret, ...own]));
}

/** The env files' and secrets' variables alone (those the service's own env does not set), a Pulumi secret: what a Swarm stage hands over as Swarm secrets. */
export function secretEnvOf(env: pulumi.Output<string[]>, svc: ServiceSpec, spec: Spec): pulumi.Output<string[]> {
  if (!svc.envFiles?.length && !svc.secrets?.length) return pulumi.output([]);
  const secret = readSecretEnv(svc, spec.file);
  return pulumi.secret(
    env.apply((own) => {
      const ownKeys = new Set(own.map((e) => e.slice(0, e.indexOf('='))));
      return secret.filter((e) => !ownKeys.has(e.slice(0, e.indexOf('='))));
    }),
  );
}

/** Docker mounts: a named volume is this environment's own (`names.volume('vol.NAME')`); a bind mount is a folder inside the project. */
export function serviceMounts(
  svc: ServiceSpec,
  names: EnvNames,
): Array<{ volume: string; target: string; bind?: boolean; readOnly?: boolean }> {
  return (svc.mounts ?? []).map((m) =>
    m.volume !== undefined
      ? { volume: names.volume(`vol.${m.volume}`), target: m.target, readOnly: m.readOnly }
      : { volume: m.source, target: m.target, bind: true, readOnly: m.readOnly },
  );
}
