/**
 * Opens the dashboard, pipeline and drift panels (one per environment and kind, revealed when
 * already open) and restores them after a reload through `registerWebviewPanelSerializer`.
 */
import * as vscode from 'vscode';
import type { WebviewApp } from '../../webviews/protocol';
import { targetEnvironment } from '../commands/targets';
import { envLabel } from '../format';
import type { Slipway } from '../slipway';
import { DashboardPanel } from './dashboard';
import { DriftPanel } from './drift';
import { VIEW_TYPES, panelOptions, restoredKey, type PanelKey, type WebviewHost } from './host';
import { PipelinePanel } from './pipeline';

const TITLES: Record<WebviewApp, string> = { dashboard: 'Environment', pipeline: 'Pipeline', drift: 'Drift' };
const CLASSES = { dashboard: DashboardPanel, pipeline: PipelinePanel, drift: DriftPanel } as const;

export class Panels implements vscode.Disposable {
  private readonly open = new Map<string, WebviewHost>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly slipway: Slipway) {
    for (const app of Object.keys(VIEW_TYPES) as WebviewApp[]) {
      this.disposables.push(
        vscode.window.registerWebviewPanelSerializer(VIEW_TYPES[app], {
          deserializeWebviewPanel: async (panel, state) => {
            const key = restoredKey(state);
            if (!key) {
              panel.dispose();
              return;
            }
            this.attach(app, panel, key);
          },
        }),
      );
    }
  }

  /** Opens (or reveals) the panel of an environment: the view item's, the current branch's, or a pick. */
  async showFor(app: WebviewApp, arg: unknown, verb: string): Promise<void> {
    const item = await targetEnvironment(this.slipway, arg, verb);
    if (item) this.show(app, { project: item.status.project, branch: item.status.branch });
  }

  show(app: WebviewApp, key: PanelKey): void {
    const id = `${app}:${key.project}/${key.branch}`;
    const existing = this.open.get(id);
    if (existing) {
      existing.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPES[app],
      `${TITLES[app]}: ${envLabel(key.branch)}`,
      vscode.ViewColumn.Active,
      {
        ...panelOptions(this.slipway.context.extensionUri),
      },
    );
    this.attach(app, panel, key);
  }

  private attach(app: WebviewApp, panel: vscode.WebviewPanel, key: PanelKey): void {
    const id = `${app}:${key.project}/${key.branch}`;
    const host = new CLASSES[app](this.slipway, panel, key);
    this.open.set(id, host);
    host.onDidClose(() => this.open.delete(id));
  }

  dispose(): void {
    for (const h of this.open.values()) h.panel.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}
