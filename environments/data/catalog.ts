/** What a source PostgreSQL database holds (from pg_catalog): every non-system schema's tables, columns, keys and foreign keys. */
import pg, { type ClientBase } from 'pg';

export interface ColumnInfo {
  name: string;
  /** The type's name in pg_type (text, int4, jsonb, ...). */
  type: string;
  /** Alone carries a primary key or a unique constraint/index. */
  unique: boolean;
  /**
   * A built-in type with binary send and receive functions: its values cross COPY's binary format
   * from one database to another unchanged (a user-defined type's OID, which arrays and records
   * carry in that format, differs between databases).
   */
  binary?: boolean;
}

export interface ForeignKey {
  name: string;
  columns: string[];
  /** `schema.table` (qualified, unquoted) of the referenced table. */
  references: string;
  referencedColumns: string[];
}

export interface TableInfo {
  schema: string;
  name: string;
  /** `schema.table`, unquoted: the catalog's key for the table. */
  id: string;
  columns: ColumnInfo[];
  primaryKey: string[];
  foreignKeys: ForeignKey[];
  /** Unique constraints and indexes over several columns (no expressions, no predicate). */
  uniqueSets: string[][];
  /** A partitioned table (its rows live in its partitions). */
  partitioned?: boolean;
}

export interface Catalog {
  schemas: string[];
  tables: Map<string, TableInfo>;
}

/** Schemas that belong to PostgreSQL itself, never to the application. */
export const SYSTEM_SCHEMA_SQL = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'`;

export const tableId = (schema: string, table: string) => `${schema}.${table}`;

/** `"schema"."table"`, quoted for SQL. */
export function qualified(t: { schema: string; name: string }): string {
  return `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
}

/**
 * A table's own rows in a query's FROM: `ONLY` the table, so that a table that others inherit
 * from does not bring its children's rows too (each child is a table of the copy itself); a
 * partitioned table keeps its partitions' rows, which are its own.
 */
export function rowsOf(t: { schema: string; name: string; partitioned?: boolean }): string {
  return `${t.partitioned ? '' : 'ONLY '}${qualified(t)}`;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Reads the catalog of the database `client` is connected to (inside the caller's snapshot, if any). */
export async function readCatalog(client: ClientBase): Promise<Catalog> {
  const schemas = await client.query<{ nspname: string }>(
    `SELECT n.nspname FROM pg_namespace n WHERE ${SYSTEM_SCHEMA_SQL} ORDER BY 1`,
  );
  const columns = await client.query<{
    schema: string;
    table: string;
    column: string;
    type: string;
    unique: boolean;
    binary: boolean;
    partitioned: boolean;
  }>(`
    SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, t.typname AS type,
      t.oid < 16384 AND t.typsend::oid <> 0 AND t.typreceive::oid <> 0 AS binary, c.relkind = 'p' AS partitioned,
      EXISTS (
        SELECT 1 FROM pg_index i
        WHERE i.indrelid = c.oid AND i.indisunique AND i.indnatts = 1 AND i.indkey[0] = a.attnum AND i.indpred IS NULL
      ) AS unique
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
    JOIN pg_type t ON t.oid = a.atttypid
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND ${SYSTEM_SCHEMA_SQL}
    ORDER BY n.nspname, c.relname, a.attnum`);
  const keys = await client.query<{
    schema: string;
    table: string;
    kind: string;
    name: string;
    columns: string[];
    ref_schema: string | null;
    ref_table: string | null;
    ref_columns: string[] | null;
  }>(`
    SELECT n.nspname AS schema, c.relname AS table, k.contype AS kind, k.conname AS name,
      ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(attnum, i) JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum ORDER BY u.i)::text[] AS columns,
      rn.nspname AS ref_schema, rc.relname AS ref_table,
      CASE WHEN k.contype = 'f' THEN ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(attnum, i) JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum ORDER BY u.i)::text[] END AS ref_columns
    FROM pg_constraint k
    JOIN pg_class c ON c.oid = k.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_class rc ON rc.oid = k.confrelid
    LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
    WHERE k.contype IN ('p', 'f') AND ${SYSTEM_SCHEMA_SQL}
    ORDER BY k.conname`);
  const uniqueSets = await client.query<{ schema: string; table: string; columns: string[] }>(`
    SELECT n.nspname AS schema, c.relname AS table,
      ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(attnum, k) JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = u.attnum ORDER BY u.k)::text[] AS columns
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE i.indisunique AND i.indnatts > 1 AND i.indpred IS NULL AND 0 <> ALL (i.indkey::int2[]) AND ${SYSTEM_SCHEMA_SQL}
    ORDER BY 1, 2, 3`);
  const tables = new Map<string, TableInfo>();
  for (const row of columns.rows) {
    const id = tableId(row.schema, row.table);
    let table = tables.get(id);
    if (!table)
      tables.set(
        id,
        (table = {
          schema: row.schema,
          name: row.table,
          id,
          columns: [],
          primaryKey: [],
          foreignKeys: [],
          uniqueSets: [],
          partitioned: row.partitioned,
        }),
      );
    table.columns.push({ name: row.column, type: row.type, unique: row.unique, binary: row.binary });
  }
  for (const key of keys.rows) {
    const table = tables.get(tableId(key.schema, key.table));
    if (!table) continue;
    if (key.kind === 'p') table.primaryKey = key.columns;
    else if (key.ref_schema && key.ref_table && key.ref_columns) {
      table.foreignKeys.push({
        name: key.name,
        columns: key.columns,
        references: tableId(key.ref_schema, key.ref_table),
        referencedColumns: key.ref_columns,
      });
    }
  }
  for (const set of uniqueSets.rows) tables.get(tableId(set.schema, set.table))?.uniqueSets.push(set.columns);
  return { schemas: schemas.rows.map((r) => r.nspname), tables };
}

/** Column types whose text can hold personal data worth sampling. */
const SAMPLED_TYPES = new Set([
  'text',
  'varchar',
  'bpchar',
  'citext',
  'json',
  'jsonb',
  'name',
  'int8',
  'numeric',
  'inet',
  'cidr',
  '_text',
  '_varchar',
]);

/** Up to `limit` non-null values (as text) of each sampled column of a table: column name -> values. */
export async function sampleValues(client: ClientBase, table: TableInfo, limit = 200): Promise<Map<string, string[]>> {
  const sampled = table.columns.filter((c) => SAMPLED_TYPES.has(c.type));
  const out = new Map<string, string[]>(sampled.map((c) => [c.name, []]));
  if (sampled.length === 0) return out;
  const list = sampled.map((c) => `${quoteIdent(c.name)}::text`).join(', ');
  const result = await client.query({
    text: `SELECT ${list} FROM ${rowsOf(table)} LIMIT ${limit}`,
    rowMode: 'array',
  });
  for (const row of result.rows as Array<Array<string | null>>) {
    sampled.forEach((c, i) => {
      if (row[i] !== null) out.get(c.name)?.push(row[i] as string);
    });
  }
  return out;
}

/**
 * Reads the source at `sourceUrl` in one read-only snapshot: connects, opens a repeatable-read,
 * read-only transaction, reads the catalog, runs `read`, then ends the transaction and the
 * connection whatever happened.
 */
export async function readSourceSnapshot<T>(
  sourceUrl: string,
  read: (client: pg.Client, catalog: Catalog) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: sourceUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    return await read(client, await readCatalog(client));
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
