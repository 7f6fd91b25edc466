import { createHash } from 'node:crypto';

/**
 * Names for everything Slipway creates. A branch of any shape (slashes, spaces, Unicode,
 * 250 characters) maps to a short, valid Docker/Pulumi name; a hash of the exact branch name
 * keeps two branches that slug alike (`Feature/A` and `feature-a`) apart.
 */

export const LABEL_PROJECT = 'dev.slipway.project';
export const LABEL_ENV = 'dev.slipway.env';
export const LABEL_BRANCH = 'dev.slipway.branch';
export const LABEL_SERVICE = 'dev.slipway.service';
export const LABEL_STAGE = 'dev.slipway.stage';
/**
 * On containers: who first brought the environment up and when, and whether the container is a
 * service's or a database's. They outlive the environment's record, which can be rebuilt from them.
 */
export const LABEL_OWNER = 'dev.slipway.owner';
export const LABEL_CREATED = 'dev.slipway.created';
export const LABEL_ROLE = 'dev.slipway.role';
/**
 * Which Slipway state (backend) owns an object. Two states on one Docker Engine (a user's own
 * and a test's, or two backends) may hold the same project and branch: objects are adopted,
 * swept or reported only by the state that made them.
 */
export const LABEL_STATE = 'dev.slipway.state';

/** The owner id of a Pulumi backend URL, for the LABEL_STATE label. */
export function stateId(backendUrl: string): string {
  // A shared PostgreSQL backend is one state whichever member's user and password reach it.
  const db = /^postgres(ql)?:\/\//i.test(backendUrl)
    ? backendUrl.replace(/^postgres(ql)?:\/\/[^@/]*@/i, 'postgres://').replace(/\?.*$/, '')
    : backendUrl;
  return shortHash(db);
}

/** Lower-case ASCII letters, digits and single dashes; accents folded (`Ünï` -> `uni`). */
export function slugify(text: string, maxLength: number): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, maxLength)
    .replace(/-+$/g, '');
  return slug;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 6);
}

/** The environment name of a branch: `<slug>-<hash>`, e.g. `feature-unicode-spaces-3f2a9c`. */
export function envName(branch: string): string {
  const slug = slugify(branch, 32) || 'branch';
  return `${slug}-${shortHash(branch)}`;
}

/** The project part of every name: the spec's `name`, slugged. */
export function projectSlug(projectName: string): string {
  return slugify(projectName, 40) || 'project';
}

export interface EnvNames {
  project: string;
  env: string;
  branch: string;
  /** Pulumi project and stack. */
  pulumiProject: string;
  stack: string;
  /** Docker object names. */
  network: string;
  container(service: string): string;
  volume(database: string): string;
  imageTag(service: string): string;
  /** The labels every Docker object of the environment carries. */
  labels: Record<string, string>;
}

/**
 * The environment of a pipeline stage (staging, production): `stage_<name>`. The underscore
 * never occurs in a branch environment's name, so a stage and a branch can never collide.
 */
export function stageEnvName(stage: string): string {
  return `stage_${stage}`;
}

/** The branch label of a stage environment (it runs releases, not a branch). */
export function stageBranch(stage: string): string {
  return `stage:${stage}`;
}

export function isStageBranch(branch: string): string | undefined {
  return branch.startsWith('stage:') ? branch.slice('stage:'.length) : undefined;
}

/**
 * Names of a branch environment, or of a stage environment when `branch` is `stage:<name>`.
 */
export function envNames(projectName: string, branch: string, state = ''): EnvNames {
  const project = projectSlug(projectName);
  const stage = isStageBranch(branch);
  const env = stage ? stageEnvName(stage) : envName(branch);
  const prefix = `slipway-${project}-${env}`;
  return {
    project,
    env,
    branch,
    pulumiProject: `slipway-${project}`,
    stack: env,
    network: prefix,
    container: (service) => `${prefix}-${service}`,
    volume: (database) => `${prefix}-${database}-data`,
    imageTag: (service) => `slipway/${project}-${service}:${env}`,
    labels: {
      [LABEL_PROJECT]: project,
      [LABEL_ENV]: env,
      [LABEL_BRANCH]: branch,
      ...(stage ? { [LABEL_STAGE]: stage } : {}),
      ...(state ? { [LABEL_STATE]: state } : {}),
    },
  };
}
