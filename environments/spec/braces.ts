// Warnings for `${databases.db.url}` written with single braces where a `${{ }}` reference was meant: that text reaches the app literally.
import { LineCounter, isScalar, parseDocument, visit, type Node } from 'yaml';
import type { SpecIssue } from '../errors';

/** What a reference names first: `${databases.db.url}` was meant as one; `${HOME}` for a shell was not. */
const SINGLE = /\$\{(?!\{)\s*((?:databases|services|mocks)\.[^}\s]*)\s*\}/g;

/**
 * Every `${kind.name.attr}` with single braces in a scalar of the spec, at its exact line and
 * column (1-based, end exclusive), naming the field. Never throws: text YAML cannot parse has none.
 */
export function singleBraceWarnings(text: string, file: string): SpecIssue[] {
  if (!text.includes('${')) return [];
  const lines = new LineCounter();
  let doc;
  try {
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  } catch {
    return [];
  }
  const issues: SpecIssue[] = [];
  visit(doc, {
    Scalar(_key, node, path) {
      if (typeof node.value !== 'string' || !node.range) return;
      const [start, end] = node.range;
      const source = text.slice(start, end);
      for (const m of source.matchAll(SINGLE)) {
        const from = lines.linePos(start + (m.index ?? 0));
        const to = lines.linePos(start + (m.index ?? 0) + m[0].length);
        issues.push({
          file,
          line: from.line,
          column: from.col,
          endLine: to.line,
          endColumn: to.col,
          field: fieldOf(path),
          message: `"${m[0]}" has single braces, so the app gets that text literally; write \${{ ${m[1]} }} for the reference`,
        });
      }
    },
  });
  return issues;
}

/** The dotted field of a scalar from its ancestors (`services.web.env.DATABASE_URL`). */
function fieldOf(path: readonly unknown[]): string {
  const keys: string[] = [];
  for (const step of path) {
    const key = (step as { key?: Node }).key;
    if (key && isScalar(key)) keys.push(String(key.value));
  }
  return keys.join('.');
}
