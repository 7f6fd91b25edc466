/** Slipway: Tear Down All Mine: every branch environment of this project that the current user brought up. */
import * as vscode from 'vscode';
import { envLabel } from '../format';
import { core } from '../lazy';
import type { Slipway } from '../slipway';
import { registerCommand } from './registry';
import { tearDown } from './teardown';

export function register(slipway: Slipway): vscode.Disposable {
  return registerCommand(
    slipway,
    'slipway.env.teardownMine',
    async (s) => {
      await s.model.refresh();
      const dir = s.specFile ? vscode.Uri.joinPath(s.specFile, '..').fsPath : process.cwd();
      const me = await core().currentActor(dir);
      // Stages belong to the team, never to one user.
      const mine = s.model.items.filter((i) => i.status.owner === me && !i.status.branch.startsWith('stage:'));
      if (mine.length === 0) {
        void vscode.window.showInformationMessage(`No environment of this project was brought up by ${me}.`);
        return;
      }
      const choice = await vscode.window.showWarningMessage(
        `Tear down ${mine.length === 1 ? 'your environment' : `all ${mine.length} of your environments`}?`,
        { modal: true, detail: mine.map((i) => envLabel(i.status.branch)).join('\n') },
        'Tear Down All',
      );
      if (choice !== 'Tear Down All') return;
      for (const item of mine) await tearDown(s, item.status.project, item.status.branch);
    },
    { trusted: true },
  );
}
