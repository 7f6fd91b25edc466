import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from './files';
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
  };
  /** The resolved spec the last successful `up` ran (no secrets), for promotion. */
  ran?: { services: ServiceSpec[]; databases: DatabaseSpec[]; data?: unknown; mocks?: unknown };
  lastOperation: { op: 'up' | 'down'; status: 'running' | 'succeeded' | 'failed' | 'cancelled'; at: string; error?: string };
}

export function recordPath(home: string, project: string, env: string): string {
  return join(home, 'envs', project, `${env}.json`);
}

export function lockPath(home: string, project: string, env: string): string {
  return join(home, 'locks', project, `${env}.lock`);
}

export function readRecord(home: string, project: string, env: string): EnvRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(home, project, env), 'utf8')) as EnvRecord;
  } catch {
    return undefined;
  }
}

export function writeRecord(home: string, record: EnvRecord): void {
  writeFileAtomically(recordPath(home, record.project, record.env), JSON.stringify(record, null, 2) + '\n');
}

export function removeRecord(home: string, project: string, env: string): void {
  rmSync(recordPath(home, project, env), { force: true });
}

export function listRecords(home: string, project?: string): EnvRecord[] {
  const root = join(home, 'envs');
  let projects: string[];
  try {
    projects = project ? [project] : readdirSync(root);
  } catch {
    return [];
  }
  const out: EnvRecord[] = [];
  for (const p of projects) {
    let files: string[];
    try {
      files = readdirSync(join(root, p)).filter((f) => f.endsWith('.json'));
    } catch {
      continue;
    }
    for (const f of files) {
      const r = readRecord(home, p, f.slice(0, -'.json'.length));
      if (r) out.push(r);
    }
  }
  return out.sort((a, b) => a.project.localeCompare(b.project) || a.branch.localeCompare(b.branch));
}

/**
 * The services and databases a targeted update leaves running: the spec's entry for each one it
 * targeted (by its container, or its image, volume or password: `web-image`, `db-volume`), the
 * last applied entry for the others.
 */
export function mergeRan(prior: NonNullable<EnvRecord['ran']>, spec: Pick<Spec, 'services' | 'databases'>, only: Array<{ name: string }>): NonNullable<EnvRecord['ran']> {
  const targeted = new Set(only.map((r) => r.name.replace(/-(image|volume|password)$/, '')));
  const pick = <T extends { name: string }>(last: T[], now: T[]): T[] => {
    const fromSpec = new Map(now.filter((x) => targeted.has(x.name)).map((x) => [x.name, x]));
    const kept = last.filter((x) => !targeted.has(x.name) || fromSpec.has(x.name)).map((x) => fromSpec.get(x.name) ?? x);
    return [...kept, ...[...fromSpec.values()].filter((x) => !last.some((l) => l.name === x.name))];
  };
  return { ...prior, services: pick(prior.services, spec.services), databases: pick(prior.databases, spec.databases) };
}
