/** Slipway: Restart Service: restarts one service's container (same container, same URL) and waits until it is healthy. */
import type * as vscode from 'vscode';
import type { Slipway } from '../slipway';
import { registerCommand, withOperation } from './registry';
import { targetService } from './targets';

export function register(slipway: Slipway): vscode.Disposable {
  return registerCommand(
    slipway,
    'slipway.service.restart',
    async (s, arg) => {
      const target = await targetService(s, arg, 'Restart Service');
      if (!target) return;
      const engine = await s.engine();
      // Cancel stops waiting for health; the restart itself is one Docker call.
      await withOperation(s, `Slipway: restarting ${target.service}`, ({ signal }) =>
        engine.restart(target.item.status.project, target.item.status.branch, target.service, { signal }),
      );
      await s.model.refresh();
    },
    { trusted: true },
  );
}
