/** What each database of an environment was seeded from: SLIPWAY_HOME/seeds/<project>/<env>.json, no secrets (the source's host, never its password). */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../files';
import { checkFields, readStoredJson } from '../stored';

export interface DatabaseSeed {
  /** The source without user or password: `host:port/database`, or `file:NAME` of a dump. */
  source: string;
  /** The masking policy file (absolute) and the sha256 of its text. */
  policy: string;
  policyHash: string;
  /** The masked snapshot the database started from, when there is one. */
  snapshot?: string;
  /** How the clone of the snapshot was made: layered on it (overlay volume, no copy) or copied. */
  clone?: 'overlay' | 'copy';
  rows: number;
  tables: number;
  /** When it was seeded (ISO time) and how long it took. */
  at: string;
  durationMs: number;
}

export interface SeedRecord {
  project: string;
  env: string;
  databases: Record<string, DatabaseSeed>;
}

export function seedRecordPath(home: string, project: string, env: string): string {
  return join(home, 'seeds', project, `${env}.json`);
}

const REMEDY = 'remove it: the next `slipway data seed` writes it again';

export function readSeedRecord(home: string, project: string, env: string): SeedRecord | undefined {
  return readStoredJson<SeedRecord>(
    seedRecordPath(home, project, env),
    (v) => checkFields(v, { project: 'string', env: 'string', databases: 'object' }),
    REMEDY,
  );
}

/** Records one database's seed, keeping the others'. */
export function recordSeed(home: string, project: string, env: string, database: string, seed: DatabaseSeed): void {
  const record = readSeedRecord(home, project, env) ?? { project, env, databases: {} };
  record.databases[database] = seed;
  writeFileAtomically(seedRecordPath(home, project, env), JSON.stringify(record, null, 2) + '\n');
}

/** Forgets an environment's seeds (its databases are gone). */
export function removeSeedRecord(home: string, project: string, env: string): void {
  rmSync(seedRecordPath(home, project, env), { force: true });
}
