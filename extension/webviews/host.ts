/**
 * The extension's side of a webview panel: the page (strict CSP, a nonce from `crypto`,
 * resources from the built webview folder only), the ready handshake, validated messages in,
 * notifications out, requests answered by id. The webview keeps only UI state; the panel's
 * identity is written into the page so a restored panel (after a reload) finds its environment.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { webviewHtml } from '../../webviews/html';
import {
  notification,
  parseWebviewMessage,
  type CommandMessage,
  type NotificationMethod,
  type Notifications,
  type WebviewApp,
} from '../../webviews/protocol';
import { answerRequest, type RequestHandlers } from '../../webviews/rpc';
import { UNTRUSTED_MESSAGE } from '../commands/registry';
import type { Slipway } from '../slipway';

/** What a panel is about: the project and the branch (or `stage:<name>`) of an environment. */
export interface PanelKey {
  project: string;
  branch: string;
}

export const VIEW_TYPES: Record<WebviewApp, string> = {
  dashboard: 'slipway.dashboard',
  pipeline: 'slipway.pipeline',
  drift: 'slipway.drift',
};

export function panelOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableFindWidget: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webviews')],
  };
}

export abstract class WebviewHost implements vscode.Disposable {
  private isReady = false;
  private disposed = false;
  /** Aborted when the panel closes: gate runs and drift checks it started stop with it. */
  protected readonly abort = new AbortController();
  protected readonly disposables: vscode.Disposable[] = [];
  private readonly closeEmitter = new vscode.EventEmitter<void>();
  readonly onDidClose = this.closeEmitter.event;

  protected constructor(
    protected readonly slipway: Slipway,
    readonly panel: vscode.WebviewPanel,
    readonly app: WebviewApp,
    readonly key: PanelKey,
  ) {
    const webview = panel.webview;
    webview.options = panelOptions(slipway.context.extensionUri);
    this.disposables.push(
      webview.onDidReceiveMessage((data: unknown) => void this.receive(data)),
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState((e) => e.webviewPanel.visible && this.isReady && void this.refreshLogged()),
      { dispose: () => this.abort.abort() },
    );
    this.render();
  }

  /** Sends what changed (the whole state, or only the difference, as each view decides). */
  protected abstract refresh(): Promise<void>;
  /** Answers the ready handshake (the webview loaded or reloaded): by default, a refresh. */
  protected ready(): Promise<void> {
    return this.refresh();
  }
  /** Handles one validated command from the webview. */
  protected abstract command(message: CommandMessage): Promise<void>;
  protected requests(): Partial<RequestHandlers> {
    return {};
  }

  private render(): void {
    const webview = this.panel.webview;
    const dist = vscode.Uri.joinPath(this.slipway.context.extensionUri, 'dist', 'webviews');
    this.panel.iconPath = vscode.Uri.joinPath(this.slipway.context.extensionUri, 'extension', 'media', 'slipway.svg');
    webview.html = webviewHtml({
      app: this.app,
      nonce: randomBytes(32).toString('base64url'),
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, `${this.app}.js`)).toString(),
      codiconCssUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'codicon.css')).toString(),
      title: this.panel.title,
      panel: JSON.stringify(this.key),
    });
  }

  /** A refresh whose failure (a spec being edited, Docker down) is logged, not thrown. */
  protected async refreshLogged(): Promise<void> {
    try {
      await this.refresh();
    } catch (err) {
      this.slipway.log.warn(`${this.app} view: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
  }

  /** Posts a notification once the webview said it is ready; before that, the ready answer carries it. */
  protected post<M extends NotificationMethod>(method: M, params: Notifications[M]): void {
    // An async refresh can finish after the user closed the panel: then there is no one to tell.
    if (this.isReady && !this.disposed)
      void this.panel.webview.postMessage(notification(method, params)).then(undefined, () => undefined);
  }

  private async receive(data: unknown): Promise<void> {
    const message = parseWebviewMessage(data);
    if (!message) {
      this.slipway.log.warn(`${this.app} view: ignored a malformed message`);
      return;
    }
    try {
      if (message.type === 'request') {
        await answerRequest(message, this.requests() as RequestHandlers, (r) => this.panel.webview.postMessage(r));
      } else if (message.method === 'webview/ready') {
        this.isReady = true;
        await this.ready();
      } else if (!vscode.workspace.isTrusted) {
        // A panel restored in Restricted Mode shows what it knows, and runs nothing.
        const choice = await vscode.window.showWarningMessage(UNTRUSTED_MESSAGE, 'Manage Workspace Trust');
        if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
      } else {
        await this.command(message);
      }
    } catch (err) {
      this.slipway.log.error(
        `${this.app} view: ${message.method}: ${err instanceof Error ? err.message : String(err)}`,
      );
      void vscode.window
        .showErrorMessage(err instanceof Error ? err.message.split('\n')[0] : String(err), 'Show Log')
        .then((c) => c && this.slipway.log.show(true));
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.disposables.forEach((d) => d.dispose());
    this.disposables.length = 0;
    this.closeEmitter.fire();
    this.closeEmitter.dispose();
  }
}

/** Reads the identity a page carries (see `render`) from the state VS Code hands a serializer. */
export function restoredKey(state: unknown): PanelKey | undefined {
  const panel = (state as { panel?: unknown } | undefined)?.panel;
  if (typeof panel !== 'string') return undefined;
  try {
    const key = JSON.parse(panel) as Partial<PanelKey>;
    return typeof key.project === 'string' && typeof key.branch === 'string'
      ? { project: key.project, branch: key.branch }
      : undefined;
  } catch {
    return undefined;
  }
}
