/**
 * Branch awareness: `slipway.autoPreview` previews a branch when it is checked out, and an
 * environment whose branch was deleted is offered for teardown (once per window).
 */
import * as vscode from 'vscode';
import type { Slipway } from './slipway';

export function trackBranches(slipway: Slipway): vscode.Disposable[] {
  const offered = new Set<string>();
  const offerTeardown = async (heads: Set<string>) => {
    await slipway.model.refresh();
    for (const item of slipway.model.items) {
      const branch = item.status.branch;
      if (branch.startsWith('stage:') || heads.has(branch) || offered.has(branch) || item.busy) continue;
      offered.add(branch);
      const choice = await vscode.window.showInformationMessage(
        `Branch ${branch} no longer exists, but its Slipway environment still runs.`,
        'Tear Down',
        'Keep',
      );
      if (choice === 'Tear Down') await vscode.commands.executeCommand('slipway.env.teardown', branch);
    }
  };
  return [
    slipway.git.onDidChangeBranch(async ({ initial, current }) => {
      await slipway.model.refresh();
      // The first report is the branch the window opened on, not a checkout.
      if (initial || !current || !slipway.settings.autoPreview || !vscode.workspace.isTrusted || !slipway.specFile)
        return;
      const env = slipway.model.find(current);
      if (env?.busy || env?.state === 'running') return;
      slipway.log.info(`autoPreview: ${current} was checked out`);
      void vscode.commands.executeCommand('slipway.env.preview');
    }),
    slipway.git.onDidChangeBranches((heads) => void offerTeardown(heads)),
  ];
}
