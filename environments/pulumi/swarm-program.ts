/** The Pulumi program of a stage on a Docker Swarm cluster: an attachable overlay network and one Swarm service per service, each with the stage's replicas, placement and rollout. */
import * as pulumi from '@pulumi/pulumi';
import { LABEL_CREATED, LABEL_OWNER, LABEL_ROLE, LABEL_SERVICE, isStageBranch } from '../naming';
import type { Spec, SwarmStage } from '../spec/types';
import { PROVIDER_VERSION, type SwarmServiceInputs } from '../docker/provider';
import { probeImage } from '../docker/remote';
import { PULUMI_TYPE_NAMES } from '../kinds';
import { SlipwayResource } from './provider-closure';
import { DockerImage, DockerNetwork, serviceEnv, type ProgramInputs } from './program';
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

export function swarmProgram(inputs: ProgramInputs, swarm: SwarmStage): () => Promise<Record<string, unknown>> {
  return async () => {
    const { spec, names, dockerHost, ports, identity } = inputs;
    if (spec.databases.length > 0)
      throw new Error(
        `stage ${names.branch} runs on Docker Swarm, which runs the spec's services only: its databases (${spec.databases.map((d) => d.name).join(', ')}) are not deployed there; point the services at a database of the stage's own through env`,
      );
    const base = { providerVersion: PROVIDER_VERSION, dockerHost };
    const labelsFor = (service: string) => ({ ...names.labels, [LABEL_SERVICE]: service });
    const images = new Map(
      spec.services.map((svc) => [
        svc.name,
        new DockerImage(`${svc.name}-image`, { ...base, tag: svc.image!, labels: labelsFor(svc.name) }),
      ]),
    );
    const network = new DockerNetwork(
      'network',
      { ...base, name: names.network, labels: names.labels, driver: 'overlay' },
      { dependsOn: [...images.values()] },
    );
    const services = new Map<string, SwarmService>();
    let entryImage: DockerImage | undefined;
    const urls: Record<string, string> = {};
    for (const svc of spec.services) {
      const published = publishedPorts(ports, svc.name, svc.ports);
      const fronted = needsEntry(swarm, published);
      const dependsOn: pulumi.Resource[] = [network];
      for (const s of svc.dependsOn.services) if (services.get(s)) dependsOn.push(services.get(s)!);
      const service = new SwarmService(
        svc.name,
        {
          ...base,
          name: names.container(svc.name),
          image: images.get(svc.name)!.imageId,
          command: svc.command,
          env: serviceEnv(svc, spec, new Map()),
          secretEnv: secretEnvOf(serviceEnv(svc, spec, new Map()), svc, spec),
          ports: fronted ? [] : published,
          ...(fronted ? { endpointMode: 'dnsrr' as const } : {}),
          network: names.network,
          aliases: [svc.name],
          health: svc.healthcheck,
          cpus: svc.resources.cpus,
          memoryBytes: svc.resources.memoryBytes,
          replicas: swarm.replicas,
          placement: swarm.placement,
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
        services: Object.fromEntries([...services].map(([k, s]) => [k, s.serviceId])),
      },
    );
  };
}
