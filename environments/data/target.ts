/** The target side of a masked copy: refuse or clear a non-empty target, and set sequences past the copied ids. */
import type { ClientBase } from 'pg';
import { SlipwayError } from '../errors';
import { quoteIdent, SYSTEM_SCHEMA_SQL } from './catalog';

/** Relations (tables, views, sequences) in the target's own schemas. */
async function relationCount(target: ClientBase): Promise<number> {
  const r = await target.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p','v','m','S','f') AND ${SYSTEM_SCHEMA_SQL}`,
  );
  return Number(r.rows[0].n);
}

/** Refuses a target that already holds tables, unless `replace` (then clears it). */
export async function prepareTarget(target: ClientBase, replace: boolean): Promise<void> {
  if ((await relationCount(target)) === 0) return;
  if (!replace) {
    throw new SlipwayError(
      'data-copy-failed',
      'The target database already holds tables, so the masked copy would mix with them; nothing was written.',
      {
        hint: 'Seed into an empty database, or ask for a re-seed (replace), which clears the target first.',
      },
    );
  }
  await clearTarget(target);
}

/** Drops everything in the target's own schemas; `public` is recreated empty. */
export async function clearTarget(target: ClientBase): Promise<void> {
  const schemas = await target.query<{ nspname: string }>(
    `SELECT n.nspname FROM pg_namespace n WHERE ${SYSTEM_SCHEMA_SQL}`,
  );
  for (const { nspname } of schemas.rows) await target.query(`DROP SCHEMA ${quoteIdent(nspname)} CASCADE`);
  await target.query('CREATE SCHEMA IF NOT EXISTS public');
  await target.query('GRANT USAGE ON SCHEMA public TO PUBLIC');
}

/** Sets every target sequence to at least the source's value and past the ids its column holds. Returns how many were set. */
export async function resetSequences(source: ClientBase, target: ClientBase): Promise<number> {
  const sourceValues = await source.query<{ schema: string; name: string; last_value: string | null }>(
    'SELECT schemaname AS schema, sequencename AS name, last_value FROM pg_sequences',
  );
  const last = new Map(sourceValues.rows.map((r) => [`${r.schema}.${r.name}`, r.last_value]));
  const sequences = await target.query<{
    schema: string;
    name: string;
    table_schema: string | null;
    table_name: string | null;
    column_name: string | null;
  }>(`
    SELECT sn.nspname AS schema, s.relname AS name, tn.nspname AS table_schema, t.relname AS table_name, a.attname AS column_name
    FROM pg_class s
    JOIN pg_namespace sn ON sn.oid = s.relnamespace
    LEFT JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
    LEFT JOIN pg_class t ON t.oid = d.refobjid
    LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
    LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
    WHERE s.relkind = 'S'`);
  let count = 0;
  for (const seq of sequences.rows) {
    const name = `${quoteIdent(seq.schema)}.${quoteIdent(seq.name)}`;
    const fromSource = last.get(`${seq.schema}.${seq.name}`) ?? null;
    const max =
      seq.table_name && seq.column_name
        ? (
            await target.query<{ m: string | null }>(
              `SELECT max(${quoteIdent(seq.column_name)})::text AS m FROM ${quoteIdent(seq.table_schema ?? '')}.${quoteIdent(seq.table_name)}`,
            )
          ).rows[0].m
        : null;
    const values = [fromSource, max].filter((v): v is string => v !== null).map(BigInt);
    if (values.length === 0) continue;
    const value = values.reduce((a, b) => (a > b ? a : b));
    await target.query('SELECT setval($1::regclass, $2::bigint, true)', [name, value.toString()]);
    count++;
  }
  return count;
}
