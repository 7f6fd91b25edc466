/** A failed fail-closed check as positioned issues of the policy file: each column at its table's entry (its own rule when it has one), or at the file's top when the policy names no such table. */
import { readFileSync } from 'node:fs';
import type { SpecIssue } from '../errors';
import type { UnsafeColumn } from './check';
import { YamlSource, type Path } from './yaml-source';

const has = (v: unknown, key: string): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.hasOwn(v, key);

/** The deepest of schemas.<s>.tables.<t>[.columns.<c>] the policy holds; undefined when it names no such table. */
function entryOf(data: unknown, c: UnsafeColumn): Path | undefined {
  if (!has(data, 'schemas') || !has(data.schemas, c.schema)) return undefined;
  const schema = data.schemas[c.schema];
  if (!has(schema, 'tables') || !has(schema.tables, c.table)) return undefined;
  const table = schema.tables[c.table];
  const path = ['schemas', c.schema, 'tables', c.table];
  return has(table, 'columns') && has(table.columns, c.column) ? [...path, 'columns', c.column] : path;
}

/** One issue per column, against `policyFile` as it is on disk now (text: as an editor holds it). */
export function unsafeColumnIssues(policyFile: string, columns: UnsafeColumn[], text?: string): SpecIssue[] {
  const source = new YamlSource(text ?? readFileSync(policyFile, 'utf8'), policyFile);
  return columns.map((c) => {
    const message = `${c.schema}.${c.table}.${c.column}: ${c.why}`;
    const path = source.issues.length ? undefined : entryOf(source.data, c);
    const issue = path
      ? source.issue(path, message, true)
      : { file: policyFile, line: 1, column: 1, endLine: 1, endColumn: 1, field: '', message };
    return { ...issue, field: `${c.schema}.${c.table}.${c.column}`, message: c.why };
  });
}
