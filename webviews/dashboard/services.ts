/** The dashboard's services table: one row per service (state, health, URL, ports, image, use, Restart) and its log lines. */
import { html, nothing, type TemplateResult } from 'lit';
import type { EnvironmentView, ServiceView } from '../protocol';
import { bytes, cores, shortDigest } from '../shared/format';
import { button, emptyState, icon, meter, pill, type Tone } from '../shared/ui';
import type { DashboardContext } from './context';

/** Running, or for a job, completed (exited with code 0): as it should be. */
export function serviceUp(s: Pick<ServiceView, 'state'>): boolean {
  return s.state === 'running' || s.state === 'completed';
}

function serviceState(s: ServiceView): TemplateResult {
  const tone: Tone = serviceUp(s)
    ? 'ok'
    : s.state === 'restarting' || s.state === 'created'
      ? 'info'
      : s.state === 'missing' || s.state === 'dead'
        ? 'error'
        : 'muted';
  return pill(s.state, tone);
}

function health(s: ServiceView): TemplateResult {
  switch (s.health) {
    case 'healthy':
      return pill('healthy', 'ok', 'pass');
    case 'unhealthy':
      return pill('unhealthy', 'error', 'error');
    case 'starting':
      return pill('starting', 'info', 'loading');
    default:
      return html`<span class="muted" title="The service declares no health check">no check</span>`;
  }
}

function ports(s: ServiceView): TemplateResult {
  if (s.ports.length === 0) return html`<span class="muted">none</span>`;
  return html`${s.ports.map((p, i) => html`${i > 0 ? ', ' : ''}<code title=${`container port ${p.container} is published on 127.0.0.1:${p.host}`}>${p.host}→${p.container}</code>`)}`;
}

function image(s: ServiceView): TemplateResult {
  return html`<code title=${s.image}>${shortDigest(s.image)}</code>`;
}

/** CPU above memory in one cell: two meters side by side would push the row past a panel's width. */
function usage(s: ServiceView): TemplateResult {
  if (!s.cpu && !s.memory) return html`<span class="muted">—</span>`;
  return html`<div class="usage">
    ${s.cpu ? meter(`CPU of ${s.name}`, s.cpu.used, s.cpu.quota, cores, ' CPU') : nothing}
    ${s.memory ? meter(`Memory of ${s.name}`, s.memory.used, s.memory.quota, bytes) : nothing}
  </div>`;
}

/** The lines shown for a service: fetched ones, else the tail its state carried, else none yet. */
export function shownLines(ctx: DashboardContext, s: ServiceView): string[] | undefined {
  return ctx.state.logs.get(s.name)?.lines ?? s.logs;
}

function logRow(ctx: DashboardContext, s: ServiceView): TemplateResult {
  const f = ctx.state.logs.get(s.name);
  const lines = shownLines(ctx, s);
  const id = `logs-${s.name}`;
  return html`<tr class="logs-row">
    <td colspan="8">
      <div id=${id} role="region" aria-label=${`Recent log lines of ${s.name}`}>
        <dl class="details narrow-only" aria-label=${`Ports and image of ${s.name}`}>
          <dt>Ports</dt>
          <dd>${ports(s)}</dd>
          <dt>Image</dt>
          <dd>${image(s)}</dd>
        </dl>
        ${
          lines === undefined
            ? html`<div class="muted">${f?.error ? 'No log lines.' : 'Loading log lines…'}</div>`
            : lines.length === 0
              ? html`<div class="muted">No log lines yet.</div>`
              : html`<pre class="log" tabindex="0">${lines.join('\n')}</pre>`
        }
        <div class="log-actions">
          ${button({
            label: f?.loading ? 'Loading…' : f?.lines ? 'Reload lines' : 'Show more lines',
            icon: 'output',
            secondary: true,
            disabled: f?.loading,
            ariaLabel: `Show more log lines of ${s.name}`,
            onClick: () => ctx.moreLogs(s.name),
          })}
          ${f?.error ? html`<span class="error-text" role="alert">${icon('error')} ${f.error}</span>` : nothing}
          ${lines ? html`<span class="muted">${lines.length} line${lines.length === 1 ? '' : 's'}</span>` : nothing}
        </div>
      </div>
    </td>
  </tr>`;
}

/** Only http(s) URLs become links (never `javascript:` or `data:`). */
function webUrl(url: string | undefined): boolean {
  return !!url && /^https?:\/\//i.test(url);
}

function serviceRows(ctx: DashboardContext, e: EnvironmentView, s: ServiceView): TemplateResult {
  const { host } = ctx;
  const open = host.uiState.expanded.includes(s.name);
  const busy = e.status === 'provisioning';
  // Links open through the host (the webview cannot navigate).
  const openLink = (ev: Event) => {
    ev.preventDefault();
    host.command('env/open', { service: s.name });
  };
  return html`<tr class="row">
      <td>
        <button
          class="toggle name"
          aria-expanded=${open ? 'true' : 'false'}
          aria-controls=${`logs-${s.name}`}
          aria-label=${`${s.name}: ${open ? 'hide' : 'show'} log lines`}
          @click=${() => ctx.toggleLogs(s.name)}
        >
          ${icon(open ? 'chevron-down' : 'chevron-right')}<strong>${s.name}</strong>
        </button>
      </td>
      <td>
        <div class="pills">${serviceState(s)}<span class="narrowest-only">${health(s)}</span></div>
      </td>
      <td class="health-col">${health(s)}</td>
      <td>
        ${webUrl(s.url) ? html`<a href=${s.url} @click=${openLink} title=${`Open ${s.url}`}>${s.url?.replace(/^https?:\/\//, '')}</a>` : s.url ? html`<span>${s.url}</span>` : html`<span class="muted">—</span>`}
      </td>
      <td class="wide-only">${ports(s)}</td>
      <td class="wide-only">${image(s)}</td>
      <td>${usage(s)}</td>
      <td class="row-actions">
        ${button({ label: 'Restart', icon: 'debug-restart', secondary: true, iconOnly: true, disabled: busy, ariaLabel: `Restart ${s.name}`, onClick: () => host.command('env/restart', { service: s.name }) })}
      </td>
    </tr>
    ${open ? logRow(ctx, s) : nothing}`;
}

export function services(ctx: DashboardContext, e: EnvironmentView): TemplateResult {
  if (e.services.length === 0) {
    return html`<div class="card">
      ${emptyState('package', 'No services', 'This environment runs no containers right now.')}
    </div>`;
  }
  return html`<div class="table-wrap services">
    <table aria-label="Services">
      <thead>
        <tr>
          <th scope="col">Service</th>
          <th scope="col">State</th>
          <th scope="col" class="health-col">Health</th>
          <th scope="col">URL</th>
          <th scope="col" class="wide-only">Ports</th>
          <th scope="col" class="wide-only">Image</th>
          <th scope="col">CPU and memory</th>
          <th scope="col"><span class="visually-hidden">Actions</span></th>
        </tr>
      </thead>
      <tbody>
        ${e.services.map((s) => serviceRows(ctx, e, s))}
      </tbody>
    </table>
  </div>`;
}
