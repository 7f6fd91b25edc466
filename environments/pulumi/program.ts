/**
 * The Pulumi program of one environment: the spec's services and databases as Docker objects
 * (one network, a volume per database, an image per built service, a container per service and
 * database), all labelled with the environment's project, name and branch.
 */
import * as pulumi from '@pulumi/pulumi';
import type { EnvNames } from '../naming';
import { LABEL_CREATED, LABEL_OWNER, LABEL_ROLE, LABEL_SERVICE, LABEL_STAGE } from '../naming';
import { renderTemplate } from '../spec/load';
import type { DatabaseSpec, ServiceSpec, Spec, SpecRef } from '../spec/types';
import { databaseHealth } from '../docker/database-health';
import { PROVIDER_VERSION, hashBuildContext, type ContainerInputs } from '../docker/provider';
import { PULUMI_TYPE_NAMES } from '../kinds';
import { SlipwayResource, loadProviderClosure } from './provider-closure';
import { bindAddress, isLocalEngine, probeImage } from '../docker/remote';
import { serviceMounts, withSecretEnv } from './service-inputs';
import { addUrl, hostPort, publishedPorts, stackOutputs } from './stack-outputs';
import { swarmProgram, swarmStageOf } from './swarm-program';

const POSTGRES_PORT = 5432;
/** Where PostgreSQL keeps its data in the database image (a named volume of the environment). */
export const POSTGRES_DATA = '/var/lib/postgresql/data';

/** Host ports by service (or database) and container port; kept stable across `up`s. */
export type PortMap = Record<string, Record<string, number>>;

export interface ProgramInputs {
  /** SLIPWAY_HOME: where the serialized provider is kept (./provider-closure.ts). */
  home: string;
  spec: Spec;
  names: EnvNames;
  dockerHost: string;
  ports: PortMap;
  /** Who first brought the environment up and when: labels on its containers, which outlive its record. */
  identity: EnvIdentity;
  /** The content hash of each built service's context, when the caller has it (`buildContextHashes`). */
  contextHashes?: Record<string, string>;
}

export interface EnvIdentity {
  owner?: string;
  createdAt: string;
}

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

export class DockerNetwork extends SlipwayResource {
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts?: pulumi.CustomResourceOptions) {
    // Named objects: a forced replace must delete the old one before making the new one.
    super(PULUMI_TYPE_NAMES.network, name, { ...props, kind: 'network' }, { ...opts, deleteBeforeReplace: true });
  }
}
export class DockerVolume extends SlipwayResource {
  /** The Swarm node holding it (only for a volume made with `swarmNode`). */
  declare readonly node: pulumi.Output<string | undefined>;
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts?: pulumi.CustomResourceOptions) {
    super(PULUMI_TYPE_NAMES.volume, name, { ...props, kind: 'volume' }, { ...opts, deleteBeforeReplace: true });
  }
}
export class DockerImage extends SlipwayResource {
  declare readonly imageId: pulumi.Output<string>;
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts?: pulumi.CustomResourceOptions) {
    super(PULUMI_TYPE_NAMES.image, name, { ...props, kind: 'image', imageId: undefined }, opts);
  }
}
class DockerContainer extends SlipwayResource {
  declare readonly containerId: pulumi.Output<string>;
  constructor(name: string, props: Omit<Inputs<ContainerInputs>, 'kind'>, opts?: pulumi.CustomResourceOptions) {
    super(
      PULUMI_TYPE_NAMES.container,
      name,
      { ...props, kind: 'container', containerId: undefined },
      // Delete first even when a replace is forced: the name and host port carry over.
      { ...opts, additionalSecretOutputs: ['env', 'secrets'], deleteBeforeReplace: true },
    );
  }
}
export class GeneratedPassword extends SlipwayResource {
  declare readonly result: pulumi.Output<string>;
  constructor(name: string, opts?: pulumi.CustomResourceOptions) {
    super(
      PULUMI_TYPE_NAMES.password,
      name,
      { kind: 'password', providerVersion: PROVIDER_VERSION, length: 24, result: undefined },
      { ...opts, additionalSecretOutputs: ['result'] },
    );
  }
}

interface DatabaseEndpoint {
  spec: DatabaseSpec;
  password: pulumi.Output<string>;
}

/** A database's attribute as a service's env sees it: its in-network name, the port, its credentials, its URL. */
function databaseAttr(db: DatabaseEndpoint, attr: string): pulumi.Output<string> {
  const { spec } = db;
  switch (attr) {
    case 'host':
      return pulumi.output(spec.name);
    case 'port':
      return pulumi.output(String(POSTGRES_PORT));
    case 'user':
      return pulumi.output(spec.user);
    case 'name':
      return pulumi.output(spec.database);
    case 'password':
      return db.password;
    case 'url':
      return pulumi.interpolate`postgres://${spec.user}:${db.password}@${spec.name}:${POSTGRES_PORT}/${spec.database}`;
    default:
      throw new Error(`unknown database attribute ${attr}`);
  }
}

function serviceAttr(svc: ServiceSpec, attr: string): string {
  const port = svc.ports[0];
  switch (attr) {
    case 'host':
      return svc.name;
    case 'port':
      return String(port);
    case 'url':
      return `http://${svc.name}:${port}`;
    default:
      throw new Error(`unknown service attribute ${attr}`);
  }
}

/** Resolves a service's env, with references to databases (secret) and services (plain). */
export function serviceEnv(
  svc: ServiceSpec,
  spec: Spec,
  dbs: ReadonlyMap<string, DatabaseEndpoint>,
): pulumi.Output<string[]> {
  const entries = Object.entries(svc.env).map(([key, template]) => {
    const refs = template.filter((p): p is { ref: SpecRef } => typeof p !== 'string').map((p) => p.ref);
    const values = refs.map((ref) => {
      if (ref.kind === 'databases') return databaseAttr(dbs.get(ref.name)!, ref.attr);
      const target = spec.services.find((s) => s.name === ref.name)!;
      return pulumi.output(serviceAttr(target, ref.attr));
    });
    return pulumi.all(values).apply((resolved) => {
      let i = 0;
      return `${key}=${renderTemplate(template, () => resolved[i++])}`;
    });
  });
  return pulumi.all(entries);
}

export function environmentProgram(inputs: ProgramInputs): () => Promise<Record<string, unknown>> {
  // The serialized provider is read (or made) while the Pulumi CLI starts; resources need it.
  const provider = loadProviderClosure(inputs.home);
  provider.catch(() => undefined);
  const program = programFor(inputs);
  return async () => {
    await provider;
    return program();
  };
}

function programFor(inputs: ProgramInputs): () => Promise<Record<string, unknown>> {
  // A stage on a Swarm cluster runs Swarm services instead of containers.
  const swarm = swarmStageOf(inputs.spec, inputs.names.branch);
  if (swarm) return swarmProgram(inputs, swarm);
  return async () => {
    const { spec, names, dockerHost, ports, identity } = inputs;
    const base = { providerVersion: PROVIDER_VERSION, dockerHost };
    // On another engine, HTTP health checks run inside it, and URLs name its host.
    const remote = isLocalEngine(dockerHost)
      ? {}
      : {
          probeImage: probeImage(),
          ...(bindAddress(dockerHost) !== '127.0.0.1' ? { bindAddress: bindAddress(dockerHost) } : {}),
        };
    const labelsFor = (service: string) => ({ ...names.labels, [LABEL_SERVICE]: service });
    const containerLabels = (service: string, role: 'service' | 'database' | 'job') => ({
      ...labelsFor(service),
      [LABEL_ROLE]: role,
      [LABEL_CREATED]: identity.createdAt,
      ...(identity.owner ? { [LABEL_OWNER]: identity.owner } : {}),
    });

    // Images first: the services' (built from their contexts) and the databases'.
    const serviceImages = new Map<string, DockerImage>();
    for (const svc of spec.services) {
      const image = svc.build
        ? new DockerImage(`${svc.name}-image`, {
            ...base,
            tag: names.imageTag(svc.name),
            context: svc.build.context,
            dockerfile: svc.build.dockerfile,
            contextHash: inputs.contextHashes?.[svc.name] ?? hashBuildContext(svc.build.context),
            ...(svc.build.args ? { buildArgs: svc.build.args } : {}),
            ...(svc.build.target ? { target: svc.build.target } : {}),
            labels: labelsFor(svc.name),
          })
        : new DockerImage(`${svc.name}-image`, { ...base, tag: svc.image!, labels: labelsFor(svc.name) });
      serviceImages.set(svc.name, image);
    }
    const dbImages = new Map(
      spec.databases.map((db) => [
        db.name,
        new DockerImage(`${db.name}-image`, { ...base, tag: db.image, labels: labelsFor(db.name) }),
      ]),
    );
    // Every image (built or looked up) before the network, volumes and containers: a build that
    // fails then starts nothing, and changes nothing that runs. Targeted updates keep these edges
    // too (Pulumi 3.255 can report a duplicate URN when one removes an untargeted dependency).
    const afterImages = [...serviceImages.values(), ...dbImages.values()];

    const network = new DockerNetwork(
      'network',
      { ...base, name: names.network, labels: names.labels },
      { dependsOn: afterImages },
    );

    const passwords = new Map(spec.databases.map((db) => [db.name, new GeneratedPassword(`${db.name}-password`)]));
    // Every secret of the environment, for masking what a failed container printed.
    const secrets = pulumi.secret(
      pulumi.all(
        spec.databases.flatMap((db) => [
          passwords.get(db.name)!.result,
          databaseAttr({ spec: db, password: passwords.get(db.name)!.result }, 'url'),
        ]),
      ),
    );

    const dbs = new Map<string, DatabaseEndpoint & { container: DockerContainer }>();
    for (const db of spec.databases) {
      const password = passwords.get(db.name)!;
      // A branch preview's seeded database: an overlay volume, so a snapshot is cloned with no copy.
      const layered = !!db.seed && !names.labels[LABEL_STAGE] && process.env.SLIPWAY_SNAPSHOT_CLONE !== 'copy';
      const volume = new DockerVolume(
        `${db.name}-volume`,
        {
          ...base,
          name: names.volume(db.name),
          labels: labelsFor(db.name),
          ...(layered ? { layered, layerImage: db.image } : {}),
        },
        { dependsOn: afterImages },
      );
      const image = dbImages.get(db.name)!;
      const env = pulumi.secret(
        pulumi.interpolate`${password.result}`.apply((pw) => [
          `POSTGRES_USER=${db.user}`,
          `POSTGRES_DB=${db.database}`,
          `POSTGRES_PASSWORD=${pw}`,
        ]),
      );
      const container = new DockerContainer(
        db.name,
        {
          ...base,
          name: names.container(db.name),
          image: image.imageId,
          imageRef: db.image,
          env,
          ports: [{ container: POSTGRES_PORT, host: hostPort(ports, db.name, POSTGRES_PORT) }],
          network: names.network,
          aliases: [db.name],
          mounts: [
            { volume: names.volume(db.name), target: POSTGRES_DATA },
            // Its init scripts (run once, when the cluster is first made), read-only.
            ...(db.init ?? []).map((m) => ({ volume: m.source, target: m.target, bind: true, readOnly: true })),
          ],
          health: databaseHealth(db),
          cpus: db.resources.cpus,
          memoryBytes: db.resources.memoryBytes,
          labels: containerLabels(db.name, 'database'),
          secrets,
        },
        { dependsOn: [network, volume] },
      );
      dbs.set(db.name, { spec: db, password: password.result, container });
    }

    // Named volumes of the services, one per name in this environment, kept until down.
    const namedVolumes = new Map<string, DockerVolume>();
    for (const m of spec.services.flatMap((svc) => svc.mounts ?? [])) {
      if (m.volume !== undefined && !namedVolumes.has(m.volume)) {
        namedVolumes.set(
          m.volume,
          new DockerVolume(
            `vol.${m.volume}-volume`,
            { ...base, name: names.volume(`vol.${m.volume}`), labels: labelsFor(`vol.${m.volume}`) },
            { dependsOn: afterImages },
          ),
        );
      }
    }

    const containers = new Map<string, DockerContainer>();
    const urls: Record<string, string> = {};
    const images: Record<string, pulumi.Output<string>> = {};
    for (const svc of spec.services) {
      const image = serviceImages.get(svc.name)!;
      images[svc.name] = image.imageId;
      const published = publishedPorts(ports, svc.name, svc.ports);
      const dependsOn: pulumi.Resource[] = [
        network,
        ...(svc.mounts ?? []).flatMap((m) => (m.volume !== undefined ? [namedVolumes.get(m.volume)!] : [])),
      ];
      for (const d of svc.dependsOn.databases) dependsOn.push(dbs.get(d)!.container);
      for (const s of svc.dependsOn.services) {
        const c = containers.get(s);
        if (c) dependsOn.push(c);
      }
      const container = new DockerContainer(
        svc.name,
        {
          ...base,
          name: names.container(svc.name),
          image: image.imageId,
          imageRef: svc.build ? names.imageTag(svc.name) : svc.image!,
          command: svc.command,
          ...(svc.entrypoint ? { entrypoint: svc.entrypoint } : {}),
          ...(svc.user ? { user: svc.user } : {}),
          ...(svc.workingDir ? { workingDir: svc.workingDir } : {}),
          env: withSecretEnv(serviceEnv(svc, spec, dbs), svc, spec),
          ports: published,
          network: names.network,
          aliases: [svc.name],
          mounts: serviceMounts(svc, names),
          health: svc.healthcheck,
          // A job runs to completion (exit 0) before what depends on it starts.
          ...(svc.job ? { job: svc.job } : {}),
          ...remote,
          cpus: svc.resources.cpus,
          memoryBytes: svc.resources.memoryBytes,
          labels: containerLabels(svc.name, svc.job ? 'job' : 'service'),
          secrets,
        },
        { dependsOn },
      );
      containers.set(svc.name, container);
      addUrl(urls, svc.name, dockerHost, published);
    }

    return stackOutputs(
      names,
      urls,
      ports,
      images,
      Object.fromEntries([
        ...[...dbs].map(([k, d]) => [k, d.container.containerId] as const),
        ...[...containers].map(([k, c]) => [k, c.containerId] as const),
      ]),
    );
  };
}

/** The container ports of every service and database, to allocate host ports for. */
export function declaredPorts(spec: Spec): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const db of spec.databases) out[db.name] = [POSTGRES_PORT];
  for (const svc of spec.services) out[svc.name] = [...svc.ports];
  return out;
}
