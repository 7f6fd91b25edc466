/**
 * Drift: per resource, what was declared beside what runs, the differing part highlighted; the
 * time of the last check; Reapply (make reality match) and Accept (take reality in) per
 * resource and for all.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { DriftSource, DriftView } from '../protocol';
import { Host } from '../shared/host';
import { button, emptyState, icon, loading, mount, pill, tabs, timeAgo } from '../shared/ui';
import { driftStyles } from './drift.css';
import { resourceCard, type Filter, type UiState } from './resource';

const host = new Host<UiState>('drift', { filter: 'all', collapsed: [] });
let drift: DriftView | undefined;

function view(): TemplateResult {
  if (!drift) return loading('the drift check');
  const d = drift;
  const busy = !!d.busy;
  const count = d.resources.length;
  const filter = host.uiState.filter;
  const shown = filter === 'all' ? d.resources : d.resources.filter((r) => r.source === filter);
  const ofSource = (s: DriftSource) => d.resources.filter((r) => r.source === s).length;
  const status = !d.checkedAt
    ? pill('Not checked', 'muted', 'question')
    : count === 0
      ? pill('No drift', 'ok', 'pass-filled')
      : pill(`${count} drifted`, 'warn', 'diff');
  const check = button({
    label: busy ? 'Checking…' : 'Check now',
    icon: 'refresh',
    secondary: true,
    disabled: busy,
    onClick: () => host.command('drift/check', {}),
  });
  const canAll = (remedy: 'reapply' | 'accept') => !busy && d.resources.some((r) => r.remedies.includes(remedy));
  return html`${busy ? html`<vscode-progress-bar indeterminate aria-label="Checking drift"></vscode-progress-bar>` : nothing}
    <header class="header">
      <div>
        <div class="title">
          ${icon('diff')}
          <h1>Drift</h1>
          <span
            role="status"
            aria-label=${`Drift: ${!d.checkedAt ? 'not checked' : count === 0 ? 'none' : `${count} resources drifted`}`}
            >${status}</span
          >
        </div>
        <div class="meta">
          <span title="Project">${icon('project')} ${d.project}</span>
          <span title="Branch">${icon('git-branch')} ${d.branch}</span>
          <span title="Environment">${icon('server-environment')} <code>${d.env}</code></span>
          <span>${icon('history')} checked ${timeAgo(d.checkedAt)}</span>
        </div>
      </div>
      <div class="actions" role="toolbar" aria-label="Drift actions">
        ${check}
        ${button({ label: 'Reapply all', icon: 'debug-restart', disabled: !canAll('reapply'), title: 'Recreate every drifted resource as declared', onClick: () => host.command('drift/reapply', {}) })}
        ${button({ label: 'Accept all', icon: 'check-all', secondary: true, disabled: !canAll('accept'), title: 'Record what runs as the state of every drifted resource', onClick: () => host.command('drift/accept', {}) })}
      </div>
    </header>
    ${
      count === 0
        ? d.checkedAt
          ? emptyState(
              'pass-filled',
              'No drift',
              html`What runs matches what was declared. Checked ${timeAgo(d.checkedAt)}.`,
              undefined,
              'ok',
            )
          : emptyState('question', 'Not checked yet', 'Check to compare what runs with what was declared.', check)
        : html`${tabs<Filter>(
              'Filter by source',
              [
                { key: 'all', label: 'All', count },
                { key: 'reality', label: 'Outside Slipway', count: ofSource('reality') },
                { key: 'spec', label: 'Spec', count: ofSource('spec') },
              ],
              filter,
              'resources',
              (f) => {
                host.saveUiState({ filter: f });
                app.update();
              },
            )}
            <div id="resources" role="tabpanel" aria-labelledby=${`tab-resources-${filter}`}>
              ${shown.length === 0 ? emptyState('filter', 'Nothing here', 'No resource has drift of this kind.') : shown.map((r) => resourceCard(host, () => app.update(), r, busy))}
            </div>`
    }`;
}

const app = mount(view, [driftStyles], () => !drift);

host
  .on('drift/state', (state) => {
    drift = state;
    app.update();
  })
  .ready();
