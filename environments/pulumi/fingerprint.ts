import { createHash } from 'node:crypto';
import { PROVIDER_VERSION, hashBuildContext, type ResourceKind } from '../docker/provider';
import type { Spec } from '../spec/types';
import { pulumiType } from '../kinds';
import { secretsDigest } from '../spec/service-extras';
import type { EnvIdentity, PortMap } from './program';

/**
 * A hash of everything the environment program's resource inputs derive from: the normalized
 * spec, the content of every build context, the host ports, the provider version, the Docker
 * endpoint and the environment's identity labels (owner, creation time). Equal fingerprints mean `pulumi up` would find every input unchanged.
 */
export function programFingerprint(
  spec: Spec,
  ports: PortMap,
  dockerHost: string,
  stateId: string,
  identity: EnvIdentity,
  built: Record<string, string> = buildContextHashes(spec),
): string {
  const contexts = spec.services.map((s) => (s.build ? built[s.name] : s.image));
  const { services, databases, name } = spec;
  const secrets = secretsDigest(services, spec.file);
  return createHash('sha256')
    .update(
      JSON.stringify({
        name,
        services,
        databases,
        contexts,
        secrets,
        ports,
        PROVIDER_VERSION,
        dockerHost,
        stateId,
        identity: { owner: identity.owner ?? null, createdAt: identity.createdAt },
      }),
    )
    .digest('hex');
}

/** The content hash of each built service's context, by service: one walk of each context per operation. */
export function buildContextHashes(spec: Spec): Record<string, string> {
  return Object.fromEntries(
    spec.services.flatMap((s) => (s.build ? [[s.name, hashBuildContext(s.build.context)]] : [])),
  );
}

/** A resource of the environment program, by kind and Pulumi resource name (`web`, `web-image`, `db-volume`, ...). */
export interface ResourceRef {
  kind: ResourceKind;
  name: string;
}

/** The URN of a resource of the environment program (for targeted updates and replaces). */
export function resourceUrn(
  pulumiProject: string,
  stack: string,
  name: string,
  kind: ResourceKind = 'container',
): string {
  return `urn:pulumi:${stack}::${pulumiProject}::${pulumiType(kind)}::${name}`;
}
