import { join } from 'node:path';
import { stateStore } from '../state/store';
import { checkEach, checkFields, readStoredItem, type FieldProblem } from '../stored';
import type { DatabaseSpec, ServiceSpec } from '../spec/types';
import type { DataProfile } from './data-profile';

/**
 * A release: exactly what an environment ran, so another stage can run the same thing. Built
 * services are pinned to the image id (sha256 content digest) the source ran; nothing is
 * rebuilt. Secrets are not part of a release: each stage has its own database and password.
 */
export interface Release {
  number: number;
  at: string;
  by: string;
  from: { kind: 'branch' | 'stage'; name: string; env: string; commit?: string };
  /** Image id by service. */
  images: Record<string, string>;
  /** The resolved services and databases, with every service pinned to its image id. */
  services: ServiceSpec[];
  databases: DatabaseSpec[];
  data?: unknown;
  mocks?: unknown;
  /** The data profile: the masking policy (sha256) of each seeded database, and whether the stage was seeded with it. */
  seed?: DataProfile;
  /** Set when this release was a rollback to an earlier one. */
  rollbackOf?: number;
}

export interface StageReleases {
  project: string;
  stage: string;
  /** Newest last. */
  releases: Release[];
  /** The release the stage runs now. */
  current?: number;
}

export function releasesPath(home: string, project: string, stage: string): string {
  return join(home, 'releases', project, `${stage}.json`);
}

function releasesRel(project: string, stage: string): string {
  return `releases/${project}/${stage}.json`;
}

function releasesShape(value: unknown): FieldProblem | undefined {
  return (
    checkFields(value, { project: 'string', stage: 'string', releases: 'array', current: 'number?' }) ??
    checkEach((value as StageReleases).releases, ['releases'], (r, at) =>
      checkFields(
        r,
        {
          number: 'number',
          at: 'string',
          by: 'string',
          from: 'object',
          images: 'object',
          services: 'array',
          databases: 'array',
          rollbackOf: 'number?',
        },
        at,
      ),
    )
  );
}

/**
 * The stage's releases; none when it has no releases file yet. A file that cannot be read is a
 * DamagedFileError: its history is never silently replaced by an empty one.
 */
export function readReleases(home: string, project: string, stage: string): StageReleases {
  const remedy = `restore it from a backup, or remove it to start the stage's release history afresh (\`slipway rollback --stage ${stage}\` then has no earlier release to return to)`;
  return (
    readStoredItem<StageReleases>(home, releasesRel(project, stage), releasesShape, remedy) ?? {
      project,
      stage,
      releases: [],
    }
  );
}

export function writeReleases(home: string, data: StageReleases): void {
  stateStore(home).writeText(releasesRel(data.project, data.stage), JSON.stringify(data, null, 2) + '\n');
}

/** Pins every service to the image id it ran: `image: sha256:...`, no build. */
export function pinServices(services: ServiceSpec[], images: Record<string, string>): ServiceSpec[] {
  return services.map((s) => {
    const id = images[s.name];
    if (!id) throw new Error(`no image id recorded for service ${s.name}`);
    const { build: _build, ...rest } = s;
    return { ...rest, image: id };
  });
}
