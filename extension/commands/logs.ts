/** Slipway: Show Logs: follows a service's container logs in an output channel of its own. */
import * as vscode from 'vscode';
import { envLabel } from '../format';
import type { Slipway } from '../slipway';
import { registerCommand } from './registry';
import { targetService } from './targets';

const following = new Map<string, { channel: vscode.OutputChannel; abort: AbortController }>();

export function register(slipway: Slipway): vscode.Disposable[] {
  return [
    registerCommand(
      slipway,
      'slipway.service.logs',
      async (s, arg) => {
        const target = await targetService(s, arg, 'Show Logs');
        if (!target) return;
        const { status } = target.item;
        const key = `${status.project}/${status.branch}/${target.service}`;
        const previous = following.get(key);
        previous?.abort.abort();
        const channel =
          previous?.channel ??
          vscode.window.createOutputChannel(`Slipway: ${target.service} (${envLabel(status.branch)})`);
        const abort = new AbortController();
        following.set(key, { channel, abort });
        channel.clear();
        channel.show(true);
        const engine = await s.engine();
        await engine.logs(status.project, status.branch, target.service, {
          follow: true,
          tail: 200,
          signal: abort.signal,
          onLine: (line) => channel.appendLine(line),
        });
        if (!abort.signal.aborted) channel.appendLine('--- the container stopped; its log ends here ---');
      },
      { trusted: true },
    ),
    {
      dispose: () => {
        for (const { channel, abort } of following.values()) {
          abort.abort();
          channel.dispose();
        }
        following.clear();
      },
    },
  ];
}
