/** The parsed YAML of a spec file with positions: paths in it become `SpecIssue`s with file, line and column. */
import { dirname } from 'node:path';
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
import type { SpecIssue } from '../errors';

/** Path of a node in the document: mapping keys and sequence indexes. */
export type Path = ReadonlyArray<string | number>;

/** Which part of a node an issue points at. `owner`: the key of the mapping at the path. */
export type Target = 'key' | 'value' | 'owner';

export interface Problem {
  path: Path;
  at: Target;
  message: string;
}

interface Step {
  key?: YamlNode;
  value?: YamlNode;
}

/** The parsed YAML of one spec file, able to turn a path in it into a positioned `SpecIssue`. */
export class SpecSource {
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
export function formatPath(path: Path): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** The issues in source order, each reported once. */
export function uniqueSorted(issues: SpecIssue[]): SpecIssue[] {
  const byId = new Map<string, SpecIssue>();
  for (const i of issues) byId.set(`${i.line}:${i.column}:${i.field}:${i.message}`, i);
  return [...byId.values()].sort((a, b) => a.line - b.line || a.column - b.column);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
