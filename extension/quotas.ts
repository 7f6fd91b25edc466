/**
 * Quota use against the limits in force, as the editor shows it (the Environments view's header,
 * the dashboard): the core's own report (`slipway list` prints the same), read again whenever the
 * environments change.
 */
import * as vscode from 'vscode';
import type { QuotaSummary } from '../environments/quotas/summary';
import { coalesced } from './coalesce';
import { core } from './lazy';
import type { Slipway } from './slipway';

export class QuotaStatus implements vscode.Disposable {
  private current?: QuotaSummary;
  private lastError?: string;
  private disposed = false;
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];

  constructor(private readonly slipway: Slipway) {
    this.disposables.push(
      slipway.model.onDidChange(() => void this.refresh()),
      // A limit changed in the workspace's, the user's settings or the host policy.
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('slipway.quotas') && void this.refresh()),
    );
  }

  /** The last report; undefined before the first or when it could not be read. */
  get summary(): QuotaSummary | undefined {
    return this.current;
  }

  /** The header text (`2/3 mine · 4/10 host`), or undefined when no limit is in force. */
  get header(): string | undefined {
    const text = this.current ? core().quotaHeader(this.current.uses) : '';
    return text || undefined;
  }

  refresh(): Promise<void> {
    return this.reload();
  }

  private readonly reload = coalesced(
    async () => {
      const spec = this.slipway.specFile;
      if (!spec) return;
      try {
        const engine = await this.slipway.engine();
        const dir = vscode.Uri.joinPath(spec, '..').fsPath;
        const next = await core().quotaSummary(engine, dir, this.slipway.project);
        const changed = JSON.stringify(next) !== JSON.stringify(this.current);
        this.current = next;
        this.lastError = undefined;
        if (changed) this.emitter.fire();
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (message !== this.lastError) this.slipway.log.warn(`Could not read quota use: ${message}`);
        this.lastError = message;
        if (this.current) {
          this.current = undefined;
          this.emitter.fire();
        }
      }
    },
    { stop: () => this.disposed },
  );

  dispose(): void {
    this.disposed = true;
    this.disposables.forEach((d) => d.dispose());
  }
}

/**
 * Opens where a limit is set: the workspace's `.vscode/settings.json` or the host policy as a file;
 * the user's own limits (SLIPWAY_HOME/settings.json is written from VS Code's user settings) in the
 * Settings editor. Only a source the current report names is opened as a file.
 */
export async function openLimitSource(slipway: Slipway, source?: string): Promise<void> {
  const known = slipway.quotas.summary?.uses.some((u) => u.limit.source === source);
  const engine = await slipway.engine().catch(() => undefined);
  const userFile = engine ? vscode.Uri.joinPath(vscode.Uri.file(engine.home), 'settings.json').fsPath : undefined;
  if (source && known && source !== userFile) {
    await vscode.window.showTextDocument(vscode.Uri.file(source));
    return;
  }
  await vscode.commands.executeCommand('workbench.action.openSettings', 'slipway.quotas');
}
