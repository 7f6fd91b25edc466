/**
 * Problems of slipway.yaml as the user types: the core's own validation (the same messages and
 * exact ranges as the CLI), on every open spec document, a short while after the last keystroke.
 */
import * as vscode from 'vscode';
import type { SpecIssue } from '../environments/errors';
import { core } from './lazy';

const DEBOUNCE_MS = 300;

export function isSpecDocument(doc: vscode.TextDocument): boolean {
  return doc.uri.scheme === 'file' && /(^|\/)slipway\.ya?ml$/.test(doc.uri.path);
}

/** The diagnostics of a spec's text (empty when it is valid). */
export function specDiagnostics(text: string, file: string): vscode.Diagnostic[] {
  const { parseSpec, SpecError, singleBraceWarnings } = core();
  // Warnings (a `${databases.db.url}` with single braces) show whether or not the spec has errors.
  const warnings = singleBraceWarnings(text, file).map((i) => toDiagnostic(i, vscode.DiagnosticSeverity.Warning));
  try {
    parseSpec(text, file);
    return warnings;
  } catch (err) {
    if (!SpecError.is(err)) throw err;
    return [...err.issues.filter((i) => i.file === file || !i.file).map((i) => toDiagnostic(i)), ...warnings];
  }
}

function toDiagnostic(i: SpecIssue, severity = vscode.DiagnosticSeverity.Error): vscode.Diagnostic {
  const start = new vscode.Position(Math.max(0, i.line - 1), Math.max(0, i.column - 1));
  const end = new vscode.Position(Math.max(0, i.endLine - 1), Math.max(0, i.endColumn - 1));
  const d = new vscode.Diagnostic(
    new vscode.Range(start, end.isAfter(start) ? end : start.translate(0, 1)),
    i.field ? `${i.field}: ${i.message}` : i.message,
    severity,
  );
  d.source = 'slipway';
  return d;
}

export class SpecDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('slipway');
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.disposables = [
      this.collection,
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document, DEBOUNCE_MS)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        // A closed spec keeps its problems only if it is still wrong on disk (unsaved edits are gone).
        if (isSpecDocument(d)) void this.checkFile(d.uri).catch(() => this.collection.delete(d.uri));
      }),
    ];
    for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
  }

  /** Checks a spec file that is not open (found in the workspace at start). */
  async checkFile(uri: vscode.Uri): Promise<void> {
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    this.set(uri, text);
  }

  private schedule(doc: vscode.TextDocument, delay: number): void {
    if (!isSpecDocument(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.set(doc.uri, doc.getText());
      }, delay),
    );
  }

  private set(uri: vscode.Uri, text: string): void {
    try {
      this.collection.set(uri, specDiagnostics(text, uri.fsPath));
    } catch (err) {
      this.log.error(`Could not check ${uri.fsPath}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  dispose(): void {
    this.timers.forEach((t) => clearTimeout(t));
    this.disposables.forEach((d) => d.dispose());
  }
}
