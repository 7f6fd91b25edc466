// Garbage collection: expired environments torn down, and Docker objects labelled for this state but belonging to no environment removed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { connectDocker, sweepEnvironment } from '../docker/engine';
import type { LocalEnvironments } from '../engine';
import { lockOwner } from '../lock';
import { LABEL_ENV, LABEL_PROJECT, LABEL_STATE, envNames } from '../naming';
import { hasRecord, listRecords, lockPath } from '../records';
import { stateStore } from '../state/store';
import { DEFAULT_TTL_MS, expires, expiresAt, now } from './ttl';

export interface ExpiredEnvironment {
  project: string;
  branch: string;
  env: string;
  owner?: string;
  expiresAt: string;
  /** Set once it was torn down (not in a dry run); `error` when the teardown failed. */
  removed?: boolean;
  error?: string;
}

export interface OrphanGroup {
  project: string;
  env: string;
  containers: number;
  networks: number;
  volumes: number;
  removed?: boolean;
}

export interface GcReport {
  at: string;
  dryRun: boolean;
  expired: ExpiredEnvironment[];
  orphans: OrphanGroup[];
}

export interface GcOptions {
  dryRun?: boolean;
  signal?: AbortSignal;
  /** The TTL of an environment whose record has none (brought up before TTLs); default 72h. */
  defaultTtlMs?: number;
  onProgress?: (line: string) => void;
}

/** Whether a stack of the environment exists in a file backend (any other backend: assumed, so nothing is taken for an orphan by mistake). */
function hasStack(backendUrl: string, project: string, env: string): boolean {
  if (!backendUrl.startsWith('file://')) return true;
  const names = envNames(project, 'x');
  const dir = join(backendUrl.slice('file://'.length), '.pulumi', 'stacks', names.pulumiProject);
  return ['json', 'json.gz'].some((ext) => existsSync(join(dir, `${env}.${ext}`)));
}

/**
 * Docker objects that carry this state's labels (dev.slipway.state) but belong to no
 * environment: no record, no stack, no operation running on it. Unlabelled objects and another
 * state's are never looked at.
 */
async function findOrphans(docker: Docker, envs: LocalEnvironments): Promise<OrphanGroup[]> {
  const filters = { label: [`${LABEL_STATE}=${envs.stateId}`, LABEL_PROJECT, LABEL_ENV] };
  const groups = new Map<string, OrphanGroup>();
  const group = (labels: Record<string, string> | undefined) => {
    const project = labels?.[LABEL_PROJECT];
    const env = labels?.[LABEL_ENV];
    if (!project || !env) return undefined;
    const key = `${project}/${env}`;
    const g = groups.get(key) ?? { project, env, containers: 0, networks: 0, volumes: 0 };
    groups.set(key, g);
    return g;
  };
  for (const c of await docker.listContainers({ all: true, filters })) {
    const g = group(c.Labels);
    if (g) g.containers++;
  }
  for (const n of await docker.listNetworks({ filters })) {
    const g = group(n.Labels);
    if (g) g.networks++;
  }
  for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) {
    const g = group(v.Labels);
    if (g) g.volumes++;
  }
  return [...groups.values()].filter(
    (g) =>
      !hasRecord(envs.home, g.project, g.env) &&
      lockOwner(lockPath(envs.home, g.project, g.env)) === undefined &&
      !hasStack(envs.backendUrl, g.project, g.env),
  );
}

/** One collection: what has expired and what is orphaned, removed unless `dryRun`. */
export async function collectGarbage(envs: LocalEnvironments, opts: GcOptions = {}): Promise<GcReport> {
  const at = now();
  const docker = connectDocker(envs.dockerHost);
  const expired: ExpiredEnvironment[] = listRecords(envs.home)
    .records.filter((r) => expires(r) && expiresAt(r, opts.defaultTtlMs ?? DEFAULT_TTL_MS) <= at)
    // One with an operation under way is busy, not idle.
    .filter((r) => lockOwner(lockPath(envs.home, r.project, r.env)) === undefined)
    .map((r) => ({
      project: r.project,
      branch: r.branch,
      env: r.env,
      owner: r.owner,
      expiresAt: new Date(expiresAt(r, opts.defaultTtlMs ?? DEFAULT_TTL_MS)).toISOString(),
    }));
  // A team's shared records name every member's environments: each machine collects only those on its own engine.
  if (stateStore(envs.home).kind !== 'file') {
    const here = await docker.listContainers({ all: true, filters: { label: [`${LABEL_STATE}=${envs.stateId}`] } });
    const local = new Set(here.map((c) => `${c.Labels?.[LABEL_PROJECT]}/${c.Labels?.[LABEL_ENV]}`));
    expired.splice(0, expired.length, ...expired.filter((e) => local.has(`${e.project}/${e.env}`)));
  }
  const orphans = await findOrphans(docker, envs);
  if (!opts.dryRun) {
    for (const e of expired) {
      if (opts.signal?.aborted) break;
      opts.onProgress?.(`${e.project} / ${e.branch} expired at ${e.expiresAt}: tearing it down`);
      try {
        await envs.down(e.project, e.branch, { signal: opts.signal });
        e.removed = true;
      } catch (err) {
        e.removed = false;
        e.error = (err as Error).message;
      }
    }
    for (const o of orphans) {
      if (opts.signal?.aborted) break;
      opts.onProgress?.(
        `${o.project} / ${o.env}: removing ${o.containers} container(s), ${o.networks} network(s), ${o.volumes} volume(s) that belong to no environment`,
      );
      await sweepEnvironment(docker, { project: o.project, env: o.env, state: envs.stateId });
      o.removed = true;
    }
  }
  return { at: new Date(at).toISOString(), dryRun: !!opts.dryRun, expired, orphans };
}
