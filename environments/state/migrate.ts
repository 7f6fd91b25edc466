// `slipway state migrate`: moves a SLIPWAY_HOME's records, releases, approvals, audit log and share tokens into a team's PostgreSQL state.
import { SlipwayError } from '../errors';
import { publicKeyItem } from '../pipeline/audit-seal';
import { FileStateStore } from './file-store';
import { migrateStacks } from './migrate-stacks';
import { PostgresStateStore, ROUTES } from './pg-store';
import { isPostgresUrl, maskUrl } from './url';

export interface MigrateResult {
  to: string;
  /** Items copied, by table. */
  copied: Record<string, number>;
  /** Items the database already held with the same content (a migration run again). */
  unchanged: number;
  /** Pulumi stacks (`project/stack`) copied into Pulumi's PostgreSQL backend, and those already there. */
  stacks: { copied: string[]; present: string[] };
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

/**
 * Copies every shared item of `home`'s files into the PostgreSQL state at `url`, with this host's
 * public audit key (its entries' signatures verify there). Nothing is removed from the files. An
 * item the database holds with other content (another history) stops the migration before
 * anything is written, naming it.
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
  const plan: typeof items = [];
  let unchanged = 0;
  for (const item of items) {
    const there = db.readText(item.rel);
    if (there === undefined) plan.push(item);
    else if (same(there.trim(), item.text.trim()) || (item.rel.startsWith('audit-keys/') && there)) unchanged++;
    else
      throw new SlipwayError(
        'policy-refused',
        `The team state ${maskUrl(url)} already holds ${db.where(item.rel)} with other content than ${files.where(item.rel)}; nothing was migrated.`,
        {
          hint: 'Another SLIPWAY_HOME has the same project there: move that history aside or migrate into an empty database.',
        },
      );
  }
  const copied: Record<string, number> = {};
  for (const item of plan) {
    const table = db.where(item.rel).split(' ')[0];
    const log = ROUTES.find((r) => r.table === table)?.kind === 'log';
    if (log) for (const line of item.text.split('\n').filter((l) => l.trim() !== '')) db.appendLine(item.rel, line);
    else db.writeText(item.rel, item.text);
    copied[table] = (copied[table] ?? 0) + 1;
  }
  const stacks = migrateStacks(home, url);
  return { to: maskUrl(url), copied, unchanged, stacks };
}
