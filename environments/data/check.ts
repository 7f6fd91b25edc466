/** Fail closed: before any row moves, every source column must be covered by the policy, and nothing personal may be kept unreviewed. */
import type { ClientBase } from 'pg';
import { SlipwayError, type SpecIssue } from '../errors';
import { readSourceSnapshot, sampleValues, tableId, type Catalog, type TableInfo } from './catalog';
import { personalColumn } from './detect';
import { MaskingPolicyError, ruleFor, tableRule, type MaskingPolicy, type Transformer } from './policy';

export interface UnsafeColumn {
  schema: string;
  table: string;
  column: string;
  problem: 'no-rule' | 'personal-kept' | 'parent-not-copied';
  why: string;
}

/** The source holds columns the policy does not mask safely; nothing was written to the target. */
export class MaskingUnsafeError extends SlipwayError {
  /** `policy`: the policy file checked, so each column can be shown against it. */
  constructor(
    readonly columns: UnsafeColumn[],
    readonly policy?: string,
  ) {
    super(
      'masking-unsafe',
      `The masking policy does not cover the source safely, so nothing was copied:\n${columns.map((c) => `  ${c.schema}.${c.table}.${c.column}: ${c.why}`).join('\n')}`,
      {
        hint: 'Give each listed column a transformer in the policy (or `keep: reviewed` once someone has checked it holds nothing personal), then seed again.',
      },
    );
  }

  static override is(err: unknown): err is MaskingUnsafeError {
    return SlipwayError.is(err, 'masking-unsafe') && Array.isArray((err as MaskingUnsafeError).columns);
  }
}

/** Rules that name a schema, table or column the source does not have, and subsets on tables without a primary key. */
export function policyIssues(catalog: Catalog, policy: MaskingPolicy): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const [schema, tables] of Object.entries(policy.schemas)) {
    if (!catalog.schemas.includes(schema)) {
      issues.push(
        policy.issueAt(
          ['schemas', schema],
          `the source database has no schema "${schema}" (it has: ${catalog.schemas.join(', ') || 'none'})`,
        ),
      );
      continue;
    }
    for (const [name, rule] of Object.entries(tables)) {
      const path = ['schemas', schema, 'tables', name];
      const table = catalog.tables.get(tableId(schema, name));
      if (!table) {
        issues.push(policy.issueAt(path, `the source database has no table ${schema}.${name}`));
        continue;
      }
      for (const column of Object.keys(rule.columns)) {
        if (!table.columns.some((c) => c.name === column))
          issues.push(policy.issueAt([...path, 'columns', column], `${schema}.${name} has no column "${column}"`));
      }
      if (rule.subset && table.primaryKey.length === 0)
        issues.push(
          policy.issueAt(
            [...path, 'subset'],
            `${schema}.${name} has no primary key, which a subset needs to follow its rows`,
          ),
        );
    }
  }
  return [...issues, ...foreignKeyIssues(catalog, policy)];
}

/** A foreign key whose columns are masked differently from the columns they reference would no longer match. */
function foreignKeyIssues(catalog: Catalog, policy: MaskingPolicy): SpecIssue[] {
  const describe = (t: Transformer | undefined) =>
    JSON.stringify(t, (_k, v: unknown) => (v instanceof RegExp ? String(v) : v));
  const issues: SpecIssue[] = [];
  for (const table of catalog.tables.values()) {
    if ((tableRule(policy, table.schema, table.name)?.mode ?? 'copy') !== 'copy') continue;
    for (const fk of table.foreignKeys) {
      const parent = catalog.tables.get(fk.references);
      if (!parent) continue;
      fk.columns.forEach((column, i) => {
        const mine = ruleFor(policy, table.schema, table.name, column).transformer;
        const theirs = ruleFor(policy, parent.schema, parent.name, fk.referencedColumns[i]).transformer;
        if (!mine || !theirs || describe(mine) === describe(theirs)) return;
        if (mine.kind === 'keep' && theirs.kind === 'keep') return;
        issues.push(
          policy.issueAt(
            ['schemas', table.schema, 'tables', table.name, 'columns', column],
            `${table.id}.${column} references ${parent.id}.${fk.referencedColumns[i]} (foreign key ${fk.name}) but is masked differently (${mine.kind} vs ${theirs.kind}); give both the same rule so the keys still match`,
          ),
        );
      });
    }
  }
  return issues;
}

/** True when a transformer lets source values through (wholly or mostly). */
function letsValuesThrough(t: Transformer, fromDefault: boolean): boolean {
  if (t.kind === 'keep') return !t.reviewed;
  return fromDefault && (t.kind === 'regex' || t.kind === 'noise' || t.kind === 'dateShift');
}

/**
 * Compares the source with the policy. Throws `MaskingPolicyError` when the policy names what the
 * source lacks, `MaskingUnsafeError` listing every uncovered or personal-but-kept column.
 */
export async function checkSource(
  client: ClientBase,
  catalog: Catalog,
  policy: MaskingPolicy,
  signal?: AbortSignal,
): Promise<void> {
  const issues = policyIssues(catalog, policy);
  if (issues.length > 0) throw new MaskingPolicyError(issues);
  const unsafe: UnsafeColumn[] = [];
  for (const table of catalog.tables.values()) {
    signal?.throwIfAborted();
    const rule = tableRule(policy, table.schema, table.name);
    if (rule && rule.mode !== 'copy') continue;
    unsafe.push(...parentProblems(catalog, policy, table));
    let samples: Map<string, string[]> | undefined;
    for (const column of table.columns) {
      const at = { schema: table.schema, table: table.name, column: column.name };
      const { transformer, fromDefault } = ruleFor(policy, table.schema, table.name, column.name);
      if (!transformer) {
        unsafe.push({ ...at, problem: 'no-rule', why: 'no rule names this column and the policy has no `default`' });
        continue;
      }
      if (!letsValuesThrough(transformer, fromDefault)) continue;
      samples ??= await sampleValues(client, table);
      const finding = personalColumn(column, samples.get(column.name) ?? []);
      if (finding) {
        const how = fromDefault ? `the default (${transformer.kind}) would copy it` : 'its rule is `keep`';
        unsafe.push({
          ...at,
          problem: 'personal-kept',
          why: `it looks personal (${finding.why}) and ${how}; mask it, or mark it \`keep: reviewed\``,
        });
      }
    }
  }
  if (unsafe.length > 0) throw new MaskingUnsafeError(unsafe, policy.file);
}

/** A copied table whose foreign key points at a table that is skipped or truncated could not keep that key. */
function parentProblems(catalog: Catalog, policy: MaskingPolicy, table: TableInfo): UnsafeColumn[] {
  return table.foreignKeys.flatMap((fk) => {
    const parent = catalog.tables.get(fk.references);
    const mode = parent ? tableRule(policy, parent.schema, parent.name)?.mode : undefined;
    if (!parent || !mode || mode === 'copy') return [];
    return [
      {
        schema: table.schema,
        table: table.name,
        column: fk.columns.join(','),
        problem: 'parent-not-copied' as const,
        why: `its foreign key ${fk.name} references ${fk.references}, which the policy marks \`${mode}\`; copy that table too, or mark this one \`${mode}\``,
      },
    ];
  });
}

export interface CheckReport {
  tables: number;
  columns: number;
  /** Every uncovered or unsafe column; empty when the policy covers the source safely. */
  problems: UnsafeColumn[];
}

/**
 * The fail-closed check alone, read-only against the source at `sourceUrl`: how many tables and
 * columns it has and every column the policy leaves unsafe. Throws `MaskingPolicyError` when the
 * policy names what the source lacks.
 */
export async function checkPolicy(
  sourceUrl: string,
  policy: MaskingPolicy,
  signal?: AbortSignal,
): Promise<CheckReport> {
  return readSourceSnapshot(sourceUrl, async (client, catalog) => {
    const tables = [...catalog.tables.values()];
    const counts = { tables: tables.length, columns: tables.reduce((n, t) => n + t.columns.length, 0) };
    try {
      await checkSource(client, catalog, policy, signal);
      return { ...counts, problems: [] };
    } catch (err) {
      if (MaskingUnsafeError.is(err)) return { ...counts, problems: err.columns };
      throw err;
    }
  });
}
