/** The status bar item of the current branch's environment: its state; a click opens the app, or previews the branch. */
import * as vscode from 'vscode';
import type { ShownState } from './model';
import type { Slipway } from './slipway';

const ICON: Record<ShownState, string> = {
  provisioning: '$(loading~spin)',
  running: '$(vm-running)',
  degraded: '$(warning)',
  drifted: '$(diff)',
  stopped: '$(debug-stop)',
  failed: '$(error)',
  absent: '$(rocket)',
};

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('slipway.status', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly slipway: Slipway) {
    this.item.name = 'Slipway';
    this.disposables = [
      this.item,
      slipway.model.onDidChange(() => this.update()),
      slipway.git.onDidChangeBranch(() => this.update()),
      slipway.onDidChangeSpecFile(() => this.update()),
    ];
    this.update();
  }

  private shown = false;

  /** The item's text while it is shown. */
  get text(): string | undefined {
    return this.shown ? this.item.text : undefined;
  }

  private update(): void {
    const branch = this.slipway.git.currentBranch;
    if (!this.slipway.specFile || !branch) {
      this.item.hide();
      this.shown = false;
      return;
    }
    const env = this.slipway.model.find(branch);
    const state: ShownState = env?.state ?? 'absent';
    this.item.text = `${ICON[state]} ${state === 'absent' ? 'Preview' : `${state}${env?.outdated ? ' (out of date)' : ''}`}`;
    const url = env && Object.values(env.status.urls)[0];
    if (state === 'absent') {
      this.item.tooltip = `Slipway: ${branch} has no environment. Click to preview it.`;
      this.item.command = 'slipway.env.preview';
    } else if (url && (state === 'running' || state === 'degraded' || state === 'drifted')) {
      this.item.tooltip = `Slipway: ${branch} is ${state}. Click to open ${url}.`;
      this.item.command = { command: 'slipway.env.open', title: 'Open in Browser', arguments: [branch] };
    } else {
      this.item.tooltip = `Slipway: ${branch} is ${state}. Click to show the Environments view.`;
      this.item.command = 'slipway.environments.focus';
    }
    if (state !== 'absent') {
      // Rich tooltip: the dashboard and pipeline one click away.
      const md = new vscode.MarkdownString(undefined, true);
      md.isTrusted = { enabledCommands: ['slipway.env.dashboard', 'slipway.pipeline.show', 'slipway.env.open'] };
      md.appendText(this.item.tooltip as string);
      // Parentheses too: a branch like fix(x) must not end the markdown link.
      const arg = encodeURIComponent(JSON.stringify([branch]))
        .replace(/\(/g, '%28')
        .replace(/\)/g, '%29');
      md.appendMarkdown(
        `\n\n[$(dashboard) Dashboard](command:slipway.env.dashboard?${arg}) · [$(git-pull-request) Pipeline](command:slipway.pipeline.show?${arg})`,
      );
      this.item.tooltip = md;
    }
    this.item.backgroundColor =
      state === 'failed'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : state === 'degraded' || state === 'drifted'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    this.item.accessibilityInformation = { label: `Slipway: ${branch} ${state}` };
    this.item.show();
    this.shown = true;
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
