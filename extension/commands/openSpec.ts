/** Slipway: Open slipway.yaml. */
import * as vscode from 'vscode';
import type { Slipway } from '../slipway';
import { registerCommand } from './registry';

export function register(slipway: Slipway): vscode.Disposable {
  return registerCommand(slipway, 'slipway.spec.open', async (s) => {
    const uri = s.specFile ?? (await s.findSpec());
    if (uri) await vscode.window.showTextDocument(uri);
    else
      void vscode.window.showInformationMessage(
        'This workspace has no slipway.yaml yet; create one at the root of the project.',
      );
  });
}
