/** Subsetting: root rows by `where` or percent, closed over foreign keys both ways (a fixed point over temp tables of kept keys). */
import type { ClientBase, QueryConfig } from 'pg';
import { SlipwayError } from '../errors';
import { qualified, quoteIdent, rowsOf, type Catalog, type TableInfo } from './catalog';
import { tableRule, type MaskingPolicy } from './policy';

/**
 * Which rows of each subsetted table to copy, as a SELECT over the table (`FROM <table> t WHERE ...`)
 * valid in the session that ran `createKeepTables` and `fillSubset` (it reads that session's temp tables).
 * Tables absent from the map are copied whole.
 */
export type SubsetFilters = Map<string, string>;

const cols = (alias: string, names: string[]) => names.map((n) => `${alias}.${quoteIdent(n)}`).join(', ');
const equal = (a: string, an: string[], b: string, bn: string[]) =>
  an.map((n, i) => `${a}.${quoteIdent(n)} = ${b}.${quoteIdent(bn[i])}`).join(' AND ');

/** Which tables a subset reaches and how: computed from the catalog alone. */
export interface SubsetPlan {
  roots: TableInfo[];
  /** Tables connected to a root by foreign keys (copied tables only). */
  component: Set<string>;
  /** The roots' tables and tables below them: their kept rows also bring their children. */
  downstream: Set<string>;
  edges: Array<{ child: TableInfo; parent: TableInfo; fk: TableInfo['foreignKeys'][number] }>;
  /** Table id -> its temp table of kept keys. */
  keep: Map<string, string>;
  tables: Map<string, TableInfo>;
}

export function planSubset(catalog: Catalog, policy: MaskingPolicy): SubsetPlan {
  const copied = [...catalog.tables.values()].filter(
    (t) => (tableRule(policy, t.schema, t.name)?.mode ?? 'copy') === 'copy',
  );
  const isCopied = new Set(copied.map((t) => t.id));
  const roots = copied.filter((t) => tableRule(policy, t.schema, t.name)?.subset);
  const edges = copied.flatMap((child) =>
    child.foreignKeys
      .filter((fk) => isCopied.has(fk.references))
      .map((fk) => ({ child, parent: catalog.tables.get(fk.references) as TableInfo, fk })),
  );
  const component = new Set(roots.map((t) => t.id));
  const downstream = new Set(roots.map((t) => t.id));
  for (let grew = roots.length > 0; grew;) {
    grew = false;
    for (const { child, parent } of edges) {
      for (const [a, b] of [
        [child.id, parent.id],
        [parent.id, child.id],
      ]) {
        if (component.has(a) && !component.has(b)) {
          component.add(b);
          grew = true;
        }
      }
      if (downstream.has(parent.id) && !downstream.has(child.id)) {
        downstream.add(child.id);
        grew = true;
      }
    }
  }
  const keep = new Map<string, string>();
  for (const id of component) {
    const table = catalog.tables.get(id) as TableInfo;
    if (table.primaryKey.length === 0) {
      throw new SlipwayError(
        'data-copy-failed',
        `${id} has no primary key, and a subset reaches it through foreign keys.`,
        {
          hint: `Give ${id} a primary key, or mark it \`skip\` or \`truncate\` in the masking policy.`,
        },
      );
    }
    keep.set(id, `pg_temp.${quoteIdent(`slipway_keep_${keep.size}`)}`);
  }
  return { roots, component, downstream, edges, keep, tables: catalog.tables };
}

/**
 * Creates the temp tables of kept keys. Run before the read-only snapshot transaction opens:
 * inside it, rows may go into temp tables but no table may be created.
 */
export async function createKeepTables(client: ClientBase, plan: SubsetPlan): Promise<void> {
  for (const [id, temp] of plan.keep) {
    const table = plan.tables.get(id) as TableInfo;
    await client.query(
      `CREATE TEMP TABLE ${temp} AS SELECT ${cols('t', table.primaryKey)} FROM ${qualified(table)} t LIMIT 0`,
    );
    await client.query(`ALTER TABLE ${temp} ADD PRIMARY KEY (${table.primaryKey.map(quoteIdent).join(', ')})`);
  }
}

/**
 * Fills the kept keys: the roots' rows, then, until nothing changes, the parents every kept row
 * references and (for the roots' tables and those below them) the children of kept rows, so
 * self-references and cycles close too. Returns the row filter of each subsetted table.
 */
export async function fillSubset(
  client: ClientBase,
  plan: SubsetPlan,
  policy: MaskingPolicy,
  signal?: AbortSignal,
): Promise<SubsetFilters> {
  const { roots, component, downstream, edges, keep } = plan;
  const filters: SubsetFilters = new Map();
  if (roots.length === 0) return filters;
  for (const root of roots) {
    const subset = tableRule(policy, root.schema, root.name)?.subset;
    const pk = cols('t', root.primaryKey);
    const temp = keep.get(root.id);
    if (subset && 'where' in subset) {
      // The extended protocol runs exactly one statement: a `where` cannot smuggle in another.
      // (`queryMode` is pg's own option; its type definitions lag behind.)
      const text = `INSERT INTO ${temp} SELECT ${pk} FROM ${rowsOf(root)} t WHERE (${subset.where}) ON CONFLICT DO NOTHING`;
      await client.query({ text, queryMode: 'extended' } as QueryConfig);
    } else if (subset) {
      // Deterministic: the same rows every run, chosen by a hash of the key.
      await client.query(
        `INSERT INTO ${temp} SELECT ${pk} FROM ${rowsOf(root)} t ORDER BY md5(row(${pk})::text)
         LIMIT (SELECT ceil(count(*) * ${Number(subset.percent)} / 100.0) FROM ${rowsOf(root)}) ON CONFLICT DO NOTHING`,
      );
    }
  }

  for (let changed = true; changed;) {
    changed = false;
    for (const { child, parent, fk } of edges) {
      signal?.throwIfAborted();
      if (!component.has(child.id)) continue;
      const [kc, kp] = [keep.get(child.id), keep.get(parent.id)];
      const parents = await client.query(
        `INSERT INTO ${kp} SELECT DISTINCT ${cols('p', parent.primaryKey)} FROM ${rowsOf(child)} c
         JOIN ${kc} kc ON ${equal('c', child.primaryKey, 'kc', child.primaryKey)}
         JOIN ${rowsOf(parent)} p ON ${equal('p', fk.referencedColumns, 'c', fk.columns)}
         ON CONFLICT DO NOTHING`,
      );
      changed ||= (parents.rowCount ?? 0) > 0;
      if (!downstream.has(child.id)) continue;
      const children = await client.query(
        `INSERT INTO ${kc} SELECT DISTINCT ${cols('c', child.primaryKey)} FROM ${rowsOf(child)} c
         JOIN ${rowsOf(parent)} p ON ${equal('p', fk.referencedColumns, 'c', fk.columns)}
         JOIN ${kp} kp ON ${equal('p', parent.primaryKey, 'kp', parent.primaryKey)}
         ON CONFLICT DO NOTHING`,
      );
      changed ||= (children.rowCount ?? 0) > 0;
    }
  }

  for (const [id, temp] of keep) {
    const table = plan.tables.get(id) as TableInfo;
    filters.set(id, `EXISTS (SELECT 1 FROM ${temp} k WHERE ${equal('k', table.primaryKey, 't', table.primaryKey)})`);
  }
  return filters;
}
