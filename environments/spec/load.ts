/**
 * Loads `slipway.yaml` v1. The YAML is parsed, validated against `slipway.schema.json` (next to this file)
 * (the same schema the editor uses) and against the rules a schema cannot express (references,
 * name clashes, build folders, reference cycles), then normalized into the `Spec` the engine
 * consumes. Every problem becomes a `SpecIssue` pointing at the offending YAML node; all of them
 * are thrown together in one `SpecError`, so the user can fix everything in one pass.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import {
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Alias,
  type Document,
  type Node as YamlNode,
  type YAMLMap,
} from 'yaml';
import schema from './slipway.schema.json';
import { SlipwayError, SpecError, type SpecIssue } from '../errors';
import { normalizePipeline, pipelineProblems, type RawPipeline } from './pipeline';
import type { DatabaseSpec, HealthCheck, ServiceSpec, Spec, SpecRef, TemplateValue } from './types';
import { parseDuration, parseMemory } from './units';

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * Reads and parses the spec file at `file`. A missing file throws `SlipwayError('spec-not-found')`;
 * an invalid one throws `SpecError` with every issue found.
 */
export async function loadSpec(file: string): Promise<Spec> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new SlipwayError('spec-not-found', `No Slipway spec found: ${path} does not exist.`, {
        hint: 'Create slipway.yaml at the root of the project, or pass --spec <file>.',
        cause: err,
      });
    }
    if (code === 'EISDIR') {
      throw new SlipwayError('spec-not-found', `No Slipway spec found: ${path} is a folder, not a file.`, {
        hint: 'Pass the path of the slipway.yaml file itself with --spec <file>.',
        cause: err,
      });
    }
    throw err;
  }
  return parseSpec(text, path);
}

/**
 * Parses and validates the text of a spec. `file` is the spec's absolute path: issues name it, and
 * relative build contexts resolve against its folder (which must exist: build folders are checked).
 * Throws `SpecError` listing every issue found; throws nothing else for bad input.
 */
export function parseSpec(text: string, file: string): Spec {
  const source = new SpecSource(text, resolve(file));
  if (source.syntaxIssues.length > 0) {
    throw new SpecError(uniqueSorted([...source.syntaxIssues, ...source.duplicateKeyIssues]));
  }
  const data = source.data;
  const issues = uniqueSorted([
    ...source.duplicateKeyIssues,
    ...schemaIssues(data, source),
    ...semanticIssues(data, source),
  ]);
  if (issues.length > 0) throw new SpecError(issues);
  return normalize(data as RawSpec, source);
}

/** Turns a template into its final string, asking `resolveRef` for the value of each reference. */
export function renderTemplate(value: TemplateValue, resolveRef: (ref: SpecRef) => string): string {
  return value.map((part) => (typeof part === 'string' ? part : resolveRef(part.ref))).join('');
}

// ---------------------------------------------------------------------------------------------
// The YAML shape, as accepted by the schema (before normalization)
// ---------------------------------------------------------------------------------------------

interface RawResources {
  cpus?: number;
  memory?: string | number;
}

interface RawHealthCheck {
  http?: string | { path: string; port?: number };
  command?: string[];
  interval?: string;
  timeout?: string;
}

interface RawService {
  build?: string | { context: string; dockerfile?: string };
  image?: string;
  command?: string | string[];
  ports?: number[];
  env?: Record<string, string | number | boolean>;
  healthcheck?: RawHealthCheck;
  resources?: RawResources;
}

interface RawDatabase {
  engine: 'postgres';
  version: string | number;
  image?: string;
  database?: string;
  user?: string;
  resources?: RawResources;
}

interface RawSpec {
  version: 1;
  name: string;
  services: Record<string, RawService>;
  databases?: Record<string, RawDatabase>;
  data?: Record<string, unknown>;
  mocks?: Record<string, unknown>;
  pipeline?: RawPipeline;
}

/** Path of a node in the document: mapping keys and sequence indexes. */
type Path = ReadonlyArray<string | number>;

/** Which part of a node an issue points at. `owner`: the key of the mapping at the path. */
type Target = 'key' | 'value' | 'owner';

const DATABASE_ATTRS = ['url', 'host', 'port', 'user', 'password', 'name'];
const SERVICE_ATTRS = ['url', 'host', 'port'];
const DEFAULT_DOCKERFILE = 'Dockerfile';
const DEFAULT_USER = 'app';
const DEFAULT_INTERVAL_MS = 1000;
const DEFAULT_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// The parsed document and positions in it
// ---------------------------------------------------------------------------------------------

interface Step {
  key?: YamlNode;
  value?: YamlNode;
}

/** The parsed YAML of one spec file, able to turn a path in it into a positioned `SpecIssue`. */
class SpecSource {
  readonly file: string;
  readonly dir: string;
  /** YAML syntax errors; when there are any, the document is not checked further. */
  readonly syntaxIssues: SpecIssue[] = [];
  /** Keys defined twice in one mapping (the last definition wins, as in `data`). */
  readonly duplicateKeyIssues: SpecIssue[] = [];
  readonly data: unknown;
  private readonly lines = new LineCounter();
  private readonly doc: Document.Parsed;

  constructor(
    private readonly text: string,
    file: string,
  ) {
    this.file = file;
    this.dir = dirname(file);
    // Duplicate keys are found below, with better positions. Tags such as !!binary stay plain
    // strings (with a warning), so the data is always JSON-like.
    this.doc = parseDocument(text, {
      lineCounter: this.lines,
      prettyErrors: false,
      uniqueKeys: false,
      resolveKnownTags: false,
    });
    for (const error of this.doc.errors) {
      const field = formatPath(this.pathAt(error.pos[0]));
      const message = `YAML syntax error: ${error.message}`;
      this.syntaxIssues.push(this.issueAtOffsets(error.pos[0], error.pos[1], field, message));
    }
    this.checkNodes(this.doc.contents, []);
    this.data = this.syntaxIssues.length > 0 ? undefined : this.toJS();
  }

  /** An issue about the node at `path`; falls back to the closest existing ancestor. */
  issue(path: Path, target: Target, message: string): SpecIssue {
    const steps = this.steps(path);
    const found = steps.length === path.length + 1;
    const last = steps[steps.length - 1];
    if (target === 'owner' && path.length === 0) return this.rootIssue(message);
    // An empty value (`ports:`) has no text to point at: its key stands in for it.
    const node = target === 'value' && found ? (nonEmpty(last.value) ?? last.key) : (last.key ?? nonEmpty(last.value));
    if (!node?.range) return this.rootIssue(message, path);
    return this.issueAtOffsets(node.range[0], node.range[1], formatPath(path), message);
  }

  /** The source text of the scalar at `path` (e.g. `1.10` for a number), if there is one. */
  scalarSource(path: Path): string | undefined {
    const steps = this.steps(path);
    const node = steps.length === path.length + 1 ? steps[steps.length - 1].value : undefined;
    return isScalar(node) && typeof node.source === 'string' && node.source !== '' ? node.source : undefined;
  }

  private toJS(): unknown {
    try {
      return this.doc.toJS();
    } catch (err) {
      this.syntaxIssues.push(this.rootIssue(`YAML error: ${err instanceof Error ? err.message : String(err)}`));
      return undefined;
    }
  }

  /** The key and value nodes along `path`, starting with the document's root; stops where the path ends in the YAML. */
  private steps(path: Path): Step[] {
    const steps: Step[] = [{ value: this.doc.contents ?? undefined }];
    let current: YamlNode | undefined = this.doc.contents ?? undefined;
    for (const segment of path) {
      const step = this.child(current, segment);
      if (!step) break;
      steps.push(step);
      current = step.value;
    }
    return steps;
  }

  private child(node: YamlNode | undefined, segment: string | number): Step | undefined {
    const target = isAlias(node) ? node.resolve(this.doc) : node;
    if (isMap(target)) {
      // The last definition of a duplicate key is the one that counts, as in the parsed data.
      const pair = target.items.filter((p) => keyText(p.key) === String(segment)).pop();
      if (!pair) return undefined;
      return { key: asNode(pair.key), value: asNode(pair.value) };
    }
    if (isSeq(target) && /^\d+$/.test(String(segment))) {
      const item = asNode(target.items[Number(segment)]);
      return item ? { value: item } : undefined;
    }
    return undefined;
  }

  /** The path of the innermost key or item whose source covers `offset` (best effort, for syntax errors). */
  private pathAt(offset: number): Path {
    const path: Array<string | number> = [];
    let node: YamlNode | undefined = this.doc.contents ?? undefined;
    while (node) {
      if (isMap(node)) {
        const pair = node.items.find((p) => covers(p.key, offset) || covers(p.value, offset));
        const key = pair ? keyText(pair.key) : undefined;
        if (!pair || key === undefined) break;
        path.push(key);
        node = covers(pair.key, offset) ? undefined : asNode(pair.value);
      } else if (isSeq(node)) {
        const index = node.items.findIndex((item) => covers(item, offset));
        if (index < 0) break;
        path.push(index);
        node = asNode(node.items[index]);
      } else {
        break;
      }
    }
    return path;
  }

  /** Reports duplicate keys, and aliases inside the node they refer to (the data would be endless). */
  private checkNodes(node: YamlNode | null | undefined, path: Path): void {
    if (isAlias(node)) this.checkAlias(node, path);
    if (isSeq(node)) node.items.forEach((item, i) => this.checkNodes(asNode(item), [...path, i]));
    if (isMap(node)) this.checkMap(node, path);
  }

  private checkAlias(alias: Alias, path: Path): void {
    if (!alias.range) return;
    const target = alias.resolve(this.doc);
    let message: string | undefined;
    if (!target) message = `alias "*${alias.source}" refers to no anchor: define "&${alias.source}" before it`;
    else if (target.range && target.range[0] <= alias.range[0] && alias.range[0] < target.range[2]) {
      message = `alias "*${alias.source}" is inside the node it refers to, which would make endless data`;
    }
    if (message) this.syntaxIssues.push(this.issueAtOffsets(alias.range[0], alias.range[1], formatPath(path), message));
  }

  private checkMap(node: YAMLMap, path: Path): void {
    const seen = new Map<string, YamlNode>();
    for (const pair of node.items) {
      const key = keyText(pair.key);
      const keyNode = asNode(pair.key);
      if (key === undefined || !keyNode?.range) continue;
      const first = seen.get(key);
      if (first?.range) {
        const line = this.lines.linePos(first.range[0]).line;
        const message = `duplicate key "${key}" (first defined on line ${line}); keep only one`;
        this.duplicateKeyIssues.push(
          this.issueAtOffsets(keyNode.range[0], keyNode.range[1], formatPath([...path, key]), message),
        );
      } else {
        seen.set(key, keyNode);
      }
      this.checkNodes(asNode(pair.value), [...path, key]);
    }
  }

  /** An issue about the document as a whole: the first line of its content. */
  private rootIssue(message: string, path: Path = []): SpecIssue {
    const start = this.doc.contents?.range?.[0] ?? 0;
    const lineEnd = this.text.indexOf('\n', start);
    return this.issueAtOffsets(start, lineEnd === -1 ? this.text.length : lineEnd, formatPath(path), message);
  }

  /** Converts 0-based source offsets into a 1-based issue; the end is the position just after the node. */
  private issueAtOffsets(start: number, end: number, field: string, message: string): SpecIssue {
    let last = Math.min(end, this.text.length);
    while (last > start && /\s/.test(this.text[last - 1])) last--;
    const from = this.position(start);
    const to = this.position(Math.max(last, start));
    return { file: this.file, line: from.line, column: from.col, endLine: to.line, endColumn: to.col, field, message };
  }

  private position(offset: number): { line: number; col: number } {
    const pos = this.lines.linePos(offset);
    return pos.line === 0 ? { line: 1, col: offset + 1 } : pos;
  }
}

function asNode(value: unknown): YamlNode | undefined {
  return isNode(value) ? value : undefined;
}

/** The node, unless it is missing or has no source text (an empty value such as `ports:`). */
function nonEmpty(node: YamlNode | undefined): YamlNode | undefined {
  return node?.range && node.range[1] > node.range[0] ? node : undefined;
}

function covers(node: unknown, offset: number): boolean {
  const range = asNode(node)?.range;
  return !!range && range[0] <= offset && offset < Math.max(range[2], range[0] + 1);
}

function keyText(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  return key.value === null ? '' : String(key.value);
}

/** `services.web.ports[0]`; keys that are not plain names are quoted: `env["A-B"]`. */
function formatPath(path: Path): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** The issues in source order, each reported once. */
function uniqueSorted(issues: SpecIssue[]): SpecIssue[] {
  const byId = new Map<string, SpecIssue>();
  for (const i of issues) byId.set(`${i.line}:${i.column}:${i.field}:${i.message}`, i);
  return [...byId.values()].sort((a, b) => a.line - b.line || a.column - b.column);
}

// ---------------------------------------------------------------------------------------------
// Schema validation
// ---------------------------------------------------------------------------------------------

let validator: ValidateFunction<RawSpec> | undefined;

function schemaValidator(): ValidateFunction<RawSpec> {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true });
    // Messages shared with the editor (VS Code's JSON and YAML language services read them too).
    ajv.addVocabulary(['errorMessage', 'patternErrorMessage']);
    validator = ajv.compile<RawSpec>(schema);
  }
  return validator;
}

interface Problem {
  path: Path;
  at: Target;
  message: string;
}

function schemaIssues(data: unknown, source: SpecSource): SpecIssue[] {
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// References inside values: ${{ databases.db.url }}
// ---------------------------------------------------------------------------------------------

const REF_OPEN = '${{';
const REF_CLOSE = '}}';

/** Splits a string into literal text and references; malformed references are reported in `errors`. */
function parseTemplate(text: string): { value: TemplateValue; errors: string[] } {
  const value: TemplateValue = [];
  const errors: string[] = [];
  let literal = '';
  let rest = 0;
  for (let open = text.indexOf(REF_OPEN); open !== -1; open = text.indexOf(REF_OPEN, rest)) {
    literal += text.slice(rest, open);
    const close = text.indexOf(REF_CLOSE, open + REF_OPEN.length);
    if (close === -1) {
      errors.push(`"${REF_OPEN}" is never closed: end the reference with "${REF_CLOSE}"`);
      rest = open;
      break;
    }
    const raw = text.slice(open, close + REF_CLOSE.length);
    const ref = parseRef(text.slice(open + REF_OPEN.length, close).trim());
    if (ref) {
      if (literal !== '') value.push(literal);
      literal = '';
      value.push({ ref });
    } else {
      errors.push(
        `"${raw}" is not a reference: write \${{ databases.<name>.<attribute> }} or \${{ services.<name>.<attribute> }}`,
      );
      literal += raw;
    }
    rest = close + REF_CLOSE.length;
  }
  literal += text.slice(rest);
  if (literal !== '') value.push(literal);
  return { value, errors };
}

function parseRef(inner: string): SpecRef | undefined {
  const match = /^(databases|services)\.([^.\s]+)\.([^.\s]+)$/.exec(inner);
  if (!match) return undefined;
  return { kind: match[1] as SpecRef['kind'], name: match[2], attr: match[3] };
}

function refText(ref: SpecRef): string {
  return `\${{ ${ref.kind}.${ref.name}.${ref.attr} }}`;
}

/** One reference found in a service's env, with where it was written. */
interface EnvRef {
  service: string;
  path: Path;
  ref: SpecRef;
}

/** The references in every string env value of the (possibly not yet valid) services, in order. */
function envRefs(services: Record<string, unknown>): { refs: EnvRef[]; malformed: Problem[] } {
  const refs: EnvRef[] = [];
  const malformed: Problem[] = [];
  for (const [service, raw] of Object.entries(services)) {
    const env = isRecord(raw) && isRecord(raw.env) ? raw.env : {};
    for (const [variable, value] of Object.entries(env)) {
      if (typeof value !== 'string') continue;
      const path = ['services', service, 'env', variable];
      const parsed = parseTemplate(value);
      for (const part of parsed.value) if (typeof part !== 'string') refs.push({ service, path, ref: part.ref });
      for (const message of parsed.errors) malformed.push({ path, at: 'value', message });
    }
  }
  return { refs, malformed };
}

// ---------------------------------------------------------------------------------------------
// Checks the schema cannot express. They run on the raw data even when the schema failed, so
// every issue is reported at once; anything of an unexpected shape is left to the schema.
// ---------------------------------------------------------------------------------------------

interface Declared {
  services: Record<string, unknown>;
  databases: Record<string, unknown>;
}

function semanticIssues(data: unknown, source: SpecSource): SpecIssue[] {
  if (!isRecord(data)) return [];
  const declared: Declared = {
    services: isRecord(data.services) ? data.services : {},
    databases: isRecord(data.databases) ? data.databases : {},
  };
  const { refs, malformed } = envRefs(declared.services);
  const problems = [
    ...malformed,
    ...nameClashProblems(declared),
    ...refs.flatMap((r) => referenceProblems(r, declared)),
    ...cycleProblems(refs, declared),
    ...Object.entries(declared.services).flatMap(([name, raw]) => [
      ...buildProblems(name, raw, source.dir),
      ...healthCheckProblems(name, raw),
    ]),
    ...pipelineProblems(data.pipeline),
  ];
  return problems.map((p) => source.issue(p.path, p.at, p.message));
}

function nameClashProblems(declared: Declared): Problem[] {
  return Object.keys(declared.databases)
    .filter((name) => Object.hasOwn(declared.services, name))
    .map((name) => ({
      path: ['databases', name],
      at: 'key',
      message: `name "${name}" is already used by a service; services and databases need different names`,
    }));
}

function referenceProblems({ service, path, ref }: EnvRef, declared: Declared): Problem[] {
  const message = referenceMessage(service, ref, declared);
  return message ? [{ path, at: 'value', message: `${refText(ref)}: ${message}` }] : [];
}

function referenceMessage(from: string, ref: SpecRef, declared: Declared): string | undefined {
  const isDatabase = ref.kind === 'databases';
  const kind = isDatabase ? 'database' : 'service';
  const names = Object.keys(isDatabase ? declared.databases : declared.services);
  if (!names.includes(ref.name)) {
    const known = names.length > 0 ? `declared: ${names.join(', ')}` : `no ${ref.kind} are declared`;
    return `refers to ${kind} "${ref.name}", which is not declared (${known})`;
  }
  const attrs = isDatabase ? DATABASE_ATTRS : SERVICE_ATTRS;
  if (!attrs.includes(ref.attr)) return `a ${kind} has no attribute "${ref.attr}" (use one of: ${attrs.join(', ')})`;
  if (isDatabase) return undefined;
  if (ref.name === from && ref.attr === 'url') return 'a service cannot refer to its own url';
  const target = declared.services[ref.name];
  const ports = isRecord(target) ? target.ports : undefined;
  const hasNoPorts = ports === undefined || (Array.isArray(ports) && ports.length === 0);
  if ((ref.attr === 'url' || ref.attr === 'port') && hasNoPorts) {
    return `service "${ref.name}" has no ports, so it has no ${ref.attr}; add ports to it`;
  }
  return undefined;
}

/** Services wait for the services they refer to, so references between services must not form a circle. */
function cycleProblems(refs: EnvRef[], declared: Declared): Problem[] {
  const order = Object.keys(declared.services);
  const edges = new Map<string, Map<string, Path>>(order.map((name) => [name, new Map()]));
  for (const { service, path, ref } of refs) {
    const from = edges.get(service);
    if (ref.kind === 'services' && ref.name !== service && edges.has(ref.name) && !from?.has(ref.name)) {
      from?.set(ref.name, path);
    }
  }
  return findCycles(order, (name) => [...(edges.get(name)?.keys() ?? [])]).map((cycle) => ({
    path: edges.get(cycle[0])?.get(cycle[1]) ?? ['services', cycle[0]],
    at: 'value',
    message:
      `reference cycle between services: ${[...cycle, cycle[0]].join(' -> ')} ` +
      '(a service starts after the services it refers to, so none of these could start); remove one of the references',
  }));
}

/** Each distinct cycle found by a depth-first search, rotated to start at its earliest-declared node. */
function findCycles(order: string[], next: (node: string) => string[]): string[][] {
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const cycles = new Map<string, string[]>();
  const visit = (node: string): void => {
    state.set(node, 'active');
    stack.push(node);
    for (const to of next(node)) {
      if (state.get(to) === 'active') {
        const cycle = stack.slice(stack.indexOf(to));
        const start = cycle.indexOf(order.find((n) => cycle.includes(n)) ?? to);
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        cycles.set(rotated.join('\0'), rotated);
      } else if (!state.has(to)) {
        visit(to);
      }
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of order) if (!state.has(node)) visit(node);
  return [...cycles.values()];
}

/** A service's build, in either form, with the paths to point at when its folder or Dockerfile is missing. */
interface BuildForm {
  context: string;
  dockerfile: string;
  contextPath: Path;
  dockerfilePath: Path;
}

function buildForm(build: unknown, buildPath: Path): BuildForm | undefined {
  if (typeof build === 'string') {
    return { context: build, dockerfile: DEFAULT_DOCKERFILE, contextPath: buildPath, dockerfilePath: buildPath };
  }
  if (!isRecord(build) || typeof build.context !== 'string') return undefined;
  const dockerfile = build.dockerfile ?? DEFAULT_DOCKERFILE;
  if (typeof dockerfile !== 'string') return undefined;
  return {
    context: build.context,
    dockerfile,
    contextPath: [...buildPath, 'context'],
    dockerfilePath: [...buildPath, build.dockerfile === undefined ? 'context' : 'dockerfile'],
  };
}

/** The build context must be a folder and hold the Dockerfile. */
function buildProblems(service: string, raw: unknown, dir: string): Problem[] {
  const form = buildForm(isRecord(raw) ? raw.build : undefined, ['services', service, 'build']);
  if (!form || form.context === '' || form.dockerfile === '') return [];
  const context = resolve(dir, form.context);
  const contextKind = fileKind(context);
  if (contextKind !== 'folder') {
    const why = contextKind === 'file' ? `${context} is a file, not a folder` : `${context} does not exist`;
    return [{ path: form.contextPath, at: 'value', message: `build context "${form.context}" not found: ${why}` }];
  }
  const dockerfile = resolve(context, form.dockerfile);
  if (fileKind(dockerfile) === 'file') return [];
  const message = `no ${form.dockerfile} in build context "${form.context}": ${dockerfile} does not exist`;
  return [{ path: form.dockerfilePath, at: 'value', message }];
}

function fileKind(path: string): 'file' | 'folder' | undefined {
  try {
    const stat = statSync(path);
    return stat.isDirectory() ? 'folder' : stat.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

/** An HTTP health check is probed on a published port, so the service needs one. */
function healthCheckProblems(service: string, raw: unknown): Problem[] {
  if (!isRecord(raw) || !isRecord(raw.healthcheck)) return [];
  const http = raw.healthcheck.http;
  const ports = Array.isArray(raw.ports) ? raw.ports : raw.ports === undefined ? [] : undefined;
  const httpPath = ['services', service, 'healthcheck', 'http'];
  if (ports === undefined || http === undefined) return [];
  const onFirstPort = typeof http === 'string' || (isRecord(http) && http.port === undefined);
  if (onFirstPort && ports.length === 0) {
    const message =
      "an http health check probes the service's first port, but it has no ports; add ports, or use a command health check";
    return [{ path: httpPath, at: 'value', message }];
  }
  if (isRecord(http) && typeof http.port === 'number' && !ports.includes(http.port)) {
    const listed = ports.length > 0 ? `its ports are ${ports.join(', ')}` : 'it has no ports';
    const message = `port ${http.port} is not one of the service's ports (${listed})`;
    return [{ path: [...httpPath, 'port'], at: 'value', message }];
  }
  return [];
}

// ---------------------------------------------------------------------------------------------
// Normalization (only for a spec with no issues)
// ---------------------------------------------------------------------------------------------

function normalize(raw: RawSpec, source: SpecSource): Spec {
  const spec: Spec = {
    version: 1,
    name: raw.name,
    file: source.file,
    dir: source.dir,
    services: Object.entries(raw.services).map(([name, s]) => normalizeService(name, s, source)),
    databases: Object.entries(raw.databases ?? {}).map(([name, d]) => normalizeDatabase(name, d, source)),
  };
  if (raw.data !== undefined) spec.data = raw.data;
  if (raw.mocks !== undefined) spec.mocks = raw.mocks;
  if (raw.pipeline !== undefined) spec.pipeline = normalizePipeline(raw.pipeline, source.dir);
  return spec;
}

function normalizeService(name: string, raw: RawService, source: SpecSource): ServiceSpec {
  const ports = raw.ports ?? [];
  const env: Record<string, TemplateValue> = {};
  for (const [variable, value] of Object.entries(raw.env ?? {})) {
    env[variable] =
      typeof value === 'string'
        ? parseTemplate(value).value
        : // Numbers and booleans keep their spelling (`1.10` stays "1.10", not "1.1").
          [source.scalarSource(['services', name, 'env', variable]) ?? String(value)];
  }
  const service: ServiceSpec = {
    name,
    ports,
    env,
    resources: normalizeResources(raw.resources),
    dependsOn: dependsOn(name, env),
  };
  if (raw.build !== undefined) {
    const { context, dockerfile = DEFAULT_DOCKERFILE } = typeof raw.build === 'string' ? { context: raw.build } : raw.build;
    service.build = { context: resolve(source.dir, context), dockerfile };
  }
  if (raw.image !== undefined) service.image = raw.image;
  // A single string is a shell command line.
  if (typeof raw.command === 'string') service.command = ['sh', '-c', raw.command];
  else if (raw.command !== undefined) service.command = raw.command;
  if (raw.healthcheck) service.healthcheck = normalizeHealthCheck(raw.healthcheck, ports);
  return service;
}

/** The services (other than itself) and databases a service refers to, in order of first reference. */
function dependsOn(self: string, env: Record<string, TemplateValue>): ServiceSpec['dependsOn'] {
  const services = new Set<string>();
  const databases = new Set<string>();
  for (const value of Object.values(env)) {
    for (const part of value) {
      if (typeof part === 'string') continue;
      if (part.ref.kind === 'databases') databases.add(part.ref.name);
      else if (part.ref.name !== self) services.add(part.ref.name);
    }
  }
  return { services: [...services], databases: [...databases] };
}

function normalizeHealthCheck(raw: RawHealthCheck, ports: number[]): HealthCheck {
  const check: HealthCheck = {
    intervalMs: raw.interval !== undefined ? parseDuration(raw.interval) : DEFAULT_INTERVAL_MS,
    timeoutMs: raw.timeout !== undefined ? parseDuration(raw.timeout) : DEFAULT_TIMEOUT_MS,
  };
  if (typeof raw.http === 'string') check.http = { path: raw.http, port: ports[0] };
  else if (raw.http) check.http = { path: raw.http.path, port: raw.http.port ?? ports[0] };
  if (raw.command) check.command = raw.command;
  return check;
}

function normalizeDatabase(name: string, raw: RawDatabase, source: SpecSource): DatabaseSpec {
  // A number such as 15 or 15.10 keeps its spelling: "15", "15.10".
  const version =
    typeof raw.version === 'string'
      ? raw.version
      : (source.scalarSource(['databases', name, 'version']) ?? String(raw.version));
  return {
    name,
    engine: raw.engine,
    version,
    image: raw.image ?? `slipway/${raw.engine}:${version}`,
    database: raw.database ?? name,
    user: raw.user ?? DEFAULT_USER,
    resources: normalizeResources(raw.resources),
  };
}

function normalizeResources(raw: RawResources | undefined): { cpus?: number; memoryBytes?: number } {
  const resources: { cpus?: number; memoryBytes?: number } = {};
  if (raw?.cpus !== undefined) resources.cpus = raw.cpus;
  if (raw?.memory !== undefined) resources.memoryBytes = parseMemory(raw.memory);
  return resources;
}
