/**
 * The environment dashboard: one panel per environment. Its services (state, health, URL,
 * ports, image, CPU and memory against quota, recent logs), its TTL with Extend, and the
 * environment's actions.
 */
import { css, html, nothing, type TemplateResult } from 'lit';
import type { EnvironmentStatus, EnvironmentView, ServiceView } from '../protocol';
import { bytes, cores, relative, shortDigest, span } from '../shared/format';
import { Host } from '../shared/host';
import { button, emptyState, icon, loading, meter, mount, pill, timeAgo, type Tone } from '../shared/ui';
import { RpcError } from '../rpc';

interface UiState {
  /** Services whose log lines are shown. */
  expanded: string[];
}

const STATUS: Record<EnvironmentStatus, { text: string; tone: Tone; icon: string }> = {
  running: { text: 'Running', tone: 'ok', icon: 'pass-filled' },
  provisioning: { text: 'Provisioning', tone: 'info', icon: 'loading' },
  degraded: { text: 'Degraded', tone: 'warn', icon: 'warning' },
  drifted: { text: 'Drifted', tone: 'warn', icon: 'diff' },
  stopped: { text: 'Stopped', tone: 'muted', icon: 'debug-stop' },
  failed: { text: 'Failed', tone: 'error', icon: 'error' },
  absent: { text: 'Not created', tone: 'muted', icon: 'circle-slash' },
};

const host = new Host<UiState>('dashboard', { expanded: [] });
let env: EnvironmentView | undefined;
/** Lines fetched with `env/logs` per service (replacing the pushed tail), or the error. */
const fetched = new Map<string, { lines?: string[]; error?: string; loading?: boolean }>();

function serviceState(s: ServiceView): TemplateResult {
  const tone: Tone = s.state === 'running' ? 'ok' : s.state === 'restarting' || s.state === 'created' ? 'info' : s.state === 'missing' || s.state === 'dead' ? 'error' : 'muted';
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

function toggleLogs(name: string): void {
  const open = new Set(host.uiState.expanded);
  if (open.has(name)) open.delete(name);
  else open.add(name);
  host.saveUiState({ expanded: [...open] });
  app.update();
}

async function moreLogs(service: string): Promise<void> {
  fetched.set(service, { ...fetched.get(service), loading: true, error: undefined });
  app.update();
  try {
    const { lines } = await host.request('env/logs', { service, lines: 500 });
    fetched.set(service, { lines });
  } catch (err) {
    const why = RpcError.is(err) && err.reason === 'timeout' ? 'Slipway did not answer in time.' : err instanceof Error ? err.message : String(err);
    fetched.set(service, { ...fetched.get(service), loading: false, error: why });
  }
  app.update();
}

function logRow(s: ServiceView): TemplateResult {
  const f = fetched.get(s.name);
  const lines = f?.lines ?? s.logs;
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
        ${lines.length === 0 ? html`<div class="muted">No log lines yet.</div>` : html`<pre class="log" tabindex="0">${lines.join('\n')}</pre>`}
        <div class="log-actions">
          ${button({
            label: f?.loading ? 'Loading…' : f?.lines ? 'Reload lines' : 'Show more lines',
            icon: 'output',
            secondary: true,
            disabled: f?.loading,
            ariaLabel: `Show more log lines of ${s.name}`,
            onClick: () => void moreLogs(s.name),
          })}
          ${f?.error ? html`<span class="error-text" role="alert">${icon('error')} ${f.error}</span>` : nothing}
          <span class="muted">${lines.length} line${lines.length === 1 ? '' : 's'}</span>
        </div>
      </div>
    </td>
  </tr>`;
}

function serviceRows(e: EnvironmentView, s: ServiceView): TemplateResult {
  const open = host.uiState.expanded.includes(s.name);
  const busy = e.status === 'provisioning';
  return html`<tr class="row">
      <td>
        <button class="toggle name" aria-expanded=${open ? 'true' : 'false'} aria-controls=${`logs-${s.name}`} aria-label=${`${s.name}: ${open ? 'hide' : 'show'} log lines`} @click=${() => toggleLogs(s.name)}>
          ${icon(open ? 'chevron-down' : 'chevron-right')}<strong>${s.name}</strong>
        </button>
      </td>
      <td>
        <div class="pills">${serviceState(s)}<span class="narrowest-only">${health(s)}</span></div>
      </td>
      <td class="health-col">${health(s)}</td>
      <td>${webUrl(s.url) ? html`<a href=${s.url} @click=${(ev: Event) => openLink(ev, s.name)} title=${`Open ${s.url}`}>${s.url?.replace(/^https?:\/\//, '')}</a>` : s.url ? html`<span>${s.url}</span>` : html`<span class="muted">—</span>`}</td>
      <td class="wide-only">${ports(s)}</td>
      <td class="wide-only">${image(s)}</td>
      <td>${usage(s)}</td>
      <td class="row-actions">
        ${button({ label: 'Restart', icon: 'debug-restart', secondary: true, iconOnly: true, disabled: busy, ariaLabel: `Restart ${s.name}`, onClick: () => host.command('env/restart', { service: s.name }) })}
      </td>
    </tr>
    ${open ? logRow(s) : nothing}`;
}

/** Only http(s) URLs become links (never `javascript:` or `data:`). */
function webUrl(url: string | undefined): boolean {
  return !!url && /^https?:\/\//i.test(url);
}

/** Links open through the host (the webview cannot navigate). */
function openLink(ev: Event, service: string): void {
  ev.preventDefault();
  host.command('env/open', { service });
}

function services(e: EnvironmentView): TemplateResult {
  if (e.services.length === 0) {
    return html`<div class="card">${emptyState('package', 'No services', 'This environment runs no containers right now.')}</div>`;
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
        ${e.services.map((s) => serviceRows(e, s))}
      </tbody>
    </table>
  </div>`;
}

function stat(label: string, value: TemplateResult | string, extra?: TemplateResult, tone?: Tone): TemplateResult {
  return html`<div class="stat card ${tone ? `tone-${tone}` : ''}" role="group" aria-label=${label}>
    <div class="stat-label">${label}</div>
    <div class="stat-value">${value}</div>
    ${extra ?? nothing}
  </div>`;
}

function stats(e: EnvironmentView): TemplateResult {
  const healthy = e.services.filter((s) => s.state === 'running' && s.health !== 'unhealthy').length;
  const total = e.services.length;
  const left = e.expiresAt ? Date.parse(e.expiresAt) - Date.now() : undefined;
  const ttlTone: Tone | undefined = left === undefined ? undefined : left <= 0 ? 'error' : left < 60 * 60_000 ? 'warn' : undefined;
  const ttl =
    left === undefined
      ? html`<span class="muted">No expiry</span>`
      : left <= 0
        ? html`<span class="state-icon">${icon('clock')}</span> Expired`
        : html`<time datetime=${e.expiresAt ?? ''} title=${`Torn down at ${new Date(Date.parse(e.expiresAt ?? '')).toLocaleString()}`}>${span(left)} left</time>`;
  const op = e.lastOperation;
  return html`<div class="stats">
    ${stat(
      'Services',
      html`${healthy} of ${total} up`,
      html`<div class="stat-sub muted">${total === 0 ? 'none running' : healthy === total ? 'all running and healthy' : `${total - healthy} need attention`}</div>`,
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
    ${stat('Created', timeAgo(e.createdAt, 'unknown'), html`<div class="stat-sub muted">${e.commit ? html`${icon('git-commit')} <code>${e.commit.slice(0, 7)}</code>` : nothing}</div>`)}
    ${stat(
      'Last operation',
      op ? html`${op.op} ${op.status}` : html`<span class="muted">none</span>`,
      op ? html`<div class="stat-sub muted">${timeAgo(op.at)}</div>` : undefined,
      op?.status === 'failed' ? 'error' : undefined,
    )}
  </div>`;
}

function header(e: EnvironmentView): TemplateResult {
  const st = STATUS[e.status] ?? STATUS.absent;
  const hasUrl = e.services.some((s) => s.url);
  const busy = e.status === 'provisioning';
  const live = e.status !== 'absent';
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
      ${e.promoteTo
        ? button({
            label: `Promote to ${e.promoteTo}`,
            icon: 'rocket',
            secondary: true,
            disabled: e.status !== 'running',
            title: e.status === 'running' ? `Run the ${e.promoteTo} gates and promote` : 'Only a running environment can be promoted',
            onClick: () => host.command('env/promote', {}),
          })
        : nothing}
      ${button({ label: 'Tear Down', icon: 'trash', secondary: true, disabled: !live, title: 'Remove every container, network and volume of this environment', onClick: () => host.command('env/teardown', {}) })}
    </div>
  </header>`;
}

function view(): TemplateResult {
  if (!env) return loading('the environment');
  const e = env;
  if (e.status === 'absent') {
    return html`${header(e)}${emptyState('circle-slash', 'This environment does not exist', html`Nothing runs for <strong>${e.branch}</strong>. Bring it up with <em>Slipway: Up</em>.`)}`;
  }
  const failed = e.lastOperation?.status === 'failed' && e.lastOperation.error;
  return html`${e.status === 'provisioning' ? html`<vscode-progress-bar indeterminate aria-label="Provisioning"></vscode-progress-bar>` : nothing}
    ${header(e)}
    ${failed ? html`<div class="banner tone-error" role="alert">${icon('error', 'state-icon')} <span><strong>${e.lastOperation?.op} failed:</strong> ${e.lastOperation?.error}</span></div>` : nothing}
    ${stats(e)}
    <section aria-labelledby="services-title">
      <div class="section-head"><h2 id="services-title">Services <vscode-badge variant="counter">${e.services.length}</vscode-badge></h2></div>
      ${services(e)}
    </section>`;
}

const styles = css`
  .stats {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(180px, 1fr));
    gap: 10px;
    margin-bottom: 24px;
  }
  .stat {
    padding: 10px 12px;
    display: grid;
    gap: 4px;
    align-content: start;
  }
  .stat + .stat {
    margin-top: 0;
  }
  .stat.tone-warn,
  .stat.tone-error {
    border-left: 3px solid var(--c);
  }
  .stat-label {
    font-size: 11px;
    text-transform: uppercase;
    letter-spacing: 0.04em;
    color: var(--sw-muted);
  }
  .stat-value {
    font-size: 18px;
    font-weight: 600;
    display: flex;
    align-items: center;
    gap: 6px;
  }
  .stat-sub {
    display: flex;
    align-items: center;
    gap: 6px;
    min-height: 26px;
  }
  .banner {
    display: flex;
    gap: 8px;
    align-items: flex-start;
    padding: 8px 12px;
    margin-bottom: 16px;
    border: 1px solid var(--vscode-inputValidation-errorBorder, var(--sw-error));
    background: var(--vscode-inputValidation-errorBackground, transparent);
    border-radius: var(--sw-radius);
    overflow-wrap: anywhere;
  }
  td .name strong {
    font-weight: 600;
  }
  .row-actions {
    text-align: right;
    white-space: nowrap;
  }
  .usage {
    display: grid;
    gap: 6px;
  }
  /* A narrow panel (a split editor, a small window): ports and image move into the expanded row,
     so the row's own actions stay in view without scrolling. */
  .services {
    container: services / inline-size;
  }
  .details {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 4px 12px;
    margin: 0 0 8px;
  }
  .details dt {
    color: var(--sw-muted);
  }
  .details dd {
    margin: 0;
  }
  .narrow-only {
    display: none;
  }
  .pills {
    display: flex;
    flex-direction: column;
    align-items: flex-start;
    gap: 4px;
  }
  .narrowest-only {
    display: none;
  }
  @container services (max-width: 760px) {
    .wide-only {
      display: none;
    }
    .narrow-only {
      display: grid;
    }
  }
  /* Narrower still: health under the state, and the meters give way. */
  @container services (max-width: 600px) {
    .health-col {
      display: none;
    }
    .narrowest-only {
      display: inline;
    }
    .services .meter {
      min-width: 80px;
    }
    .services .meter .figures,
    .services th {
      white-space: normal;
    }
  }
  .logs-row > td {
    background: var(--vscode-editor-background);
    padding: 8px 10px 12px 30px;
  }
  .log-actions {
    display: flex;
    align-items: center;
    gap: 10px;
    margin-top: 8px;
  }
  .error-text {
    color: var(--vscode-errorForeground);
  }
`;

const app = mount(view, [styles], () => !env);

host
  .on('env/state', (state) => {
    env = state;
    // Fetched lines belong to the services as they were; a new state brings its own tail.
    for (const name of [...fetched.keys()]) if (!state.services.some((s) => s.name === name)) fetched.delete(name);
    app.update();
  })
  .ready();
