/**
 * Branch awareness: `slipway.autoPreview` previews a branch when it is checked out, and the
 * environment of a branch deleted or merged into the default branch (judged from local git refs,
 * nothing fetched) is offered for teardown once per window, or torn down, as
 * `slipway.gc.mergedBranches` says.
 */
import * as vscode from 'vscode';
import type { GoneBranch } from '../environments/quotas/merged';
import { tearDown } from './commands/teardown';
import { core } from './lazy';
import type { Slipway } from './slipway';

/** Merges land without any local branch coming or going: looked for this often too. */
const CHECK_MS = 5 * 60_000;

function why(g: GoneBranch): string {
  return g.reason === 'merged' ? `was merged into ${g.into}` : 'no longer exists';
}

export function trackBranches(slipway: Slipway): vscode.Disposable[] {
  const offered = new Set<string>();
  let checking = false;
  const checkGone = async () => {
    const mode = slipway.settings.mergedBranches;
    if (mode === 'off' || checking || !slipway.specFile) return;
    checking = true;
    try {
      await slipway.model.refresh();
      const candidates = slipway.model.items
        .filter((i) => !i.status.branch.startsWith('stage:') && !i.busy && !offered.has(i.status.branch))
        .map((i) => i.status.branch);
      if (candidates.length === 0) return;
      const dir = vscode.Uri.joinPath(slipway.specFile, '..').fsPath;
      const current = slipway.git.currentBranch;
      const gone = await core().goneBranches(dir, candidates, current ? [current] : []);
      for (const g of gone) {
        offered.add(g.branch);
        const item = slipway.model.find(g.branch);
        if (!item) continue;
        if (mode === 'teardown') {
          if (!vscode.workspace.isTrusted) continue;
          slipway.log.info(`Branch ${g.branch} ${why(g)}: tearing down its environment (slipway.gc.mergedBranches)`);
          await tearDown(slipway, item.status.project, g.branch).catch((err: Error) =>
            slipway.log.warn(`Could not tear down ${g.branch}: ${err.message}`),
          );
          void vscode.window.showInformationMessage(`Branch ${g.branch} ${why(g)}: its environment was torn down.`);
          continue;
        }
        void vscode.window
          .showInformationMessage(
            `Branch ${g.branch} ${why(g)}, but its Slipway environment still runs.`,
            'Tear Down',
            'Keep',
          )
          .then((choice) => {
            if (choice === 'Tear Down') void vscode.commands.executeCommand('slipway.env.teardown', g.branch);
          });
      }
    } catch (err) {
      slipway.log.warn(`Could not check for merged or deleted branches: ${(err as Error).message}`);
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(() => void checkGone(), CHECK_MS);
  return [
    { dispose: () => clearInterval(timer) },
    slipway.git.onDidChangeBranch(async ({ initial, current }) => {
      await slipway.model.refresh();
      void checkGone();
      // The first report is the branch the window opened on, not a checkout.
      if (initial || !current || !slipway.settings.autoPreview || !vscode.workspace.isTrusted || !slipway.specFile)
        return;
      const env = slipway.model.find(current);
      if (env?.busy || env?.state === 'running') return;
      slipway.log.info(`autoPreview: ${current} was checked out`);
      void vscode.commands.executeCommand('slipway.env.preview');
    }),
    slipway.git.onDidChangeBranches(() => void checkGone()),
  ];
}
