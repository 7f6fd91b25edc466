/** The environment dashboard (one panel per environment): wires the host's `env/state` and `env/patch` through `state.ts` into the components. */
import { html, nothing, type TemplateResult } from 'lit';
import { RpcError } from '../rpc';
import { Host } from '../shared/host';
import { emptyState, icon, loading, mount } from '../shared/ui';
import type { DashboardContext, UiState } from './context';
import { dashboardStyles } from './dashboard.css';
import { databases } from './databases';
import { services } from './services';
import { quotaSection, shareSection } from './share';
import { initialState, reduce, type DashboardAction, type DashboardState } from './state';
import { header, stats } from './summary';

/** The lines asked for when a service's log is first shown. */
const TAIL = 20;

const host = new Host<UiState>('dashboard', { expanded: [] });
let state: DashboardState = initialState;

function dispatch(action: DashboardAction): void {
  state = reduce(state, action);
  fetchShownLogs();
  app.update();
}

async function fetchLogs(service: string, lines: number): Promise<void> {
  dispatch({ type: 'logs/loading', service });
  try {
    const result = await host.request('env/logs', { service, lines });
    dispatch({ type: 'logs/loaded', service, lines: result.lines });
  } catch (err) {
    const why =
      RpcError.is(err) && err.reason === 'timeout'
        ? 'Slipway did not answer in time.'
        : err instanceof Error
          ? err.message
          : String(err);
    dispatch({ type: 'logs/failed', service, error: why });
  }
}

/** Logs are read only when shown: an expanded service with no lines yet asks for its tail, once. */
function fetchShownLogs(): void {
  for (const s of state.env?.services ?? []) {
    if (host.uiState.expanded.includes(s.name) && s.logs === undefined && !state.logs.has(s.name))
      void fetchLogs(s.name, TAIL);
  }
}

const ctx: DashboardContext = {
  host,
  get state() {
    return state;
  },
  toggleLogs(name) {
    const open = new Set(host.uiState.expanded);
    if (open.has(name)) open.delete(name);
    else open.add(name);
    host.saveUiState({ expanded: [...open] });
    fetchShownLogs();
    app.update();
  },
  moreLogs: (service) => void fetchLogs(service, 500),
};

function view(): TemplateResult {
  const e = state.env;
  if (!e) return loading('the environment');
  if (e.status === 'absent') {
    return html`${header(ctx, e)}${emptyState('circle-slash', 'This environment does not exist', html`Nothing runs for <strong>${e.branch}</strong>. Bring it up with <em>Slipway: Up</em>.`)}`;
  }
  const failed = e.lastOperation?.status === 'failed' && e.lastOperation.error;
  return html`${e.status === 'provisioning' ? html`<vscode-progress-bar indeterminate aria-label="Provisioning"></vscode-progress-bar>` : nothing}
    ${header(ctx, e)}
    ${
      failed
        ? html`<div class="banner tone-error" role="alert">
            ${icon('error', 'state-icon')}
            <span><strong>${e.lastOperation?.op} failed:</strong> ${e.lastOperation?.error}</span>
          </div>`
        : nothing
    }
    ${stats(ctx, e)} ${shareSection(ctx, e)}
    <section aria-labelledby="services-title">
      <div class="section-head">
        <h2 id="services-title">Services <vscode-badge variant="counter">${e.services.length}</vscode-badge></h2>
      </div>
      ${services(ctx, e)}
    </section>
    ${databases(ctx, e)} ${quotaSection(ctx, e)}`;
}

const app = mount(view, [dashboardStyles], () => !state.env);

host
  .on('env/state', (params) => dispatch({ type: 'notification', method: 'env/state', params }))
  .on('env/patch', (params) => dispatch({ type: 'notification', method: 'env/patch', params }))
  .ready();
