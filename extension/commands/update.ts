/** Slipway: Update Out-of-Date Environment: brings an environment whose spec or files changed up to date. */
import type * as vscode from 'vscode';
import type { Slipway } from '../slipway';
import { preview } from './preview';
import { registerCommand } from './registry';
import { targetEnvironment } from './targets';

export function register(slipway: Slipway): vscode.Disposable {
  return registerCommand(
    slipway,
    'slipway.env.update',
    async (s, arg) => {
      const item = await targetEnvironment(s, arg, 'Update');
      if (item) await preview(s, item.status.branch);
    },
    { trusted: true },
  );
}
