/** Slipway: Open in Browser: the environment's app (or the chosen service) in the default browser. */
import * as vscode from 'vscode';
import type { Slipway } from '../slipway';
import { registerCommand } from './registry';
import { targetEnvironment, targetUrl } from './targets';

export function register(slipway: Slipway): vscode.Disposable {
  return registerCommand(slipway, 'slipway.env.open', async (s, arg) => {
    const item = await targetEnvironment(s, arg, 'Open in Browser');
    const url = item && (await targetUrl(item, arg, 'Open in Browser'));
    if (url) await vscode.env.openExternal(vscode.Uri.parse(url));
  });
}
