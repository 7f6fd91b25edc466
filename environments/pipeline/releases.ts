import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../files';
import type { DatabaseSpec, ServiceSpec } from '../spec/types';

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

export function readReleases(home: string, project: string, stage: string): StageReleases {
  try {
    return JSON.parse(readFileSync(releasesPath(home, project, stage), 'utf8')) as StageReleases;
  } catch {
    return { project, stage, releases: [] };
  }
}

export function writeReleases(home: string, data: StageReleases): void {
  writeFileAtomically(releasesPath(home, data.project, data.stage), JSON.stringify(data, null, 2) + '\n');
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
