/** A YAML file parsed with positions, able to turn a path in it (or an Ajv error) into a positioned SpecIssue. */
import type { ErrorObject } from 'ajv';
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { SpecIssue } from '../errors';

export type Path = ReadonlyArray<string | number>;

export class YamlSource {
  readonly issues: SpecIssue[] = [];
  readonly data: unknown;
  private readonly lines = new LineCounter();
  private readonly doc: Document.Parsed;

  constructor(
    text: string,
    readonly file: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    for (const error of this.doc.errors) {
      this.issues.push(this.at(error.pos[0], error.pos[1], '', `YAML syntax error: ${error.message}`));
    }
    this.data = this.issues.length > 0 ? undefined : this.doc.toJS();
  }

  /** An issue about the node at `path` (its key when `onKey`), or the closest ancestor that exists. */
  issue(path: Path, message: string, onKey = false): SpecIssue {
    let node: unknown = this.doc.contents;
    let keyNode: unknown;
    let best: { range?: [number, number, number] | null } | undefined = isNode(node) ? node : undefined;
    for (const step of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : undefined) === String(step));
        if (!pair) break;
        keyNode = pair.key;
        node = pair.value;
      } else if (isSeq(node) && typeof step === 'number') {
        keyNode = undefined;
        node = node.items[step];
      } else break;
      const target = (onKey ? keyNode : node) ?? keyNode;
      if (isNode(target) && target.range) best = target;
      else if (isNode(keyNode) && keyNode.range) best = keyNode as YamlNode;
    }
    const range = best?.range ?? [0, 0, 0];
    return this.at(range[0], range[1], path.join('.'), message);
  }

  /**
   * One issue per mistake from Ajv's errors: among the failed alternatives of a `oneOf`, the
   * deepest errors win, and at one path an unknown or missing field beats "must be one of".
   */
  schemaIssues(errors: ErrorObject[]): SpecIssue[] {
    const rank = (e: ErrorObject) => (e.keyword === 'type' || e.keyword === 'const' ? 2 : e.keyword === 'enum' ? 1 : 0);
    const relevant = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf');
    const deepest = relevant.filter(
      (e) => rank(e) === 0 || !relevant.some((o) => o.instancePath.startsWith(e.instancePath + '/')),
    );
    const byPath = new Map<string, ErrorObject[]>();
    for (const error of deepest) byPath.set(error.instancePath, [...(byPath.get(error.instancePath) ?? []), error]);
    const chosen = [...byPath.values()].flatMap((list) => {
      const best = Math.min(...list.map(rank));
      return list.filter((e) => rank(e) === best);
    });
    if (chosen.length === 0 && errors.length > 0) chosen.push(errors[0]);
    const seen = new Set<string>();
    return chosen
      .map((error) => {
        const path = error.instancePath
          .split('/')
          .slice(1)
          .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
        if (error.keyword === 'additionalProperties') {
          const extra = String((error.params as { additionalProperty: string }).additionalProperty);
          return this.issue([...path, extra], `unknown field "${extra}"`, true);
        }
        if (error.keyword === 'required') {
          return this.issue(
            path,
            `missing required field "${(error.params as { missingProperty: string }).missingProperty}"`,
          );
        }
        if (error.keyword === 'enum') {
          return this.issue(
            path,
            `must be one of: ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`,
          );
        }
        return this.issue(path, error.message ?? 'is not valid');
      })
      .filter((issue) => {
        const key = `${issue.field}\0${issue.message}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
  }

  private at(start: number, end: number, field: string, message: string): SpecIssue {
    const a = this.lines.linePos(start);
    const b = this.lines.linePos(Math.max(start, end));
    return { file: this.file, line: a.line, column: a.col, endLine: b.line, endColumn: b.col, field, message };
  }
}
