/**
 * A failed masking check in the Problems panel: each uncovered or personal-but-kept column against
 * the policy file (its table's entry, or the file's top when the policy names no such table),
 * replaced by the next check of that policy and cleared when one passes.
 */
import * as vscode from 'vscode';
import type { UnsafeColumn } from '../environments/data/check';
import type { SpecIssue } from '../environments/errors';
import { core } from './lazy';

/** What a `masking-unsafe` error carries (read by shape: the class lives in the core bundle). */
interface UnsafeError {
  reason: 'masking-unsafe';
  columns: UnsafeColumn[];
  policy?: string;
}

export function isUnsafeError(err: unknown): err is UnsafeError {
  const e = err as Partial<UnsafeError> | undefined;
  return core().SlipwayError.is(err, 'masking-unsafe') && Array.isArray(e?.columns) && typeof e?.policy === 'string';
}

export function toDiagnostic(i: SpecIssue): vscode.Diagnostic {
  const start = new vscode.Position(Math.max(0, i.line - 1), Math.max(0, i.column - 1));
  const end = new vscode.Position(Math.max(0, i.endLine - 1), Math.max(0, i.endColumn - 1));
  const d = new vscode.Diagnostic(
    new vscode.Range(start, end.isAfter(start) ? end : start.translate(0, 1)),
    `${i.field}: ${i.message}`,
    vscode.DiagnosticSeverity.Error,
  );
  d.source = 'slipway masking';
  d.code = 'masking-unsafe';
  return d;
}

export class SeedProblems implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('slipway-masking');

  /** Puts a failed check's columns in Problems; false when `err` is not a failed check. */
  show(err: unknown): boolean {
    if (!isUnsafeError(err)) return false;
    const file = err.policy!;
    let issues: SpecIssue[];
    try {
      issues = core().unsafeColumnIssues(file, err.columns);
    } catch {
      // The policy file went away meanwhile: the columns still show, at its top.
      issues = err.columns.map((c) => ({
        file,
        line: 1,
        column: 1,
        endLine: 1,
        endColumn: 1,
        field: `${c.schema}.${c.table}.${c.column}`,
        message: c.why,
      }));
    }
    this.collection.set(vscode.Uri.file(file), issues.map(toDiagnostic));
    return true;
  }

  /** A check of this policy passed: its problems are gone. */
  passed(policyFile: string): void {
    this.collection.delete(vscode.Uri.file(policyFile));
  }

  /** The problems shown now for a policy file (for the view and tests). */
  get(policyFile: string): readonly vscode.Diagnostic[] {
    return this.collection.get(vscode.Uri.file(policyFile)) ?? [];
  }

  dispose(): void {
    this.collection.dispose();
  }
}
