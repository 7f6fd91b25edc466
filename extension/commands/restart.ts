/**
 * Slipway: Restart Service: restarts one service's container (same container, same URL) and
 * waits until it is healthy; from a dashboard, one service or all of them.
 */
import type * as vscode from 'vscode';
import { envLabel } from '../format';
import { core } from '../lazy';
import type { Slipway } from '../slipway';
import { registerCommand, withOperation } from './registry';
import { targetEnvironment, targetService } from './targets';

/** What a dashboard passes: its environment, and the service (none: every service). */
interface PanelTarget {
  branch: string;
  service?: string;
}

function isPanelTarget(arg: unknown): arg is PanelTarget {
  if (typeof arg !== 'object' || arg === null || 'kind' in arg) return false;
  const t = arg as Record<string, unknown>;
  return typeof t.branch === 'string' && (t.service === undefined || typeof t.service === 'string');
}

async function targets(
  s: Slipway,
  arg: unknown,
): Promise<{ project: string; branch: string; services: string[] } | undefined> {
  if (isPanelTarget(arg)) {
    const item = await targetEnvironment(s, arg.branch, 'Restart Service');
    if (!item) return undefined;
    const services = arg.service !== undefined ? [arg.service] : item.status.services.map((x) => x.service);
    return { project: item.status.project, branch: item.status.branch, services };
  }
  const target = await targetService(s, arg, 'Restart Service');
  return (
    target && { project: target.item.status.project, branch: target.item.status.branch, services: [target.service] }
  );
}

export function register(slipway: Slipway): vscode.Disposable {
  return registerCommand(
    slipway,
    'slipway.service.restart',
    async (s, arg) => {
      const t = await targets(s, arg);
      if (!t || t.services.length === 0) return;
      const engine = await s.engine();
      const what = t.services.length === 1 ? t.services[0] : `${t.services.join(', ')} of ${envLabel(t.branch)}`;
      // Cancel stops waiting for health (and skips the services not yet restarted); each restart is one Docker call.
      try {
        await withOperation(s, `Slipway: restarting ${what}`, async ({ signal }) => {
          for (const [i, service] of t.services.entries()) {
            if (signal?.aborted) {
              const rest = t.services.slice(i).join(', ');
              const done = i === 0 ? 'nothing restarted' : `${t.services.slice(0, i).join(', ')} restarted`;
              throw new (core().SlipwayError)(
                'operation-cancelled',
                `Cancelled: ${done}, ${rest} not; restart ${rest} again when you need to.`,
              );
            }
            await engine.restart(t.project, t.branch, service, { signal });
          }
        });
      } finally {
        await s.model.refresh();
      }
    },
    { trusted: true },
  );
}
