/**
 * Watches the spec and every file it builds from (the services' build contexts) with chokidar.
 * A change after the current branch's environment was last brought up marks it "out of date":
 * the view and the status bar say so, and one click (the item's Update action, or the
 * notification's button) brings it up to date.
 */
import type { FSWatcher } from 'chokidar';
import * as vscode from 'vscode';
import { core } from './lazy';
import type { Slipway } from './slipway';

const SETTLE_MS = 400;

export class SpecWatcher implements vscode.Disposable {
  private watcher?: FSWatcher;
  private watched: string[] = [];
  private timer?: ReturnType<typeof setTimeout>;
  private readonly notified = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly slipway: Slipway) {
    this.disposables.push(slipway.onDidChangeSpecFile(() => void this.rewatch()));
    void this.rewatch();
  }

  /** The paths to watch: the spec, and each service's build context when the spec is valid. */
  private async paths(): Promise<string[]> {
    const spec = this.slipway.specFile;
    if (!spec) return [];
    try {
      const parsed = await core().loadSpec(spec.fsPath);
      return [spec.fsPath, ...new Set(parsed.services.flatMap((s) => (s.build ? [s.build.context] : [])))];
    } catch {
      return [spec.fsPath];
    }
  }

  private async rewatch(): Promise<void> {
    const paths = await this.paths();
    if (paths.join('\n') === this.watched.join('\n')) return;
    await this.watcher?.close();
    this.watched = paths;
    this.watcher = undefined;
    if (paths.length === 0) return;
    this.watcher = core().watch(paths, {
      ignoreInitial: true,
      ignored: (p: string) => /[\\/](node_modules|\.git)([\\/]|$)/.test(p),
      awaitWriteFinish: { stabilityThreshold: 200, pollInterval: 50 },
    });
    this.watcher.on('all', (_event: string, path: string) => this.changed(path));
    this.watcher.on('error', (err: unknown) =>
      this.slipway.log.warn(`Watching ${paths.join(', ')}: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  private changed(path: string): void {
    this.slipway.log.debug(`changed: ${path}`);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.settle(path), SETTLE_MS);
  }

  private async settle(path: string): Promise<void> {
    if (path === this.slipway.specFile?.fsPath) await this.rewatch();
    const branch = this.slipway.git.currentBranch ?? (await this.slipway.currentBranch().catch(() => undefined));
    const env = branch ? this.slipway.model.find(branch) : undefined;
    if (!branch || !env || env.busy || env.outdated) return;
    this.slipway.model.setOutdated([branch], true);
    if (this.notified.has(branch)) return;
    this.notified.add(branch);
    const choice = await vscode.window.showInformationMessage(
      `The environment of ${branch} is out of date: ${vscode.workspace.asRelativePath(path)} changed.`,
      'Update',
    );
    this.notified.delete(branch);
    if (choice === 'Update') await vscode.commands.executeCommand('slipway.env.update', branch);
  }

  dispose(): void {
    clearTimeout(this.timer);
    void this.watcher?.close();
    this.disposables.forEach((d) => d.dispose());
  }
}
