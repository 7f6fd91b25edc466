/** The dashboard's share link (address without its token, expiry, Copy and Revoke) and quota use against the limits in force. */
import { html, nothing, type TemplateResult } from 'lit';
import type { EnvironmentView, QuotaView } from '../protocol';
import { span } from '../shared/format';
import { button, icon, meter, pill } from '../shared/ui';
import type { DashboardContext } from './context';

function fileName(path: string): string {
  const parts = path.split(/[\\/]/);
  // `.vscode/settings.json` says more than `settings.json`.
  return parts.length > 1 && parts[parts.length - 2].startsWith('.')
    ? parts.slice(-2).join('/')
    : parts[parts.length - 1];
}

export function shareSection(ctx: DashboardContext, e: EnvironmentView): TemplateResult | typeof nothing {
  if (e.stage || e.status === 'absent') return nothing;
  const { host } = ctx;
  const s = e.share;
  const busy = e.status === 'provisioning';
  const body = !s
    ? html`<div class="share-row">
        <span class="muted"
          >No share link. A link lets a reviewer open this environment through Slipway's gateway.</span
        >
        ${button({ label: 'Create Link', icon: 'link', secondary: true, disabled: busy, title: 'Make a link and copy it', onClick: () => host.command('env/share', {}) })}
      </div>`
    : html`<div class="share-row">
        <code class="share-address" title="The link carries a token that is not shown here">${s.address}</code>
        ${
          s.expired
            ? pill('Expired', 'error', 'clock')
            : html`<span class="muted" title=${new Date(Date.parse(s.expiresAt)).toLocaleString()}
                >${icon('clock')} expires in ${span(Date.parse(s.expiresAt) - Date.now())}</span
              >`
        }
        <span class="muted">${icon('vm-running')} ${s.service}</span>
        <span class="share-actions">
          ${button({
            label: s.copyable && !s.expired ? 'Copy' : 'New Link',
            icon: s.copyable && !s.expired ? 'copy' : 'link',
            secondary: true,
            ariaLabel: s.copyable && !s.expired ? 'Copy the share link' : 'Make a new share link and copy it',
            title:
              s.copyable && !s.expired
                ? 'Copy the link (with its token) to the clipboard'
                : 'This window does not hold this link\u2019s token: a new link is made and copied; the old one stops working',
            onClick: () => host.command('env/copyShare', {}),
          })}
          ${button({ label: 'Revoke', icon: 'circle-slash', secondary: true, ariaLabel: 'Revoke the share link', title: 'End the link: it answers 404 from now on', onClick: () => host.command('env/revokeShare', {}) })}
        </span>
      </div>`;
  return html`<section aria-labelledby="share-title">
    <div class="section-head"><h2 id="share-title">Share link</h2></div>
    <div class="card share">${body}</div>
  </section>`;
}

function quotaRow(ctx: DashboardContext, q: QuotaView): TemplateResult {
  const text = (n: number) => (n === q.usedValue ? q.used : q.limit);
  return html`<tr class=${q.full ? 'tone-warn' : ''}>
    <td>${q.full ? html`${icon('warning', 'state-icon')} ` : nothing}${q.what}</td>
    <td>${meter(`${q.what}: ${q.used} of ${q.limit}`, q.usedValue, q.limitValue, text)}</td>
    <td>
      <a
        href="#"
        title=${`${q.setting} in ${q.source}`}
        @click=${(ev: Event) => (ev.preventDefault(), ctx.host.command('env/openQuotaSettings', { source: q.source }))}
        >${fileName(q.source)}</a
      >
    </td>
    <td class="muted">${q.holders}</td>
  </tr>`;
}

export function quotaSection(ctx: DashboardContext, e: EnvironmentView): TemplateResult | typeof nothing {
  if (!e.quotas || e.quotas.length === 0) return nothing;
  const full = e.quotas.filter((q) => q.full);
  return html`<section aria-labelledby="quotas-title">
    <div class="section-head">
      <h2 id="quotas-title">Quotas</h2>
      <span class="muted">${e.quotas.map((q) => `${q.used}/${q.limit} ${q.short}`).join(' · ')}</span>
    </div>
    ${
      full.length
        ? html`<div class="banner tone-warn" role="status">
            ${icon('warning', 'state-icon')}
            <span
              >At the limit of ${full.map((q) => q.what).join(', ')}: a new preview will be refused until one is torn
              down.</span
            >
          </div>`
        : nothing
    }
    <table class="quotas" aria-label="Quotas">
      <thead>
        <tr>
          <th>Limit</th>
          <th>Use</th>
          <th>Set in</th>
          <th>Held by</th>
        </tr>
      </thead>
      <tbody>
        ${e.quotas.map((q) => quotaRow(ctx, q))}
      </tbody>
    </table>
  </section>`;
}
