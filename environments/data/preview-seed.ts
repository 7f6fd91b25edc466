/** Seeds one database of an environment from its spec's `seed`: source resolved, policy checked (fail closed), the masked snapshot made once and cloned in (or a fresh masked copy), the seed recorded. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { SlipwayError } from '../errors';
import type { SlipwayEvent } from '../events';
import type { DatabaseSpec, SeedSpec } from '../spec/types';
import { MaskingUnsafeError, checkPolicy } from './check';
import { restoreDump } from './dump-source';
import { loadPolicy, type MaskingPolicy } from './policy';
import { projectKey } from './project-key';
import { recordSeed, type DatabaseSeed } from './seed-record';
import { withSeedLock } from './seed-lock';
import { seedMaskedData } from './seed';
import { findSnapshot, makeSnapshot, snapshotId } from './snapshot';
import { cloneSnapshot, type ClonePath } from './snapshot-clone';
import { releaseSnapshots } from './snapshot-refs';
import { sourceError, sourceUrlProblem } from './source';

export interface SeedTarget {
  home: string;
  project: string;
  env: string;
  docker: Docker;
  /** The database container's name (Docker). */
  container: string;
}

export interface ResolvedSource {
  /** A postgres:// URL (from the environment variable), or a dump file. */
  url?: string;
  file?: string;
  /** How it is shown and recorded: `host:port/database` (never user or password) or `file:NAME`. */
  shown: string;
}

/** The source a seed names, read now (an environment variable's URL, or the dump's path). */
export function resolveSource(
  seed: SeedSpec,
  database: string,
  overrideUrl?: string,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedSource {
  if (overrideUrl === undefined && 'file' in seed.source)
    return { file: seed.source.file, shown: `file:${seed.source.file}` };
  const name = 'env' in seed.source ? seed.source.env : undefined;
  const url = overrideUrl ?? (name ? env[name] : undefined);
  if (!url) {
    throw new SlipwayError(
      'seed-source-missing',
      `The seed of database "${database}" reads its source from $${name}, which is not set.`,
      {
        hint: `Set ${name} to the source's postgres://user:password@host:port/database URL (it stays out of the spec and every record), then run the command again.`,
      },
    );
  }
  const problem = sourceUrlProblem(url);
  if (problem)
    throw new SlipwayError(
      'seed-source-missing',
      `The seed of database "${database}": ${problem.replace('--source', `$${name ?? 'source'}`)}.`,
      { hint: `Set ${name ?? '--source'} to a postgres:// URL.` },
    );
  return { url, shown: hostOf(url) };
}

/** `host:port/database` of a URL: what a record and the dashboard show of a source. */
export function hostOf(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '5432'}${u.pathname || '/'}`.replace(/\/$/, '');
}

export function policyHash(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * The fail-closed check before anything is made: the policy parses and names only what the source
 * has, and covers every column safely; otherwise a typed error (`masking-policy-invalid`,
 * `masking-unsafe`) listing every column. A dump file is checked when it has been restored.
 */
export async function preflightSeed(
  db: DatabaseSpec,
  source: ResolvedSource,
  signal?: AbortSignal,
): Promise<MaskingPolicy> {
  const policy = await loadPolicy(db.seed!.policy);
  if (!source.url) return policy;
  try {
    const report = await checkPolicy(source.url, policy, signal);
    if (report.problems.length) throw new MaskingUnsafeError(report.problems, policy.file);
  } catch (err) {
    throw sourceError(err, source.url);
  }
  return policy;
}

/** The database's URL on the host (127.0.0.1 and its published port), password included: for the copy and `slipway url --database --show-secrets`. */
export async function databaseHostUrl(docker: Docker, container: string, db: DatabaseSpec): Promise<string> {
  const info = await docker.getContainer(container).inspect();
  const password = (info.Config.Env ?? [])
    .find((e) => e.startsWith('POSTGRES_PASSWORD='))
    ?.slice('POSTGRES_PASSWORD='.length);
  const port = info.NetworkSettings.Ports?.['5432/tcp']?.find(
    (b) => b.HostIp === '127.0.0.1' || b.HostIp === '',
  )?.HostPort;
  if (!password || !port)
    throw new SlipwayError(
      'operation-failed',
      `The database container ${container} publishes no port or holds no password.`,
      { hint: 'Run `slipway up` to recreate it.' },
    );
  return `postgres://${encodeURIComponent(db.user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(db.database)}`;
}

export interface SeedRunOptions {
  signal?: AbortSignal;
  onEvent?: (e: SlipwayEvent) => void;
  /** Clear what the database holds first (a re-seed). */
  replace?: boolean;
  /** Mask anew into the database, not from the snapshot. */
  fresh?: boolean;
  /** Remake the snapshot from the source before cloning it. */
  refresh?: boolean;
  /** Instead of the spec's: a source URL, a policy file. */
  sourceUrl?: string;
  policyFile?: string;
}

/**
 * Seeds the database (which must be running) and records the seed. Nothing is written when the
 * check fails. One seed of an environment at a time (`seed-lock.ts`).
 */
export function seedDatabase(target: SeedTarget, db: DatabaseSpec, opts: SeedRunOptions = {}): Promise<DatabaseSeed> {
  return withSeedLock(target, db.name, opts, () => seedUnlocked(target, db, opts));
}

async function seedUnlocked(target: SeedTarget, db: DatabaseSpec, opts: SeedRunOptions): Promise<DatabaseSeed> {
  const seed: SeedSpec = { ...db.seed!, ...(opts.policyFile ? { policy: opts.policyFile } : {}) };
  const spec = { ...db, seed };
  const source = resolveSource(seed, db.name, opts.sourceUrl);
  const emit = (e: Omit<Extract<SlipwayEvent, { type: 'seed' }>, 'type' | 'database'>) =>
    opts.onEvent?.({ type: 'seed', database: db.name, ...e });
  emit({ message: `checking ${source.shown} against ${seed.policy}` });
  const policy = await preflightSeed(spec, source, opts.signal);
  const targetUrl = await databaseHostUrl(target.docker, target.container, db);
  const key = projectKey(target.home, target.project);
  const hash = policyHash(seed.policy);
  const started = Date.now();
  const copy = async (sourceUrl: string, into: string) => {
    try {
      const summary = await seedMaskedData(sourceUrl, into, policy, {
        key,
        signal: opts.signal,
        replace: opts.replace,
        onEvent: (e) =>
          e.type === 'table'
            ? emit({ table: e.table, rows: e.rows, rowsPerSecond: e.rowsPerSecond, done: e.done })
            : undefined,
      });
      return { rows: summary.tables.reduce((n, t) => n + t.rows, 0), tables: summary.tables.length };
    } catch (err) {
      throw sourceError(sourceError(err, sourceUrl), into);
    }
  };
  const fill = (into: string) =>
    source.file ? restoreDump(source.file, into, opts.signal, (from) => copy(from, into)) : copy(source.url!, into);
  let figures: { rows: number; tables: number };
  let snapshot: string | undefined;
  let clone: ClonePath | undefined;
  if (opts.fresh) {
    emit({ message: 'masking anew (--fresh), not from the snapshot' });
    figures = await fill(targetUrl);
  } else {
    const id = snapshotId(source.shown, hash, key, db);
    let snap = opts.refresh ? undefined : await findSnapshot(target.docker, target.home, target.project, id);
    if (!snap) {
      emit({ message: `making the masked snapshot ${id} (once per source, policy and project key)` });
      snap = await makeSnapshot(
        target.docker,
        { home: target.home, project: target.project, id, db },
        fill,
        opts.signal,
      );
    }
    emit({ message: `cloning the snapshot ${id} (made ${snap.madeAt})` });
    const cloning = Date.now();
    const password = new URL(targetUrl).password;
    clone = await cloneSnapshot(
      target.docker,
      snap,
      { container: target.container, user: db.user, password: decodeURIComponent(password), url: targetUrl },
      { replace: opts.replace, signal: opts.signal },
    );
    emit({
      message: `cloned ${snap.rows} rows in ${((Date.now() - cloning) / 1000).toFixed(1)}s (${clone === 'overlay' ? 'layered on the snapshot, no copy' : 'copied: the engine mounts no overlay volume here'})`,
    });
    figures = snap;
    snapshot = id;
    // A snapshot replaced since this preview's last clone goes when nothing reads it any more.
    await releaseSnapshots(target.docker, target.home, target.project).catch(() => undefined);
  }
  const done: DatabaseSeed = {
    source: source.shown,
    policy: seed.policy,
    policyHash: hash,
    ...(snapshot ? { snapshot } : {}),
    ...(clone ? { clone } : {}),
    rows: figures.rows,
    tables: figures.tables,
    at: new Date().toISOString(),
    durationMs: Date.now() - started,
  };
  recordSeed(target.home, target.project, target.env, db.name, done);
  emit({
    message: `seeded ${done.rows} rows in ${done.tables} tables from ${done.source} (${(done.durationMs / 1000).toFixed(1)}s)`,
  });
  return done;
}
