/** Slipway: Create slipway.yaml, drafted from the workspace's compose file (or a Dockerfile), as `slipway init` does. */
import * as vscode from 'vscode';
import { core } from '../lazy';
import type { Slipway } from '../slipway';
import { registerCommand } from './registry';

export function register(slipway: Slipway): vscode.Disposable {
  return registerCommand(slipway, 'slipway.spec.create', async (s) => {
    const existing = s.specFile ?? (await s.findSpec());
    if (existing) {
      await vscode.window.showTextDocument(existing);
      void vscode.window.showInformationMessage('This workspace already has a slipway.yaml; it is open.');
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) {
      void vscode.window.showInformationMessage(
        'Open the folder of your project first: slipway.yaml goes at its root.',
      );
      return;
    }
    const target = vscode.Uri.joinPath(folder.uri, 'slipway.yaml');
    const draft = core().draftSpec(folder.uri.fsPath);
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(draft.text));
    s.log.info(
      `slipway.yaml drafted from ${draft.from}${draft.unmapped.map((u) => `\n  line ${u.line}, ${u.field}: ${u.reason}`).join('')}`,
    );
    await vscode.window.showTextDocument(target);
    await s.findSpec();
    const what = draft.unmapped.length
      ? `${draft.unmapped.length} thing(s) could not be mapped; they are listed at the top of the file.`
      : 'Everything was mapped.';
    const choice = await vscode.window.showInformationMessage(
      `slipway.yaml drafted from ${vscode.workspace.asRelativePath(draft.from)}. ${what}`,
      'Preview Current Branch',
    );
    if (choice) await vscode.commands.executeCommand('slipway.env.preview');
  });
}
