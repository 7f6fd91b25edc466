/** Slipway: Tear Down: removes an environment: its containers, network, volumes and stack. */
import * as vscode from 'vscode';
import { envLabel } from '../format';
import { core } from '../lazy';
import type { Slipway } from '../slipway';
import { registerCommand, withOperation } from './registry';
import { targetEnvironment } from './targets';

export async function tearDown(slipway: Slipway, project: string, branch: string): Promise<void> {
  const engine = await slipway.engine();
  // A stage may run on a Docker endpoint of its own (pipeline.stages[].dockerHost).
  const stage = core().isStageBranch(branch);
  const dockerHost = stage
    ? (await slipway.spec()).pipeline?.stages.find((s) => s.name === stage)?.dockerHost
    : undefined;
  slipway.model.begin(branch, 'down');
  try {
    await withOperation(
      slipway,
      `Slipway: tearing down ${envLabel(branch)}`,
      (opts) => engine.down(project, branch, { ...opts, dockerHost }),
      (step) => slipway.model.step(branch, step),
    );
    slipway.log.info(`${envLabel(branch)} is gone`);
  } finally {
    slipway.model.end(branch);
  }
}

export function register(slipway: Slipway): vscode.Disposable {
  return registerCommand(
    slipway,
    'slipway.env.teardown',
    async (s, arg) => {
      const item = await targetEnvironment(s, arg, 'Tear Down');
      if (!item) return;
      const label = envLabel(item.status.branch);
      const choice = await vscode.window.showWarningMessage(
        `Tear down ${label}?`,
        {
          modal: true,
          detail:
            'Its containers, network, volumes (with their data) and stack are removed. The branch itself is not touched.',
        },
        'Tear Down',
      );
      if (choice === 'Tear Down') await tearDown(s, item.status.project, item.status.branch);
    },
    { trusted: true },
  );
}
