// `slipway state migrate`: moves a SLIPWAY_HOME's records, releases, approvals, audit log and share tokens into a team's PostgreSQL state.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SlipwayError } from '../errors';
import { publicKeyItem } from '../pipeline/audit-seal';
import { FileStateStore } from './file-store';
import { migrateStacks } from './migrate-stacks';
import { PostgresStateStore, ROUTES, type ImportItem } from './pg-store';
import { isPostgresUrl, maskUrl } from './url';

export interface MigrateResult {
  to: string;
  /** Items copied, by table. */
  copied: Record<string, number>;
  /** Items the database already held with the same content (a migration run again). */
  unchanged: number;
  /** Pulumi stacks (`project/stack`) copied into Pulumi's PostgreSQL backend, and those already there. */
  stacks: { copied: string[]; present: string[] };
  /** Set when an earlier migration from this SLIPWAY_HOME was interrupted: where to and when it started (it committed nothing, or only its first stacks). */
  interrupted?: { to: string; startedAt: string };
  /** Logs whose first lines an older, interrupted migration had left there: the rest was added. */
  continued?: number;
}

/** Every shared item of the file layout: `envs/<project>/<env>.json`, `audit/<project>.jsonl`, ... (the machine-wide quota ledger is not one). */
function fileItems(files: FileStateStore): string[] {
  const out: string[] = [];
  for (const route of ROUTES) {
    if (route.dir === 'quotas' || route.dir === 'audit-keys') continue;
    const names = (dir: string) => files.list(dir).filter((n) => n.endsWith(route.ext));
    if (route.parts === 1) for (const n of names(route.dir)) out.push(`${route.dir}/${n}`);
    else
      for (const project of files.list(route.dir))
        for (const n of names(`${route.dir}/${project}`)) out.push(`${route.dir}/${project}/${n}`);
  }
  return [...new Set(out)];
}

/** JSON with every object's keys sorted: jsonb keeps its own key order, so documents compare by content. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

const same = (a: string, b: string) => {
  try {
    return canonical(JSON.parse(a)) === canonical(JSON.parse(b));
  } catch {
    return a === b;
  }
};

/** A migration under way: written to SLIPWAY_HOME before the copy and removed once it is done, so the next run can say an earlier one was interrupted. */
const RUNNING = 'state-migrate.running.json';

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** Stops after `after` items for SLIPWAY_TEST_MIGRATE_PAUSE_AFTER (a test kills the process there); otherwise nothing. */
function testPause(done: number): void {
  const after = Number(process.env.SLIPWAY_TEST_MIGRATE_PAUSE_AFTER);
  if (!Number.isInteger(after) || done !== after) return;
  process.stderr.write(`paused after ${done} items (SLIPWAY_TEST_MIGRATE_PAUSE_AFTER)\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 * 60 * 1000);
}

/**
 * Copies every shared item of `home`'s files into the PostgreSQL state at `url`, with this host's
 * public audit key (its entries' signatures verify there). Nothing is removed from the files. The
 * items are written in one transaction: a migration that is killed or fails leaves the database
 * as it was, and running it again copies them all. A log whose first lines an older, interrupted
 * migration left there gets the rest. An item the database holds with other content (another
 * history) stops the migration before anything is written, naming it. Stacks follow (see
 * ./migrate-stacks.ts), each on its own: those moved before are kept.
 */
export function migrateState(home: string, url: string): MigrateResult {
  if (!isPostgresUrl(url))
    throw new SlipwayError('usage', `--to ${maskUrl(url)} is not a postgres:// URL.`, {
      hint: 'Give the team database: slipway state migrate --to postgres://USER:PASSWORD@HOST:PORT/DATABASE',
    });
  const files = new FileStateStore(home);
  const db = new PostgresStateStore(home, url);
  const items = fileItems(files).map((rel) => ({ rel, text: files.readText(rel)! }));
  const key = publicKeyItem(home);
  if (key) items.push(key);
  const plan: ImportItem[] = [];
  let unchanged = 0;
  let continued = 0;
  const differs = (rel: string) =>
    new SlipwayError(
      'policy-refused',
      `The team state ${maskUrl(url)} already holds ${db.where(rel)} with other content than ${files.where(rel)}; nothing was migrated.`,
      {
        hint: 'Another SLIPWAY_HOME has the same project there: move that history aside or migrate into an empty database.',
      },
    );
  for (const item of items) {
    const there = db.readText(item.rel);
    const log = ROUTES.find((r) => r.table === db.where(item.rel).split(' ')[0])?.kind === 'log';
    if (log) {
      const mine = lines(item.text);
      const theirs = there === undefined ? [] : lines(there);
      if (theirs.some((l, i) => mine[i] === undefined || !same(l, mine[i]))) throw differs(item.rel);
      if (theirs.length === mine.length) unchanged++;
      else {
        if (theirs.length) continued++;
        plan.push({ rel: item.rel, lines: mine.slice(theirs.length), after: theirs.length });
      }
    } else if (there === undefined) plan.push(item);
    else if (same(there.trim(), item.text.trim()) || (item.rel.startsWith('audit-keys/') && there)) unchanged++;
    else throw differs(item.rel);
  }
  const running = join(home, RUNNING);
  const interrupted = readInterrupted(running);
  writeFileSync(
    running,
    JSON.stringify({ to: maskUrl(url), startedAt: new Date().toISOString(), pid: process.pid }) + '\n',
  );
  // The mark spans the items' transaction only: a failure is reported now and commits nothing, and
  // the stacks that follow are each kept once moved, so only a killed copy leaves it for the next run.
  try {
    db.importItems(plan, testPause);
  } finally {
    rmSync(running, { force: true });
  }
  const copied: Record<string, number> = {};
  for (const item of plan) {
    const table = db.where(item.rel).split(' ')[0];
    copied[table] = (copied[table] ?? 0) + 1;
  }
  const stacks = migrateStacks(home, url);
  return {
    to: maskUrl(url),
    copied,
    unchanged,
    stacks,
    ...(interrupted ? { interrupted } : {}),
    ...(continued ? { continued } : {}),
  };
}

/** When an earlier migration that never finished started, and where to (from its file), if one did. */
function readInterrupted(file: string): MigrateResult['interrupted'] {
  if (!existsSync(file)) return undefined;
  try {
    const { to, startedAt } = JSON.parse(readFileSync(file, 'utf8')) as { to?: unknown; startedAt?: unknown };
    return { to: String(to), startedAt: String(startedAt) };
  } catch {
    return { to: 'unknown', startedAt: 'unknown' };
  }
}
