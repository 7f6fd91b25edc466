import { join } from 'node:path';
import { DamagedFileError } from './errors';
import { checkFields, readStoredItem, type FieldProblem } from './stored';
import { stateStore } from './state/store';
import type { DatabaseSpec, ServiceSpec, Spec } from './spec/types';

/**
 * One small JSON record per environment under `<home>/envs/<project>/<env>.json`: its branch,
 * what it declares and how its last operation ended. Written only by the lock holder; it lets
 * `status` and `list` answer from Docker alone, without a Pulumi run. Never holds secrets.
 */
export interface EnvRecord {
  project: string;
  env: string;
  branch: string;
  stack: string;
  specFile?: string;
  /** The Docker endpoint it runs on when not the engine's default (a stage's own): `list`, `logs`, `usage` and `restart` go there. */
  dockerHost?: string;
  createdAt: string;
  updatedAt: string;
  /** Who first brought it up (git user.email, else the OS user): "Tear Down All Mine" and quotas count by it. */
  owner?: string;
  services: string[];
  databases: string[];
  urls: Record<string, string>;
  /** Host ports by service and container port, reused by the next `up` so URLs stay stable. */
  ports?: Record<string, Record<string, number>>;
  /** What the last successful `up` applied: its program fingerprint and every container's id. */
  applied?: {
    fingerprint: string;
    containers: Record<string, string>;
    /** Image id (sha256 content digest) by service: what a promotion carries on. */
    images: Record<string, string>;
    /** The git commit the spec's folder was at. */
    commit?: string;
    /** The content hash of each built service's context: whether the next `up` rebuilds its image. */
    contexts?: Record<string, string>;
  };
  /** The resolved spec the last successful `up` ran (no secrets), for promotion. */
  ran?: { services: ServiceSpec[]; databases: DatabaseSpec[]; data?: unknown; mocks?: unknown };
  /**
   * When it expires: `ms` after its last activity (an up, a request through its share link, a log
   * follow, an extend). `slipway gc` tears it down once `expiresAt` has passed.
   */
  ttl?: { ms: number; lastActivity: string; expiresAt: string };
  /** `interrupted`: its worker died mid-operation, so the state may hold pending operations. */
  lastOperation: {
    op: 'up' | 'down';
    status: 'running' | 'succeeded' | 'failed' | 'cancelled';
    at: string;
    error?: string;
    interrupted?: boolean;
  };
}

export function recordPath(home: string, project: string, env: string): string {
  return join(home, 'envs', project, `${env}.json`);
}

/** The record's name in the state store (its path under SLIPWAY_HOME in the file layout). */
export function recordRel(project: string, env: string): string {
  return `envs/${project}/${env}.json`;
}

/** Whether the environment has a record (a file, or a row of the team state). */
export function hasRecord(home: string, project: string, env: string): boolean {
  return stateStore(home).readText(recordRel(project, env)) !== undefined;
}

export function lockPath(home: string, project: string, env: string): string {
  return join(home, 'locks', project, `${env}.lock`);
}

/** What to do about a damaged record (its environment's Docker labels still say what it is). */
export const RECORD_REMEDY =
  "run `slipway up` for its branch: Slipway rebuilds the record from the environment's Docker labels, keeping its creation time (or `slipway down` to remove the environment and the record)";

function recordShape(project: string, env: string): (value: unknown) => FieldProblem | undefined {
  return (value) => {
    const problem =
      checkFields(value, {
        project: 'string',
        env: 'string',
        branch: 'string',
        stack: 'string',
        dockerHost: 'string?',
        createdAt: 'string',
        updatedAt: 'string',
        owner: 'string?',
        services: 'array',
        databases: 'array',
        urls: 'object',
        ports: 'object?',
        applied: 'object?',
        ran: 'object?',
        ttl: 'object?',
        lastOperation: 'object',
      }) ??
      checkFields((value as EnvRecord).lastOperation, { op: 'string', status: 'string', at: 'string' }, [
        'lastOperation',
      ]);
    if (problem) return problem;
    const r = value as EnvRecord;
    if (r.project !== project || r.env !== env)
      return {
        path: ['env'],
        problem: `names environment ${r.project}/${r.env}, not ${project}/${env} as its file name does`,
      };
    return undefined;
  };
}

/** The environment's record; undefined when it has none. A record that cannot be read is a DamagedFileError. */
export function readRecord(home: string, project: string, env: string): EnvRecord | undefined {
  return readStoredItem<EnvRecord>(home, recordRel(project, env), recordShape(project, env), RECORD_REMEDY);
}

/** The environment's record, or why it cannot be read: never throws for a damaged record. */
export function inspectRecord(
  home: string,
  project: string,
  env: string,
): { record?: EnvRecord; damaged?: DamagedFileError } {
  try {
    return { record: readRecord(home, project, env) };
  } catch (err) {
    if (DamagedFileError.is(err)) return { damaged: err };
    throw err;
  }
}

export function writeRecord(home: string, record: EnvRecord): void {
  stateStore(home).writeText(recordRel(record.project, record.env), JSON.stringify(record, null, 2) + '\n');
}

export function removeRecord(home: string, project: string, env: string): void {
  stateStore(home).remove(recordRel(project, env));
}

/** A record that cannot be read: its environment is known from the file's place only. */
export interface DamagedRecord {
  project: string;
  env: string;
  error: DamagedFileError;
}

/** Every record of one project or all: those that read, and those that are damaged (never left out silently). */
export function listRecords(home: string, project?: string): { records: EnvRecord[]; damaged: DamagedRecord[] } {
  const store = stateStore(home);
  const out: EnvRecord[] = [];
  const damaged: DamagedRecord[] = [];
  const projects = project ? [project] : store.list('envs');
  for (const p of projects) {
    const files = store.list(`envs/${p}`).filter((f) => f.endsWith('.json'));
    for (const f of files) {
      const env = f.slice(0, -'.json'.length);
      const { record, damaged: error } = inspectRecord(home, p, env);
      if (record) out.push(record);
      else if (error) damaged.push({ project: p, env, error });
    }
  }
  return {
    records: out.sort((a, b) => a.project.localeCompare(b.project) || a.branch.localeCompare(b.branch)),
    damaged,
  };
}

/** What an environment's containers' labels say about it (see docker/engine.ts `environmentLabels`). */
export interface LabelledEnvironment {
  project: string;
  env: string;
  branch?: string;
  owner?: string;
  /** When the environment was first brought up (its creation label, else its network's creation). */
  createdAt?: string;
  /** When its newest container was made. */
  updatedAt?: string;
  services: string[];
  databases: string[];
}

/**
 * A record rebuilt from Docker labels, for an environment whose record is damaged or missing. It
 * knows what the labels know (branch, owner, creation time, services); what only the record
 * knew (ports, the last applied fingerprint, what ran) is left out, so the next `up` runs Pulumi
 * and takes ports from the stack's outputs.
 */
export function rebuildRecord(labels: LabelledEnvironment, now = new Date().toISOString()): EnvRecord {
  const createdAt = labels.createdAt ?? labels.updatedAt ?? now;
  return {
    project: labels.project,
    env: labels.env,
    branch: labels.branch ?? labels.env,
    stack: labels.env,
    createdAt,
    updatedAt: labels.updatedAt ?? createdAt,
    ...(labels.owner ? { owner: labels.owner } : {}),
    services: labels.services,
    databases: labels.databases,
    urls: {},
    lastOperation: { op: 'up', status: 'succeeded', at: labels.updatedAt ?? createdAt },
  };
}

/**
 * The services and databases a targeted update leaves running: the spec's entry for each one it
 * targeted (by its container, or its image, volume or password: `web-image`, `db-volume`), the
 * last applied entry for the others.
 */
export function mergeRan(
  prior: NonNullable<EnvRecord['ran']>,
  spec: Pick<Spec, 'services' | 'databases'>,
  only: Array<{ name: string }>,
): NonNullable<EnvRecord['ran']> {
  const targeted = new Set(only.map((r) => r.name.replace(/-(image|volume|password)$/, '')));
  const pick = <T extends { name: string }>(last: T[], now: T[]): T[] => {
    const fromSpec = new Map(now.filter((x) => targeted.has(x.name)).map((x) => [x.name, x]));
    const kept = last
      .filter((x) => !targeted.has(x.name) || fromSpec.has(x.name))
      .map((x) => fromSpec.get(x.name) ?? x);
    return [...kept, ...[...fromSpec.values()].filter((x) => !last.some((l) => l.name === x.name))];
  };
  return { ...prior, services: pick(prior.services, spec.services), databases: pick(prior.databases, spec.databases) };
}
