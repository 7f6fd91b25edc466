/** The dashboard's share link and quota parts on the host side: quota use as view models, and Copy, Revoke and Open Settings. */
import * as vscode from 'vscode';
import type { QuotaUse } from '../../environments/quotas/check';
import type { CommandMessage, QuotaView } from '../../webviews/protocol';
import type { EnvironmentItem } from '../model';
import { core } from '../lazy';
import { openLimitSource } from '../quotas';
import type { Slipway } from '../slipway';
import type { PanelKey } from './host';

/** The core's quota report as the dashboard's view models; undefined when no limit is in force. */
export function quotaViews(uses: QuotaUse[] | undefined): QuotaView[] | undefined {
  if (!uses || uses.length === 0) return undefined;
  return uses.map((u) => ({
    what: u.what,
    short: core().QUOTA_SHORT[u.key],
    used: u.text.used,
    limit: u.text.limit,
    usedValue: u.used,
    limitValue: u.limit.value,
    full: u.used >= u.limit.value,
    setting: u.limit.setting,
    source: u.limit.source,
    holders: u.holders,
  }));
}

type ShareMessage = Extract<
  CommandMessage,
  { method: 'env/share' | 'env/copyShare' | 'env/revokeShare' | 'env/openQuotaSettings' }
>;

/** Runs one of the dashboard's share or quota commands for the panel's environment. */
export async function shareCommand(
  slipway: Slipway,
  key: PanelKey,
  item: EnvironmentItem | undefined,
  m: ShareMessage,
): Promise<void> {
  switch (m.method) {
    case 'env/openQuotaSettings':
      await openLimitSource(slipway, m.params.source);
      return;
    case 'env/share':
      await vscode.commands.executeCommand('slipway.env.share', key.branch);
      return;
    case 'env/copyShare': {
      const kept = item?.status.env ? await slipway.shares.kept(key.project, item.status.env) : undefined;
      if (!kept) {
        // The token is only in the link as it was made: without it, a new link (the old one stops working).
        await vscode.commands.executeCommand('slipway.env.share', key.branch);
        return;
      }
      await vscode.env.clipboard.writeText(kept.url);
      void vscode.window.showInformationMessage(
        `Copied the share link to ${key.branch} (expires ${new Date(kept.expires).toLocaleString()}).`,
      );
      return;
    }
    case 'env/revokeShare': {
      if (!item?.status.env) return;
      const choice = await vscode.window.showWarningMessage(
        `Revoke the share link to ${key.branch}?`,
        { modal: true, detail: 'Anyone who opens it gets 404 from now on. Copy Share Link makes a new one.' },
        'Revoke',
      );
      if (choice !== 'Revoke') return;
      const had = await slipway.shares.revoke(key.project, item.status.env);
      void vscode.window.showInformationMessage(
        had ? `The share link to ${key.branch} is revoked.` : `${key.branch} had no share link.`,
      );
      return;
    }
  }
}
