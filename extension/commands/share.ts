/**
 * Slipway: Copy Share Link: a protected link through Slipway's gateway on the clipboard
 * (`http://<env>.<project>.localhost:PORT/?slipway_token=…`, as `slipway share` makes it).
 */
import * as vscode from 'vscode';
import type { Slipway } from '../slipway';
import { registerCommand } from './registry';
import { targetEnvironment } from './targets';

export function register(slipway: Slipway): vscode.Disposable {
  return registerCommand(slipway, 'slipway.env.share', async (s, arg) => {
    const item = await targetEnvironment(s, arg, 'Copy Share Link');
    if (!item) return;
    const project = (await s.spec()).name;
    const link = await s.shares.make(project, item.status);
    await vscode.env.clipboard.writeText(link.url);
    void s.model.refresh();
    void vscode.window.showInformationMessage(
      `Copied a share link to ${item.status.branch} (expires ${new Date(link.expires).toLocaleString()}).`,
    );
  });
}
