/**
 * The warning before a preview expires: once per expiry (an Extend moves it, and the warning may
 * come again), `slipway.ttl.warnBefore` ahead, with Extend. Only for environments of the current
 * user (another's owner gets their own warning); never for stages.
 */
import * as vscode from 'vscode';
import { shortDuration } from './format';
import type { EnvironmentItem } from './model';
import type { Slipway } from './slipway';

const CHECK_MS = 30_000;

/** The items to warn about now: expiring within `warnBeforeMs`, not expired, not yet warned for this expiry. */
export function dueWarnings(
  items: Array<Pick<EnvironmentItem, 'expiresAt' | 'busy'> & { status: { branch: string; owner?: string } }>,
  now: number,
  warnBeforeMs: number,
  warned: ReadonlyMap<string, number>,
  me?: string,
): Array<{ branch: string; expiresAt: number }> {
  const out: Array<{ branch: string; expiresAt: number }> = [];
  for (const i of items) {
    const at = i.expiresAt;
    const { branch, owner } = i.status;
    if (at === undefined || i.busy || branch.startsWith('stage:')) continue;
    if (me && owner && owner !== me) continue;
    if (at <= now || at - now > warnBeforeMs || warned.get(branch) === at) continue;
    out.push({ branch, expiresAt: at });
  }
  return out;
}

export class ExpiryWarnings implements vscode.Disposable {
  private readonly warned = new Map<string, number>();
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly sub: vscode.Disposable;

  constructor(private readonly slipway: Slipway) {
    this.timer = setInterval(() => this.check(), CHECK_MS);
    this.sub = slipway.model.onDidChange(() => this.check());
  }

  private check(): void {
    const due = dueWarnings(
      this.slipway.model.items,
      Date.now(),
      this.slipway.settings.warnBeforeMs,
      this.warned,
      this.slipway.quotas.summary?.owner,
    );
    for (const d of due) {
      this.warned.set(d.branch, d.expiresAt);
      const item = this.slipway.model.find(d.branch);
      if (!item) continue;
      const key = { project: item.status.project, branch: d.branch };
      void vscode.window
        .showWarningMessage(
          `The preview of ${d.branch} expires in ${shortDuration(d.expiresAt - Date.now())} and will then be torn down.`,
          'Extend',
        )
        .then(async (choice) => {
          if (choice !== 'Extend') return;
          try {
            await this.slipway.ttl.extend(key);
            await this.slipway.model.refresh();
          } catch (err) {
            void vscode.window.showErrorMessage(`Could not extend ${d.branch}: ${(err as Error).message}`);
          }
        });
    }
  }

  dispose(): void {
    clearInterval(this.timer);
    this.sub.dispose();
  }
}
