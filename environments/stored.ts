/** Reading the JSON files Slipway keeps under SLIPWAY_HOME: a damaged one is a DamagedFileError naming file, line and field. */
import { LineCounter, parseDocument } from 'yaml';
import { DamagedFileError } from './errors';
import { readTextIfExists } from './files';
import { stateStore } from './state/store';

/** A path into a JSON value: object keys and array indexes. */
export type FieldPath = Array<string | number>;

/** What is wrong with one field of a stored value. */
export interface FieldProblem {
  path: FieldPath;
  problem: string;
}

/** Returns the first problem of a parsed value, or undefined when it has the expected shape. */
export type ShapeCheck = (value: unknown) => FieldProblem | undefined;

export type FieldKind = 'string' | 'number' | 'boolean' | 'array' | 'object';

/** A field's kind; with a trailing `?` it may be absent. */
export type FieldSpec = FieldKind | `${FieldKind}?`;

function kindOf(value: unknown): FieldKind | 'null' | 'undefined' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as FieldKind | 'undefined';
}

/** The first field of `value` (an object) that is missing or of another kind than `fields` says. */
export function checkFields(
  value: unknown,
  fields: Record<string, FieldSpec>,
  at: FieldPath = [],
): FieldProblem | undefined {
  if (kindOf(value) !== 'object')
    return {
      path: at,
      problem: `${at.length ? 'is' : 'the file holds'} ${describeKind(value)} where an object was expected`,
    };
  const obj = value as Record<string, unknown>;
  for (const [key, spec] of Object.entries(fields)) {
    const optional = spec.endsWith('?');
    const kind = spec.replace('?', '') as FieldKind;
    if (obj[key] === undefined) {
      if (!optional) return { path: [...at, key], problem: 'is missing' };
      continue;
    }
    if (kindOf(obj[key]) !== kind)
      return {
        path: [...at, key],
        problem: `is ${describeKind(obj[key])} where ${kind === 'array' || kind === 'object' ? 'an' : 'a'} ${kind} was expected`,
      };
  }
  return undefined;
}

/** The first element of `items` that `check` finds a problem with (paths under `at`). */
export function checkEach(
  items: unknown[],
  at: FieldPath,
  check: (item: unknown, path: FieldPath) => FieldProblem | undefined,
): FieldProblem | undefined {
  for (let i = 0; i < items.length; i++) {
    const p = check(items[i], [...at, i]);
    if (p) return p;
  }
  return undefined;
}

function describeKind(value: unknown): string {
  const k = kindOf(value);
  return k === 'array' || k === 'object' || k === 'undefined'
    ? `an ${k === 'undefined' ? 'empty value' : k}`
    : `a ${k}`;
}

function showPath(path: FieldPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/**
 * Reads and checks a stored JSON file. Undefined when the file does not exist; a
 * DamagedFileError (file, line, field, and `remedy`) when it is not valid JSON or not of the
 * shape `check` expects.
 */
export function readStoredJson<T>(file: string, check: ShapeCheck, remedy: string): T | undefined {
  const text = readTextIfExists(file);
  return text === undefined ? undefined : parseStoredJson<T>(text, file, check, remedy);
}

/**
 * Reads and checks an item of `home`'s state store (`envs/<project>/<env>.json`): in the files
 * under SLIPWAY_HOME or the team's PostgreSQL tables. Undefined when there is none; a
 * DamagedFileError naming where it lives when it cannot be read.
 */
export function readStoredItem<T>(home: string, rel: string, check: ShapeCheck, remedy: string): T | undefined {
  const store = stateStore(home);
  const text = store.readText(rel);
  return text === undefined ? undefined : parseStoredJson<T>(text, store.where(rel), check, remedy);
}

/** Parses and checks one stored JSON text; `firstLine` is its line in the file (a line of a JSON-lines file). */
export function parseStoredJson<T>(text: string, file: string, check: ShapeCheck, remedy: string, firstLine = 1): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const offset = jsonErrorOffset(text);
    const line = firstLine - 1 + lineAt(text, offset < 0 ? text.length : offset);
    throw new DamagedFileError(
      file,
      line,
      `not valid JSON (${text.trim() === '' ? 'the file is empty' : jsonReason(err)})`,
      remedy,
    );
  }
  const problem = check(value);
  if (problem) {
    const line = firstLine - 1 + fieldLine(text, problem.path);
    const field = problem.path.length ? `field ${showPath(problem.path)} ` : '';
    throw new DamagedFileError(file, line, `${field}${problem.problem}`, remedy);
  }
  return value as T;
}

/** JSON.parse's reason, without the excerpt of the text and the offset (the line says where). */
function jsonReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message
    .replace(/, ".*" is not valid JSON$/s, '')
    .replace(/ in JSON at position \d+.*$/s, '')
    .trim();
}

/** 1-based line of a character offset. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) if (text[i] === '\n') line++;
  // An error at the very end of a file that ends with a newline is on its last line.
  if (end === text.length && text.endsWith('\n') && line > 1) line--;
  return line;
}

/** The line of a field of valid JSON (JSON is YAML, whose parser keeps positions); 1 when not found. */
function fieldLine(text: string, path: FieldPath): number {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, keepSourceTokens: true });
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return counter.linePos(range[0]).line;
  }
  return 1;
}

/** The offset where `text` stops being valid JSON, or -1 when it is valid. */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw new JsonStop(i);
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const string = () => {
    i++;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') return void i++;
      if (c === '\\') i += 2;
      else if (c < ' ') fail();
      else i++;
    }
    fail();
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '"') return string();
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      space();
      if (text[i] === close) return void i++;
      for (;;) {
        if (c === '{') {
          space();
          if (text[i] !== '"') fail();
          string();
          space();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === close) return void i++;
        fail();
      }
    }
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) fail();
    i += m![0].length;
  };
  try {
    value();
    space();
    if (i < text.length) fail();
    return -1;
  } catch (err) {
    if (err instanceof JsonStop) return err.offset;
    throw err;
  }
}

class JsonStop {
  constructor(readonly offset: number) {}
}
