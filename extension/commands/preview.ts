/** Preview Current Branch / Preview Branch... / Update: bring a branch's environment up to date with the spec. */
import * as vscode from 'vscode';
import { core } from '../lazy';
import { openLimitSource } from '../quotas';
import type { Slipway } from '../slipway';
import { registerCommand, withOperation } from './registry';

/** Brings `branch` up. A first preview that is cancelled or fails is removed again, so nothing is left behind. */
export async function preview(slipway: Slipway, branch: string): Promise<void> {
  const stage = core().isStageBranch(branch);
  if (stage) {
    // A stage runs a release that passed its gates; the working tree never goes there directly.
    throw new (core().SlipwayError)(
      'pipeline-invalid',
      `Stage ${stage} is updated by promotion only, never from the working tree.`,
      {
        hint: `Use Slipway: Promote... from the environment that runs what ${stage} should run.`,
      },
    );
  }
  const spec = await slipway.spec();
  const engine = await slipway.engine();
  const existed = (await engine.status(spec.name, branch).catch(() => undefined))?.status;
  const fresh = existed === undefined || existed === 'absent';
  slipway.model.begin(branch, 'up');
  try {
    const result = await withOperation(
      slipway,
      `Slipway: previewing ${branch}`,
      (opts) => engine.up(spec, branch, opts),
      (step) => slipway.model.step(branch, step),
    );
    slipway.model.setOutdated([branch], false);
    const url = Object.values(result.urls)[0];
    slipway.log.info(`${branch} is running${url ? ` at ${url}` : ''}`);
    void vscode.window
      .showInformationMessage(
        `Preview of ${branch} is running${url ? ` at ${url}` : ''}.`,
        ...(url ? ['Open in Browser', 'Copy Share Link'] : []),
      )
      .then((choice) => {
        if (choice === 'Open in Browser') void vscode.env.openExternal(vscode.Uri.parse(url));
        else if (choice === 'Copy Share Link') void vscode.commands.executeCommand('slipway.env.share', branch);
      });
  } catch (err) {
    if (core().SlipwayError.is(err, 'quota-exceeded')) {
      // A refused preview made nothing: the one message names the limit, its file, the use and who
      // holds it; it offers to free a slot, or to see where the limit is set.
      slipway.log.warn(err.message);
      await slipway.quotas.refresh();
      const source = slipway.quotas.summary?.uses.find((u) => u.used >= u.limit.value)?.limit.source;
      void vscode.window.showErrorMessage(err.message, 'Tear Down All Mine', 'Open Settings').then((choice) => {
        if (choice === 'Tear Down All Mine') void vscode.commands.executeCommand('slipway.env.teardownMine');
        else if (choice === 'Open Settings') void openLimitSource(slipway, source);
      });
      return;
    }
    if (fresh && core().SlipwayError.is(err, 'operation-cancelled')) {
      await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Slipway: removing the cancelled preview of ${branch}`,
        },
        () => engine.down(spec.name, branch, { onOutput: (l) => slipway.log.trace(l) }),
      );
      throw new (core().SlipwayError)(
        'operation-cancelled',
        `Preview of ${branch} cancelled; nothing was left behind.`,
      );
    }
    throw err;
  } finally {
    slipway.model.end(branch);
  }
}

/** Slipway: Preview Current Branch. */
export function register(slipway: Slipway): vscode.Disposable {
  return registerCommand(slipway, 'slipway.env.preview', async (s) => preview(s, await s.currentBranch()), {
    trusted: true,
  });
}
