/** The masking policy file: YAML validated against masking.schema.json, normalized into a MaskingPolicy. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import schema from './masking.schema.json';
import { SlipwayError, formatSpecIssue, type SpecIssue } from '../errors';
import { YamlSource, type Path } from './yaml-source';

export const FAKE_KINDS = [
  'firstName',
  'lastName',
  'fullName',
  'email',
  'phone',
  'street',
  'city',
  'postcode',
  'company',
  'username',
  'ip',
  'iban',
  'cardNumber',
  'nationalId',
] as const;
export type FakeKind = (typeof FAKE_KINDS)[number];

export type Transformer =
  | { kind: 'keep'; reviewed: boolean }
  | { kind: 'null' }
  | { kind: 'redact'; value: string | number | boolean | null }
  | { kind: 'hash'; length: number }
  | { kind: 'fake'; fake: FakeKind }
  | { kind: 'scramble' }
  | { kind: 'dateShift'; days: number }
  | { kind: 'noise'; percent: number }
  | { kind: 'regex'; pattern: RegExp; replace: string }
  | { kind: 'json'; paths: Array<{ path: string[]; transformer: Transformer }> }
  | { kind: 'template'; template: string; columns: string[] };

export type Subset = { where: string } | { percent: number };

export interface TablePolicy {
  mode: 'copy' | 'skip' | 'truncate';
  subset?: Subset;
  columns: Record<string, Transformer>;
}

export interface MaskingPolicy {
  file: string;
  /** Transformer of every column no rule names; without it such a column stops the seed. */
  default?: Transformer;
  /** schema -> table -> rules. */
  schemas: Record<string, Record<string, TablePolicy>>;
  /** A positioned issue about a path of the policy file (for checks made against the database). */
  issueAt(path: Path, message: string): SpecIssue;
}

/** A policy file that is not valid: every problem, each with file, line, column and field. */
export class MaskingPolicyError extends SlipwayError {
  constructor(
    readonly issues: SpecIssue[],
    hint = 'Fix the masking policy and run the seed again; nothing was copied.',
  ) {
    super('masking-policy-invalid', `The masking policy is not valid:\n${issues.map(formatSpecIssue).join('\n')}`, {
      hint,
    });
  }

  static override is(err: unknown): err is MaskingPolicyError {
    return SlipwayError.is(err, 'masking-policy-invalid') && Array.isArray((err as MaskingPolicyError).issues);
  }
}

let validator: ValidateFunction | undefined;
function validate(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true, allowUnionTypes: true }).compile(schema);
  return validator;
}

/** Reads and parses a policy file; a missing file is a `masking-policy-invalid` error too. */
export async function loadPolicy(file: string): Promise<MaskingPolicy> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SlipwayError(
      'masking-policy-invalid',
      `Cannot read the masking policy ${path}: ${(err as Error).message}.`,
      {
        hint: 'Create it (`slipway data init --source URL --out FILE` drafts one), or point at the right file.',
        cause: err,
      },
    );
  }
  return parsePolicy(text, path);
}

/** Parses and validates the text of a policy. Throws `MaskingPolicyError` listing every problem. */
export function parsePolicy(text: string, file: string): MaskingPolicy {
  const source = new YamlSource(text, file);
  if (source.issues.length > 0) throw new MaskingPolicyError(source.issues);
  const check = validate();
  if (!check(source.data)) throw new MaskingPolicyError(source.schemaIssues(check.errors ?? []));
  const raw = source.data as RawPolicy;
  const issues: SpecIssue[] = [];
  const transformer = (value: unknown, path: Path) =>
    normalizeTransformer(value, path, (p, m) => issues.push(source.issue(p, m)));
  const schemas: MaskingPolicy['schemas'] = {};
  for (const [schemaName, rawSchema] of Object.entries(raw.schemas)) {
    const tables: Record<string, TablePolicy> = (schemas[schemaName] = {});
    for (const [tableName, rawTable] of Object.entries(rawSchema.tables ?? {})) {
      const path = ['schemas', schemaName, 'tables', tableName];
      if (typeof rawTable === 'string') {
        tables[tableName] = { mode: rawTable, columns: {} };
        continue;
      }
      const columns: Record<string, Transformer> = {};
      for (const [column, value] of Object.entries(rawTable.columns ?? {})) {
        columns[column] = transformer(value, [...path, 'columns', column]);
      }
      for (const [column, t] of Object.entries(columns)) {
        if (t.kind !== 'template') continue;
        for (const ref of t.columns) {
          if (!(ref in columns))
            issues.push(
              source.issue(
                [...path, 'columns', column],
                `the template names "${ref}", which has no rule in this table`,
              ),
            );
          else if (columns[ref].kind === 'template')
            issues.push(source.issue([...path, 'columns', column], `the template names "${ref}", itself a template`));
        }
      }
      tables[tableName] = { mode: 'copy', subset: rawTable.subset, columns };
    }
  }
  const policy: MaskingPolicy = {
    file,
    default: raw.default === undefined ? undefined : transformer(raw.default, ['default']),
    schemas,
    issueAt: (path, message) => source.issue(path, message),
  };
  if (issues.length > 0) throw new MaskingPolicyError(issues);
  return policy;
}

interface RawPolicy {
  version: 1;
  default?: unknown;
  schemas: Record<
    string,
    { tables?: Record<string, 'skip' | 'truncate' | { subset?: Subset; columns?: Record<string, unknown> }> }
  >;
}

function normalizeTransformer(value: unknown, path: Path, problem: (path: Path, message: string) => void): Transformer {
  if (value === null || value === 'null') return { kind: 'null' };
  if (typeof value === 'string') {
    if (value === 'keep') return { kind: 'keep', reviewed: false };
    if (value === 'hash') return { kind: 'hash', length: 16 };
    if (value === 'scramble') return { kind: 'scramble' };
    return { kind: 'fake', fake: value as FakeKind };
  }
  const [name, options] = Object.entries(value as Record<string, unknown>)[0];
  const o = options as Record<string, unknown>;
  switch (name) {
    case 'keep':
      return { kind: 'keep', reviewed: true };
    case 'redact':
      return { kind: 'redact', value: options as string | number | boolean | null };
    case 'hash':
      return { kind: 'hash', length: (o.length as number | undefined) ?? 16 };
    case 'dateShift':
      return { kind: 'dateShift', days: o.days as number };
    case 'noise':
      return { kind: 'noise', percent: o.percent as number };
    case 'regex':
      try {
        return { kind: 'regex', pattern: new RegExp(o.pattern as string, 'g'), replace: o.replace as string };
      } catch (err) {
        problem([...path, 'regex', 'pattern'], `not a valid regular expression: ${(err as Error).message}`);
        return { kind: 'null' };
      }
    case 'json':
      return {
        kind: 'json',
        paths: Object.entries(o).map(([p, t]) => ({
          path: p.split('.').slice(1),
          transformer: normalizeTransformer(t, [...path, 'json', p], problem),
        })),
      };
    default: {
      const template = options as string;
      const columns = [...template.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]);
      if (columns.length === 0) problem([...path, 'template'], 'a template names at least one column, as {column}');
      return { kind: 'template', template, columns };
    }
  }
}

/** The rule for a column, or where it comes from when none is written: the default, or nothing. */
export function ruleFor(
  policy: MaskingPolicy,
  schema: string,
  table: string,
  column: string,
): { transformer?: Transformer; fromDefault: boolean } {
  const written = policy.schemas[schema]?.[table]?.columns[column];
  if (written) return { transformer: written, fromDefault: false };
  return { transformer: policy.default, fromDefault: policy.default !== undefined };
}

/** The table's rule; a table the policy does not list is copied with column rules from the default. */
export function tableRule(policy: MaskingPolicy, schema: string, table: string): TablePolicy | undefined {
  return policy.schemas[schema]?.[table];
}
