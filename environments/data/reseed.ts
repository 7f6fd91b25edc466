/** Re-seeding a running environment's database from its spec's seed, and what each database of an environment was seeded from: the editor's Re-seed and dashboard. */
import { relative } from 'node:path';
import { connectDocker } from '../docker/engine';
import { SlipwayError } from '../errors';
import type { OperationOptions } from '../events';
import { envNames, isStageBranch } from '../naming';
import type { Spec } from '../spec/types';
import { seedDatabase } from './preview-seed';
import { readSeedRecord, type DatabaseSeed } from './seed-record';

export interface ReseedRequest {
  home: string;
  dockerHost: string;
  spec: Spec;
  branch: string;
  database: string;
  /** Mask anew instead of cloning the project's snapshot. */
  fresh?: boolean;
}

/** Clears the database and fills it again from its spec's seed (the snapshot, or masked anew); the environment must run. */
export async function reseedDatabase(req: ReseedRequest, opts: OperationOptions = {}): Promise<DatabaseSeed> {
  const db = req.spec.databases.find((d) => d.name === req.database);
  if (!db?.seed)
    throw new SlipwayError('not-found', `${req.spec.file} does not seed a database "${req.database}".`, {
      hint: `Add databases.${req.database}.seed: { source, policy } to the spec, or use \`slipway data seed --source URL --policy FILE\`.`,
    });
  if (isStageBranch(req.branch))
    throw new SlipwayError(
      'policy-refused',
      `${req.branch.slice('stage:'.length)} is a pipeline stage: its data changes only through a promotion.`,
      {
        hint: 'Declare `seed: same` on the stage and promote to it; it is then seeded with the policy of what is promoted.',
      },
    );
  const names = envNames(req.spec.name, req.branch);
  return seedDatabase(
    {
      home: req.home,
      project: names.project,
      env: names.env,
      docker: connectDocker(req.dockerHost),
      container: names.container(db.name),
    },
    db,
    { signal: opts.signal, onEvent: opts.onEvent, replace: true, fresh: req.fresh },
  );
}

/** One database's seed as the dashboard shows it: its record (no secret), the policy shown relative to the spec's folder. */
export interface DatabaseSeedSummary extends DatabaseSeed {
  database: string;
  /** The spec's cron schedule for it, if any. */
  schedule?: string;
  /** The spec seeds it; false: seeded by hand (`data seed --source --policy`) and the spec has no seed now. */
  inSpec: boolean;
}

/** The seeds of an environment's databases, from its seed record, with the spec's schedule of each. */
export function seedSummaries(
  home: string,
  spec: Spec | undefined,
  project: string,
  branch: string,
): DatabaseSeedSummary[] {
  const names = envNames(project, branch);
  const record = readSeedRecord(home, names.project, names.env);
  const dir = spec?.dir;
  const shownPolicy = (file: string) => {
    if (!dir) return file;
    const rel = relative(dir, file);
    return rel.startsWith('..') ? file : rel;
  };
  const out: DatabaseSeedSummary[] = [];
  for (const [database, seed] of Object.entries(record?.databases ?? {})) {
    const db = spec?.databases.find((d) => d.name === database);
    out.push({
      database,
      source: seed.source,
      policy: shownPolicy(seed.policy),
      policyHash: seed.policyHash,
      ...(seed.snapshot ? { snapshot: seed.snapshot } : {}),
      ...(seed.clone ? { clone: seed.clone } : {}),
      rows: seed.rows,
      tables: seed.tables,
      at: seed.at,
      durationMs: seed.durationMs,
      ...(db?.seed?.schedule ? { schedule: db.seed.schedule } : {}),
      inSpec: !!db?.seed,
    });
  }
  return out.sort((a, b) => a.database.localeCompare(b.database));
}
