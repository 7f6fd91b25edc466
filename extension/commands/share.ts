/**
 * Slipway: Copy Share Link: the environment's URL on the clipboard. Environments publish on
 * 127.0.0.1, so the link reaches people on this machine (or through a port forward).
 */
import * as vscode from 'vscode';
import type { Slipway } from '../slipway';
import { registerCommand } from './registry';
import { targetEnvironment, targetUrl } from './targets';

export function register(slipway: Slipway): vscode.Disposable {
  return registerCommand(slipway, 'slipway.env.share', async (s, arg) => {
    const item = await targetEnvironment(s, arg, 'Copy Share Link');
    const url = item && (await targetUrl(item, arg, 'Copy Share Link'));
    if (!url) return;
    // In a remote window, asExternalUri gives the forwarded address a reviewer's browser can reach.
    const external = (await vscode.env.asExternalUri(vscode.Uri.parse(url))).toString(true);
    await vscode.env.clipboard.writeText(external);
    void vscode.window.showInformationMessage(`Copied ${external}`);
  });
}
