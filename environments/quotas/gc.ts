// Garbage collection: expired environments (and, when asked, those of finished branches) torn down, and Docker objects labelled for this state but belonging to no environment removed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { connectDocker, sweepEnvironment } from '../docker/engine';
import type { LocalEnvironments } from '../engine';
import { currentBranch } from '../git';
import { lockOwner } from '../lock';
import { LABEL_ENV, LABEL_PROJECT, LABEL_STATE, envNames, isStageBranch, projectSlug } from '../naming';
import { hasRecord, listRecords, lockPath } from '../records';
import { goneBranches, type GoneBranch } from './merged';
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
  /** Images Slipway built for it that no container uses and no other environment or release tags (always counted by `collectGarbage`). */
  images?: number;
  removed?: boolean;
}

/** An environment whose branch is deleted locally or merged into the default branch (`--merged`). */
export interface FinishedEnvironment extends GoneBranch {
  project: string;
  env: string;
  owner?: string;
  removed?: boolean;
  error?: string;
}

export interface GcReport {
  at: string;
  dryRun: boolean;
  expired: ExpiredEnvironment[];
  orphans: OrphanGroup[];
  /** Only with `merged`. */
  finished?: FinishedEnvironment[];
}

export interface GcOptions {
  dryRun?: boolean;
  signal?: AbortSignal;
  /** The TTL of an environment whose record has none (brought up before TTLs); default 72h. */
  defaultTtlMs?: number;
  onProgress?: (line: string) => void;
  /** Also tear down the environments of `project` whose branch is deleted or merged in the git repository holding `dir`. */
  merged?: { dir: string; project: string };
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
    const g = groups.get(key) ?? { project, env, containers: 0, networks: 0, volumes: 0, images: 0 };
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
  const images = await orphanImages(docker, filters);
  for (const i of images) {
    const g = group(i.Labels);
    if (g) g.images = (g.images ?? 0) + 1;
  }
  return [...groups.values()].filter(
    (g) =>
      !hasRecord(envs.home, g.project, g.env) &&
      lockOwner(lockPath(envs.home, g.project, g.env)) === undefined &&
      !hasStack(envs.backendUrl, g.project, g.env),
  );
}

/**
 * Images labelled for this state that no container (of any state) uses and whose every tag is
 * their own environment's (`slipway/<project>-<service>:<env>`): an image a stage release or
 * another environment also tags is kept.
 */
async function orphanImages(docker: Docker, filters: { label: string[] }): Promise<Docker.ImageInfo[]> {
  const used = new Set((await docker.listContainers({ all: true })).map((c) => c.ImageID));
  return (await docker.listImages({ all: false, filters })).filter((i) => {
    const project = i.Labels?.[LABEL_PROJECT];
    const env = i.Labels?.[LABEL_ENV];
    if (used.has(i.Id) || !project || !env) return false;
    return (i.RepoTags ?? [])
      .filter((t) => t !== '<none>:<none>')
      .every((t) => t.startsWith(`slipway/${project}-`) && t.endsWith(`:${env}`));
  });
}

/** Removes an orphan group's images: each of its tags, or the image itself when it has none (one in use by now is left). */
async function removeImages(docker: Docker, state: string, g: OrphanGroup): Promise<void> {
  const filters = { label: [`${LABEL_STATE}=${state}`, `${LABEL_PROJECT}=${g.project}`, `${LABEL_ENV}=${g.env}`] };
  for (const image of await orphanImages(docker, filters)) {
    const tags = (image.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    for (const ref of tags.length ? tags : [image.Id]) {
      await docker
        .getImage(ref)
        .remove({ noprune: false })
        .catch((err: { statusCode?: number }) => {
          if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
        });
    }
  }
}

/** The environments of `project` (never stages) whose branch is finished in the repository holding `dir`. */
async function findFinished(
  envs: LocalEnvironments,
  merged: { dir: string; project: string },
): Promise<FinishedEnvironment[]> {
  const project = projectSlug(merged.project);
  const records = listRecords(envs.home).records.filter((r) => r.project === project && !isStageBranch(r.branch));
  // The checked-out branch is in use, merged or not.
  const current = await currentBranch(merged.dir).catch(() => undefined);
  const finished = await goneBranches(
    merged.dir,
    records.map((r) => r.branch),
    current ? [current] : [],
  );
  return finished.flatMap((f) => {
    const r = records.find((x) => x.branch === f.branch)!;
    return lockOwner(lockPath(envs.home, r.project, r.env)) === undefined
      ? [{ ...f, project: r.project, env: r.env, owner: r.owner }]
      : [];
  });
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
  const finished = opts.merged
    ? (await findFinished(envs, opts.merged)).filter((f) => !expired.some((e) => e.env === f.env))
    : undefined;
  const orphans = await findOrphans(docker, envs);
  if (!opts.dryRun) {
    for (const f of finished ?? []) {
      if (opts.signal?.aborted) break;
      opts.onProgress?.(
        `${f.project} / ${f.branch}: its branch is ${f.reason === 'merged' ? `merged into ${f.into}` : 'deleted'}; tearing it down`,
      );
      try {
        await envs.down(f.project, f.branch, { signal: opts.signal });
        f.removed = true;
      } catch (err) {
        f.removed = false;
        f.error = (err as Error).message;
      }
    }
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
        `${o.project} / ${o.env}: removing ${o.containers} container(s), ${o.networks} network(s), ${o.volumes} volume(s), ${o.images ?? 0} image(s) that belong to no environment`,
      );
      await sweepEnvironment(docker, { project: o.project, env: o.env, state: envs.stateId });
      await removeImages(docker, envs.stateId, o);
      o.removed = true;
    }
  }
  return { at: new Date(at).toISOString(), dryRun: !!opts.dryRun, expired, orphans, ...(finished ? { finished } : {}) };
}
