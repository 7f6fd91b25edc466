/** The dashboard's header (title, status, toolbar) and its summary cards (services, time to live, created, last operation). */
import { html, nothing, type TemplateResult } from 'lit';
import type { EnvironmentStatus, EnvironmentView } from '../protocol';
import { relative, span } from '../shared/format';
import { button, icon, pill, timeAgo, type Tone } from '../shared/ui';
import type { DashboardContext } from './context';
import { serviceUp } from './services';

export const STATUS: Record<EnvironmentStatus, { text: string; tone: Tone; icon: string }> = {
  running: { text: 'Running', tone: 'ok', icon: 'pass-filled' },
  provisioning: { text: 'Provisioning', tone: 'info', icon: 'loading' },
  degraded: { text: 'Degraded', tone: 'warn', icon: 'warning' },
  drifted: { text: 'Drifted', tone: 'warn', icon: 'diff' },
  stopped: { text: 'Stopped', tone: 'muted', icon: 'debug-stop' },
  failed: { text: 'Failed', tone: 'error', icon: 'error' },
  absent: { text: 'Not created', tone: 'muted', icon: 'circle-slash' },
};

function stat(label: string, value: TemplateResult | string, extra?: TemplateResult, tone?: Tone): TemplateResult {
  return html`<div class="stat card ${tone ? `tone-${tone}` : ''}" role="group" aria-label=${label}>
    <div class="stat-label">${label}</div>
    <div class="stat-value">${value}</div>
    ${extra ?? nothing}
  </div>`;
}

export function stats(ctx: DashboardContext, e: EnvironmentView): TemplateResult {
  // A job that completed counts as well as a running service.
  const healthy = e.services.filter((s) => serviceUp(s) && s.health !== 'unhealthy').length;
  const total = e.services.length;
  const left = e.expiresAt ? Date.parse(e.expiresAt) - Date.now() : undefined;
  const ttlTone: Tone | undefined =
    left === undefined ? undefined : left <= 0 ? 'error' : left < 60 * 60_000 ? 'warn' : undefined;
  const ttl =
    left === undefined
      ? html`<span class="muted">No expiry</span>`
      : left <= 0
        ? html`<span class="state-icon">${icon('clock')}</span> Expired`
        : html`<time
            datetime=${e.expiresAt ?? ''}
            title=${`Torn down at ${new Date(Date.parse(e.expiresAt ?? '')).toLocaleString()}`}
            >${span(left)} left</time
          >`;
  const { host } = ctx;
  const op = e.lastOperation;
  return html`<div class="stats">
    ${stat(
      'Services',
      html`${healthy} of ${total} up`,
      html`<div class="stat-sub muted">
        ${total === 0 ? 'none running' : healthy === total ? 'all running and healthy' : `${total - healthy} need attention`}
      </div>`,
      total > 0 && healthy < total ? 'warn' : undefined,
    )}
    ${stat(
      'Time to live',
      ttl,
      html`<div class="stat-sub">
        ${button({ label: 'Extend', icon: 'history', secondary: true, disabled: e.status === 'absent', ariaLabel: 'Extend time to live', onClick: () => host.command('env/extendTtl', {}) })}
      </div>`,
      ttlTone,
    )}
    ${stat('Created', timeAgo(e.createdAt, 'unknown'), html`<div class="stat-sub muted">${e.commit ? html`${icon('git-commit')} <code>${e.commit.slice(0, 7)}</code>${e.commit.endsWith('+dirty') ? html` <span title="Built from uncommitted changes: commit, then preview again, to promote it">dirty</span>` : nothing}` : nothing}</div>`)}
    ${stat(
      'Last operation',
      op ? html`${op.op} ${op.status}` : html`<span class="muted">none</span>`,
      op ? html`<div class="stat-sub muted">${timeAgo(op.at)}</div>` : undefined,
      op?.status === 'failed' ? 'error' : undefined,
    )}
  </div>`;
}

export function header(ctx: DashboardContext, e: EnvironmentView): TemplateResult {
  const st = STATUS[e.status] ?? STATUS.absent;
  const hasUrl = e.services.some((s) => s.url);
  const busy = e.status === 'provisioning';
  const live = e.status !== 'absent';
  const { host } = ctx;
  return html`<header class="header">
    <div>
      <div class="title">
        ${icon(e.stage ? 'server-environment' : 'git-branch')}
        <h1>${e.stage ? e.stage : e.branch}</h1>
        <span role="status" aria-label=${`Environment status: ${st.text}`}>${pill(st.text, st.tone, st.icon)}</span>
      </div>
      <div class="meta">
        <span title="Project">${icon('project')} ${e.project}</span>
        <span title="Environment">${icon('server-environment')} <code>${e.env}</code></span>
        ${e.stage ? html`<span title="Branch">${icon('git-branch')} ${e.branch}</span>` : nothing}
        ${e.updatedAt ? html`<span>${icon('history')} updated ${relative(e.updatedAt) ?? ''}</span>` : nothing}
      </div>
    </div>
    <div class="actions" role="toolbar" aria-label="Environment actions">
      ${button({ label: 'Open', icon: 'link-external', disabled: !hasUrl, title: hasUrl ? 'Open the first service in the browser' : 'No service has a URL', onClick: () => host.command('env/open', {}) })}
      ${button({ label: 'Share', icon: 'live-share', secondary: true, disabled: !live || busy, title: 'Copy a link for reviewers', onClick: () => host.command('env/share', {}) })}
      ${button({ label: 'Restart', icon: 'debug-restart', secondary: true, disabled: !live || busy, ariaLabel: 'Restart all services', onClick: () => host.command('env/restart', {}) })}
      ${
        e.promoteTo
          ? button({
              label: `Promote to ${e.promoteTo}`,
              icon: 'rocket',
              secondary: true,
              disabled: e.status !== 'running',
              title:
                e.status === 'running'
                  ? `Run the ${e.promoteTo} gates and promote`
                  : 'Only a running environment can be promoted',
              onClick: () => host.command('env/promote', {}),
            })
          : nothing
      }
      ${button({ label: 'Tear Down', icon: 'trash', secondary: true, disabled: !live, title: 'Remove every container, network and volume of this environment', onClick: () => host.command('env/teardown', {}) })}
    </div>
  </header>`;
}
