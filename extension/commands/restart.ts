/** Slipway: Restart Service: restarts one service's container (same container, same URL) and waits until it is healthy. */
import * as vscode from 'vscode';
import type { Slipway } from '../slipway';
import { registerCommand } from './registry';
import { targetService } from './targets';

export function register(slipway: Slipway): vscode.Disposable {
  return registerCommand(
    slipway,
    'slipway.service.restart',
    async (s, arg) => {
      const target = await targetService(s, arg, 'Restart Service');
      if (!target) return;
      const engine = await s.engine();
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Slipway: restarting ${target.service}`, cancellable: true },
        async (_progress, token) => {
          // Cancel stops waiting for health; the restart itself is one Docker call.
          const abort = new AbortController();
          const sub = token.onCancellationRequested(() => abort.abort());
          try {
            await engine.restart(target.item.status.project, target.item.status.branch, target.service, { signal: abort.signal });
          } finally {
            sub.dispose();
          }
        },
      );
      await s.model.refresh();
    },
    { trusted: true },
  );
}
