/** A release's images onto the engine of the stage it deploys to: tagged per release, and shipped there when that engine lacks them. */
import type { LocalEnvironments } from '../engine';
import type { OperationOptions } from '../events';
import { assertDockerReachable, connectDocker } from '../docker/engine';
import { isLocalEngine, probeImage } from '../docker/remote';
import { throughRegistry } from '../docker/registry-ship';
import { shipImages, type ImageSource, type ShippedImage } from '../docker/ship';
import { projectSlug } from '../naming';
import type { Spec, StageSpec } from '../spec/types';
import type { Release } from './releases';

/**
 * Each release tags the images it pins (`slipway/<project>-<service>:stage_<stage>-r<n>`) on the
 * stage's engine, so a branch teardown or an image prune never takes away what a rollback needs.
 * On an engine other than the one the release came from, the images it lacks (the services', the
 * databases', and the probe that runs HTTP health checks inside it) are streamed there first from
 * the engine that ran the release's source (a stage before, or this machine's), or pushed from it
 * to the stage's `registry` and pulled from there.
 */
export async function shipRelease(
  envs: LocalEnvironments,
  spec: Spec,
  stage: StageSpec,
  release: Release,
  opts: OperationOptions,
): Promise<void> {
  const endpoint = stage.dockerHost ?? envs.dockerHost;
  const target: ImageSource = { docker: connectDocker(endpoint), host: endpoint };
  await assertDockerReachable(target.docker, endpoint);
  const project = projectSlug(spec.name);
  const fromStage =
    release.from.kind === 'stage' ? spec.pipeline?.stages.find((s) => s.name === release.from.name) : undefined;
  const sourceHosts = [
    ...new Set(
      [...(fromStage?.dockerHost ? [fromStage.dockerHost] : []), envs.dockerHost].filter((h) => h !== endpoint),
    ),
  ];
  const sources = sourceHosts.map((host) => ({ docker: connectDocker(host), host }));
  const images: ShippedImage[] = [
    ...Object.entries(release.images).map(([service, ref]) => ({
      owner: service,
      ref,
      tag: { repo: `slipway/${project}-${service}`, tag: `stage_${stage.name}-r${release.number}` },
    })),
    ...release.databases.map((db) => ({ owner: db.name, ref: db.image })),
    ...release.services
      .filter((s) => !release.images[s.name] && s.image)
      .map((s) => ({ owner: s.name, ref: s.image! })),
  ];
  // The probe image is also what a start-first Swarm stage's entries run (see ../pulumi/swarm-entry.ts).
  const probes =
    !isLocalEngine(endpoint) &&
    (release.services.some((s) => s.healthcheck?.http) || stage.swarm?.rollout.order === 'start-first');
  const probe = probeImage();
  // The probe image is shipped only when this machine has it; else the stage's engine pulls it.
  if (probes && sources.length && (await hasImage(sources, probe)))
    images.push({ owner: 'the health probe', ref: probe });
  if (stage.registry && stage.registryFrom)
    opts.onEvent?.({ type: 'step', message: `images travel through ${stage.registry}, set by ${stage.registryFrom}` });
  await shipImages(target, sources, images, opts, stage.registry ? throughRegistry(stage.registry) : undefined);
}

async function hasImage(sources: ImageSource[], ref: string): Promise<boolean> {
  for (const s of sources) {
    const found = await s.docker
      .getImage(ref)
      .inspect()
      .then(() => true)
      .catch(() => false);
    if (found) return true;
  }
  return false;
}
