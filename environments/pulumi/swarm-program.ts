/**
 * The Pulumi program of a stage on a Docker Swarm cluster: an attachable overlay network, one Swarm
 * service per database (one task, pinned to the node holding its volume, its password a Swarm
 * secret) and one per service, each with the stage's replicas, placement and rollout (a service
 * mounting named volumes pinned to the node holding them).
 */
import * as pulumi from '@pulumi/pulumi';
import { LABEL_CREATED, LABEL_OWNER, LABEL_ROLE, LABEL_SERVICE, isStageBranch } from '../naming';
import type { DatabaseSpec, ServiceSpec, Spec, SwarmStage } from '../spec/types';
import { PROVIDER_VERSION, type SwarmServiceInputs } from '../docker/provider';
import { probeImage } from '../docker/remote';
import { PULUMI_TYPE_NAMES } from '../kinds';
import { SlipwayResource } from './provider-closure';
import {
  DockerImage,
  DockerNetwork,
  DockerVolume,
  GeneratedPassword,
  POSTGRES_DATA,
  serviceEnv,
  type ProgramInputs,
} from './program';
import { databaseHealth } from '../docker/database-health';
import { secretEnvOf } from './service-inputs';
import { entryInputs, needsEntry } from './swarm-entry';
import { addUrl, publishedPorts, stackOutputs } from './stack-outputs';

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

class SwarmService extends SlipwayResource {
  declare readonly serviceId: pulumi.Output<string>;
  constructor(name: string, props: Omit<Inputs<SwarmServiceInputs>, 'kind'>, opts?: pulumi.CustomResourceOptions) {
    super(
      PULUMI_TYPE_NAMES['swarm-service'],
      name,
      { ...props, kind: 'swarm-service', serviceId: undefined },
      { ...opts, additionalSecretOutputs: ['env', 'secretEnv'] },
    );
  }
}

/** The Swarm settings of the stage a `stage:<name>` branch deploys to; undefined for anything else. */
export function swarmStageOf(spec: Spec, branch: string): SwarmStage | undefined {
  const stage = isStageBranch(branch);
  return stage ? spec.pipeline?.stages.find((s) => s.name === stage)?.swarm : undefined;
}

/** The keys of a service's env whose value holds a database's password (its `url` or `password`): Swarm secrets. */
function databaseSecretKeys(svc: ServiceSpec): string[] {
  return Object.entries(svc.env)
    .filter(([, template]) =>
      template.some(
        (p) => typeof p !== 'string' && p.ref.kind === 'databases' && ['url', 'password'].includes(p.ref.attr),
      ),
    )
    .map(([key]) => key);
}

type Base = { providerVersion: number; dockerHost: string };

/**
 * A database as a Swarm service: the image the containers program runs, one task on the overlay
 * network under the database's name, its data in a named volume made through the stage's engine
 * and the task pinned to that engine's node (a rescheduled task finds its data), the password a
 * Swarm secret (`POSTGRES_PASSWORD_FILE`), and `pg_isready` as Docker's health check. One task at
 * a time: the old one stops before the new one starts on the same data.
 */
function swarmDatabase(
  inputs: ProgramInputs,
  swarm: SwarmStage,
  base: Base,
  db: DatabaseSpec,
  image: DockerImage,
  network: DockerNetwork,
  afterImages: pulumi.Resource[],
): { service: SwarmService; password: pulumi.Output<string> } {
  const { names, identity } = inputs;
  const labels = { ...names.labels, [LABEL_SERVICE]: db.name };
  const password = new GeneratedPassword(`${db.name}-password`);
  const volume = new DockerVolume(
    `${db.name}-volume`,
    { ...base, name: names.volume(db.name), labels, swarmNode: true, node: undefined },
    { dependsOn: afterImages },
  );
  const service = new SwarmService(
    db.name,
    {
      ...base,
      name: names.container(db.name),
      image: image.imageId,
      env: [`POSTGRES_USER=${db.user}`, `POSTGRES_DB=${db.database}`],
      secretEnv: pulumi.secret(password.result.apply((pw) => [`POSTGRES_PASSWORD=${pw}`])),
      // For an image that reads POSTGRES_PASSWORD only (Slipway's own base image does).
      envFromSecrets: ['POSTGRES_PASSWORD'],
      ports: [],
      endpointMode: 'dnsrr',
      network: names.network,
      aliases: [db.name],
      mounts: [{ volume: names.volume(db.name), target: POSTGRES_DATA }],
      health: databaseHealth(db),
      cpus: db.resources.cpus,
      memoryBytes: db.resources.memoryBytes,
      replicas: 1,
      placement: volume.node.apply((node) => [`node.id==${node}`]),
      rollout: { order: 'stop-first', parallelism: 1, delayMs: 0, monitorMs: swarm.rollout.monitorMs },
      labels: { ...labels, [LABEL_ROLE]: 'database' },
      taskLabels: {
        ...labels,
        [LABEL_ROLE]: 'database',
        [LABEL_CREATED]: identity.createdAt,
        ...(identity.owner ? { [LABEL_OWNER]: identity.owner } : {}),
      },
    },
    { dependsOn: [network, volume] },
  );
  return { service, password: password.result };
}

export function swarmProgram(inputs: ProgramInputs, swarm: SwarmStage): () => Promise<Record<string, unknown>> {
  return async () => {
    const { spec, names, dockerHost, ports, identity } = inputs;
    const base = { providerVersion: PROVIDER_VERSION, dockerHost };
    const labelsFor = (service: string) => ({ ...names.labels, [LABEL_SERVICE]: service });
    const images = new Map(
      spec.services.map((svc) => [
        svc.name,
        new DockerImage(`${svc.name}-image`, { ...base, tag: svc.image!, labels: labelsFor(svc.name) }),
      ]),
    );
    const dbImages = new Map(
      spec.databases.map((db) => [
        db.name,
        new DockerImage(`${db.name}-image`, { ...base, tag: db.image, labels: labelsFor(db.name) }),
      ]),
    );
    const afterImages = [...images.values(), ...dbImages.values()];
    const network = new DockerNetwork(
      'network',
      { ...base, name: names.network, labels: names.labels, driver: 'overlay' },
      { dependsOn: afterImages },
    );
    const databases = new Map(
      spec.databases.map((db) => [
        db.name,
        swarmDatabase(inputs, swarm, base, db, dbImages.get(db.name)!, network, afterImages),
      ]),
    );
    const endpoints = new Map(
      spec.databases.map((db) => [db.name, { spec: db, password: databases.get(db.name)!.password }]),
    );
    // Named volumes of the services, one per name in this stage, each made through the stage's
    // engine and recording its Swarm node: a service mounting one is pinned to that node.
    const namedVolumes = new Map<string, DockerVolume>();
    for (const m of spec.services.flatMap((svc) => svc.mounts ?? [])) {
      if (m.volume !== undefined && !namedVolumes.has(m.volume)) {
        const volumeName = `vol.${m.volume}`;
        namedVolumes.set(
          m.volume,
          new DockerVolume(
            `${volumeName}-volume`,
            {
              ...base,
              name: names.volume(volumeName),
              labels: labelsFor(volumeName),
              swarmNode: true,
              node: undefined,
            },
            { dependsOn: afterImages },
          ),
        );
      }
    }
    // What another service reaches by name resolves to its tasks' addresses (`dnsrr`): a virtual
    // IP needs IPVS in the engine's kernel, like the routing mesh (docs/architecture.md).
    const reached = new Set(spec.services.flatMap((s) => s.dependsOn.services));
    const services = new Map<string, SwarmService>();
    let entryImage: DockerImage | undefined;
    const urls: Record<string, string> = {};
    for (const svc of spec.services) {
      const published = publishedPorts(ports, svc.name, svc.ports);
      const fronted = needsEntry(swarm, published);
      // Created once the databases it uses run healthy (Swarm counts a task as running only then).
      const volumeMounts = (svc.mounts ?? []).flatMap((m) => (m.volume !== undefined ? [m] : []));
      const mounted = volumeMounts.map((m) => namedVolumes.get(m.volume)!);
      const dependsOn: pulumi.Resource[] = [network, ...mounted];
      for (const d of svc.dependsOn.databases) dependsOn.push(databases.get(d)!.service);
      for (const s of svc.dependsOn.services) if (services.get(s)) dependsOn.push(services.get(s)!);
      const resolved = serviceEnv(svc, spec, endpoints);
      const secretKeys = databaseSecretKeys(svc);
      const keyOf = (entry: string) => entry.slice(0, entry.indexOf('='));
      const service = new SwarmService(
        svc.name,
        {
          ...base,
          name: names.container(svc.name),
          image: images.get(svc.name)!.imageId,
          command: svc.command,
          ...(svc.entrypoint ? { entrypoint: svc.entrypoint } : {}),
          ...(svc.user ? { user: svc.user } : {}),
          ...(svc.workingDir ? { workingDir: svc.workingDir } : {}),
          env: resolved.apply((env) => env.filter((e) => !secretKeys.includes(keyOf(e)))),
          secretEnv: pulumi.secret(
            pulumi
              .all([secretEnvOf(resolved, svc, spec), resolved])
              .apply(([own, env]) => [...own, ...env.filter((e) => secretKeys.includes(keyOf(e)))]),
          ),
          ...(secretKeys.length ? { envFromSecrets: secretKeys } : {}),
          ports: fronted ? [] : published,
          ...(fronted || reached.has(svc.name) ? { endpointMode: 'dnsrr' as const } : {}),
          network: names.network,
          aliases: [svc.name],
          health: svc.healthcheck,
          cpus: svc.resources.cpus,
          memoryBytes: svc.resources.memoryBytes,
          ...(volumeMounts.length
            ? {
                mounts: volumeMounts.map((m) => ({
                  volume: names.volume(`vol.${m.volume}`),
                  target: m.target,
                  ...(m.readOnly ? { readOnly: true } : {}),
                })),
              }
            : {}),
          replicas: swarm.replicas,
          // A local volume exists on one node: every task runs where the first one it mounts is.
          placement: mounted.length ? mounted[0].node.apply((node) => [`node.id==${node}`]) : swarm.placement,
          rollout: swarm.rollout,
          labels: labelsFor(svc.name),
          taskLabels: {
            ...labelsFor(svc.name),
            [LABEL_ROLE]: 'service',
            [LABEL_CREATED]: identity.createdAt,
            ...(identity.owner ? { [LABEL_OWNER]: identity.owner } : {}),
          },
        },
        { dependsOn },
      );
      services.set(svc.name, service);
      if (fronted) {
        if (!entryImage)
          entryImage = new DockerImage('entry-image', { ...base, tag: probeImage(), labels: names.labels });
        const entry = entryInputs(
          base,
          names.container(svc.name),
          svc.name,
          entryImage.imageId,
          published,
          names.network,
          swarm,
          names.labels,
        );
        new SwarmService(`${svc.name}-entry`, entry, { dependsOn: [service, network] });
      }
      addUrl(urls, svc.name, dockerHost, published);
    }
    const imageIds = Object.fromEntries([...images].map(([k, i]) => [k, i.imageId]));
    return stackOutputs(
      names,
      urls,
      ports,
      imageIds,
      {},
      {
        services: Object.fromEntries([
          ...[...databases].map(([k, d]) => [k, d.service.serviceId] as const),
          ...[...services].map(([k, s]) => [k, s.serviceId] as const),
        ]),
      },
    );
  };
}
