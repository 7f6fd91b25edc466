/** Validation of the parsed spec against `slipway.schema.json` (Ajv), Ajv's errors turned into one positioned issue per mistake. */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { precompiled } from './precompiled-validator';
import type { SpecIssue } from '../errors';
import type { RawSpec } from './normalize';
import { formatPath, isRecord, type Path, type Problem, type SpecSource } from './source';

let validator: ValidateFunction<RawSpec> | undefined;

/**
 * The bundles' precompiled validator (./precompiled-validator.ts), else the schema compiled now with
 * the same options (./compile-validator.ts, required only then: Ajv itself and the schema take
 * tens of milliseconds to load, which a command reading a spec in a bundle never pays).
 */
export function schemaValidator(): ValidateFunction<RawSpec> {
  validator ??=
    (precompiled as ValidateFunction<RawSpec> | undefined) ??
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./compile-validator') as typeof import('./compile-validator')).compileSchemaValidator();
  return validator;
}

export function schemaIssues(data: unknown, source: SpecSource): SpecIssue[] {
  const validate = schemaValidator();
  if (validate(data)) return [];
  return describeSchemaErrors(validate.errors ?? [], data).map((p) => source.issue(p.path, p.at, p.message));
}

/** Turns Ajv's errors into one problem per mistake, dropping the noise of alternatives and name checks. */
function describeSchemaErrors(errors: ErrorObject[], data: unknown): Problem[] {
  const handled = new Set<ErrorObject>();
  for (const error of errors) {
    if (error.keyword !== 'oneOf' && error.keyword !== 'anyOf') continue;
    for (const branchError of branchErrors(errors, error)) handled.add(branchError);
  }
  // A key with an invalid name is also "additional"; its name error says more.
  const badNames = new Set(
    errors
      .filter((e) => e.keyword === 'propertyNames')
      .map((e) => `${e.instancePath}/${String(e.params.propertyName)}`),
  );
  const isBadName = (e: ErrorObject): boolean =>
    e.keyword === 'additionalProperties' && badNames.has(`${e.instancePath}/${String(e.params.additionalProperty)}`);
  const problems: Problem[] = [];
  for (const error of errors) {
    // `propertyName` is set on the errors inside a propertyNames check, reported by the check itself.
    if (handled.has(error) || error.propertyName !== undefined || isBadName(error)) continue;
    const problem = describeSchemaError(error, pointerToPath(error.instancePath, data));
    if (problem) problems.push(problem);
  }
  return problems;
}

/** The errors produced by the branches of a failed `oneOf`/`anyOf`. */
function branchErrors(errors: ErrorObject[], alternatives: ErrorObject): ErrorObject[] {
  const at = alternatives.instancePath;
  return errors.filter(
    (e) =>
      e !== alternatives &&
      e.schemaPath.startsWith(`${alternatives.schemaPath}/`) &&
      (e.instancePath === at || e.instancePath.startsWith(`${at}/`)),
  );
}

function describeSchemaError(error: ErrorObject, path: Path): Problem | undefined {
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(error.params.additionalProperty);
      const allowed = Object.keys(schemaObject(error.parentSchema)?.properties ?? {});
      // A gate is a mapping from its kind to its options: its only key is the kind.
      const isGate = path.length >= 2 && path[path.length - 2] === 'gates' && typeof path[path.length - 1] === 'number';
      const message = isGate
        ? `unknown gate kind "${name}" (kinds: ${allowed.join(', ')})`
        : `unknown field "${name}" (allowed: ${allowed.join(', ')})`;
      return { path: [...path, name], at: 'key', message };
    }
    case 'propertyNames': {
      const name = String(error.params.propertyName);
      const rule = schemaText(error.schema, 'patternErrorMessage') ?? 'not allowed here';
      return { path: [...path, name], at: 'key', message: `invalid ${nameKind(path)} name "${name}": ${rule}` };
    }
    case 'required':
      return { path, at: 'owner', message: `missing required field "${String(error.params.missingProperty)}"` };
    case 'oneOf':
    case 'anyOf':
      return describeAlternatives(error, path);
    case 'uniqueItems': {
      const [first, again] = [Number(error.params.j), Number(error.params.i)].sort((a, b) => a - b);
      const value = Array.isArray(error.data) ? JSON.stringify(error.data[again]) : 'this value';
      const message = `${value} is listed twice (also at ${formatPath([...path, first])})`;
      return { path: [...path, again], at: 'value', message };
    }
    default: {
      const custom =
        (error.keyword === 'pattern' ? schemaText(error.parentSchema, 'patternErrorMessage') : undefined) ??
        schemaText(error.parentSchema, 'errorMessage');
      return { path, at: 'value', message: custom ?? error.message ?? 'is not valid here' };
    }
  }
}

/**
 * A failed `oneOf`. The spec uses it for "exactly one of these fields" (build/image, http/command):
 * either none is set (point at the mapping's key) or several are (point at the last one). On a
 * value that is not a mapping at all, the type error says it all, so this adds nothing.
 */
function describeAlternatives(error: ErrorObject, path: Path): Problem | undefined {
  const branches: unknown[] = Array.isArray(error.schema) ? error.schema : [];
  const fields = branches.map(requiredOnly);
  if (fields.some((f) => f === undefined)) {
    const message = schemaText(error.parentSchema, 'errorMessage') ?? 'does not match any of the allowed forms';
    return { path, at: 'value', message };
  }
  if (!isRecord(error.data)) return undefined;
  const data = error.data;
  const names = fields.map((f) => `"${f}"`).join(' or ');
  if (Array.isArray(error.params.passingSchemas)) {
    const present = fields.filter((f): f is string => f !== undefined && f in data);
    return { path: [...path, present[present.length - 1] ?? ''], at: 'key', message: `set only one of ${names}` };
  }
  return { path, at: 'owner', message: `missing ${names} (set exactly one)` };
}

/** The field name of a `{ required: [name] }` branch, or undefined for any other kind of branch. */
function requiredOnly(branch: unknown): string | undefined {
  if (!isRecord(branch) || Object.keys(branch).length !== 1) return undefined;
  const required = branch.required;
  return Array.isArray(required) && required.length === 1 && typeof required[0] === 'string' ? required[0] : undefined;
}

function nameKind(mapPath: Path): string {
  const last = mapPath[mapPath.length - 1];
  if (last === 'services') return 'service';
  if (last === 'databases') return 'database';
  if (last === 'env') return 'variable';
  return 'key';
}

/** The path named by a JSON pointer into `data`; segments that index a list become numbers. */
function pointerToPath(pointer: string, data: unknown): Path {
  if (pointer === '') return [];
  const path: Array<string | number> = [];
  let current = data;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const index = Array.isArray(current) && /^\d+$/.test(segment) ? Number(segment) : undefined;
    path.push(index ?? segment);
    current = index !== undefined ? (current as unknown[])[index] : isRecord(current) ? current[segment] : undefined;
  }
  return path;
}

function schemaObject(value: unknown): { properties?: Record<string, unknown> } | undefined {
  return isRecord(value) ? value : undefined;
}

function schemaText(value: unknown, keyword: string): string | undefined {
  const text = isRecord(value) ? value[keyword] : undefined;
  return typeof text === 'string' ? text : undefined;
}
