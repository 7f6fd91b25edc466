/** Slipway: Preview Branch...: any local branch (or a typed name when git is not known). */
import * as vscode from 'vscode';
import type { Slipway } from '../slipway';
import { preview } from './preview';
import { registerCommand } from './registry';

export function register(slipway: Slipway): vscode.Disposable {
  return registerCommand(
    slipway,
    'slipway.env.previewBranch',
    async (s) => {
      const local = s.git.localBranches;
      const branch = local?.size
        ? await vscode.window.showQuickPick([...local].sort(), {
            title: 'Slipway: Preview Branch',
            placeHolder: 'Branch to preview',
          })
        : await vscode.window.showInputBox({
            title: 'Slipway: Preview Branch',
            prompt: 'Branch to preview',
            validateInput: (v) => (v.trim() ? undefined : 'A branch name'),
          });
      if (branch) await preview(s, branch.trim());
    },
    { trusted: true },
  );
}
