/**
 * Slipway: Copy Share Link: a protected link through Slipway's gateway on the clipboard
 * (`http://<env>.<project>.localhost:PORT/?slipway_token=…`, as `slipway share` makes it).
 */
import * as vscode from 'vscode';
import { core } from '../lazy';
import type { Slipway } from '../slipway';
import { registerCommand } from './registry';
import { targetEnvironment } from './targets';

export function register(slipway: Slipway): vscode.Disposable {
  return registerCommand(slipway, 'slipway.env.share', async (s, arg) => {
    const item = await targetEnvironment(s, arg, 'Copy Share Link');
    if (!item) return;
    const engine = await s.engine();
    const project = (await s.spec()).name;
    // The gateway is the extension's own gateway.js, detached, so it outlives this window.
    const cli = vscode.Uri.joinPath(s.context.extensionUri, 'dist', 'extension', 'gateway.js').fsPath;
    const link = await core().makeShareLink(engine.home, project, item.status, { cli });
    await vscode.env.clipboard.writeText(link.url);
    void vscode.window.showInformationMessage(
      `Copied a share link to ${item.status.branch} (expires ${new Date(link.expires).toLocaleString()}).`,
    );
  });
}
