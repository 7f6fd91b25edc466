/**
 * Drift: per resource, what was declared beside what runs, the differing part highlighted; the
 * time of the last check; Reapply (make reality match) and Accept (take reality in) per
 * resource and for all.
 */
import { css, html, nothing, type TemplateResult } from 'lit';
import type { DriftPropertyView, DriftResourceView, DriftSource, DriftView } from '../protocol';
import { diffParts } from '../shared/format';
import { Host } from '../shared/host';
import { button, emptyState, icon, loading, mount, pill, tabs, timeAgo } from '../shared/ui';

type Filter = 'all' | DriftSource;

interface UiState {
  filter: Filter;
  /** Resources folded away, by urn. */
  collapsed: string[];
}

const TYPE_ICON: Record<string, string> = { container: 'package', network: 'type-hierarchy', volume: 'database', image: 'file-binary' };
const SOURCE: Record<DriftSource, { text: string; title: string }> = {
  reality: { text: 'changed outside Slipway', title: 'The real Docker object differs from what Slipway recorded' },
  spec: { text: 'spec changed', title: 'slipway.yaml differs from what runs: the next up would change this' },
};

const host = new Host<UiState>('drift', { filter: 'all', collapsed: [] });
let drift: DriftView | undefined;

/** The value with only the changed part marked (`<mark>`), as text. */
function highlighted(value: string, other: string, side: 'declared' | 'actual'): TemplateResult {
  if (value === '') return html`<span class="muted">(empty)</span>`;
  const d = side === 'declared' ? diffParts(value, other) : diffParts(other, value);
  const changed = side === 'declared' ? d.a : d.b;
  // A tiny shared start or end (one character of "running"/"exited") reads as noise: mark it all.
  if (d.prefix.length + d.suffix.length < 3) return html`<mark class=${side}>${value}</mark>`;
  return html`${d.prefix}${changed ? html`<mark class=${side}>${changed}</mark>` : nothing}${d.suffix}`;
}

function propertyRow(p: DriftPropertyView): TemplateResult {
  return html`<tr class="row">
    <th scope="row" class="prop"><code>${p.path}</code></th>
    <td class="val declared-cell"><span class="mono">${highlighted(p.declared, p.actual, 'declared')}</span></td>
    <td class="val actual-cell"><span class="mono">${highlighted(p.actual, p.declared, 'actual')}</span></td>
  </tr>`;
}

function resourceCard(r: DriftResourceView, busy: boolean): TemplateResult {
  const open = !host.uiState.collapsed.includes(r.urn);
  const id = `res-${r.urn.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const toggle = () => {
    const set = new Set(host.uiState.collapsed);
    if (open) set.add(r.urn);
    else set.delete(r.urn);
    host.saveUiState({ collapsed: [...set] });
    app.update();
  };
  const n = r.properties.length;
  return html`<article class="card resource" aria-label=${`${r.type} ${r.name}`}>
    <div class="res-head">
      <button class="toggle" aria-expanded=${open ? 'true' : 'false'} aria-controls=${id} @click=${toggle}>
        ${icon(open ? 'chevron-down' : 'chevron-right')} ${icon(TYPE_ICON[r.type] ?? 'symbol-misc')}
        <h3>${r.name}</h3>
      </button>
      <span class="muted">${r.type}</span>
      <span title=${SOURCE[r.source]?.title ?? ''}>${pill(SOURCE[r.source]?.text ?? r.source, r.source === 'reality' ? 'warn' : 'info')}</span>
      <span class="muted count">${n} difference${n === 1 ? '' : 's'}</span>
      <span class="spacer"></span>
      ${button({
        label: 'Reapply',
        icon: 'debug-restart',
        secondary: true,
        disabled: busy || !r.remedies.includes('reapply'),
        ariaLabel: `Reapply ${r.name}`,
        title: `Recreate ${r.name} as declared`,
        onClick: () => host.command('drift/reapply', { resource: r.urn }),
      })}
      ${button({
        label: 'Accept',
        icon: 'check',
        secondary: true,
        disabled: busy || !r.remedies.includes('accept'),
        ariaLabel: `Accept ${r.name}`,
        title: r.remedies.includes('accept') ? `Record what runs for ${r.name} as its state` : 'A spec change cannot be accepted: change slipway.yaml or reapply',
        onClick: () => host.command('drift/accept', { resource: r.urn }),
      })}
    </div>
    ${open
      ? html`<div id=${id} class="res-body">
          <table aria-label=${`Differences of ${r.name}`}>
            <colgroup><col class="c-prop" /><col /><col /></colgroup>
            <thead>
              <tr>
                <th scope="col">Property</th>
                <th scope="col">${icon('file-code')} Declared</th>
                <th scope="col">${icon('vm')} Actual</th>
              </tr>
            </thead>
            <tbody>
              ${r.properties.map(propertyRow)}
            </tbody>
          </table>
        </div>`
      : nothing}
  </article>`;
}

function view(): TemplateResult {
  if (!drift) return loading('the drift check');
  const d = drift;
  const busy = !!d.busy;
  const count = d.resources.length;
  const filter = host.uiState.filter;
  const shown = filter === 'all' ? d.resources : d.resources.filter((r) => r.source === filter);
  const ofSource = (s: DriftSource) => d.resources.filter((r) => r.source === s).length;
  const status = !d.checkedAt ? pill('Not checked', 'muted', 'question') : count === 0 ? pill('No drift', 'ok', 'pass-filled') : pill(`${count} drifted`, 'warn', 'diff');
  const check = button({ label: busy ? 'Checking…' : 'Check now', icon: 'refresh', secondary: true, disabled: busy, onClick: () => host.command('drift/check', {}) });
  const canAll = (remedy: 'reapply' | 'accept') => !busy && d.resources.some((r) => r.remedies.includes(remedy));
  return html`${busy ? html`<vscode-progress-bar indeterminate aria-label="Checking drift"></vscode-progress-bar>` : nothing}
    <header class="header">
      <div>
        <div class="title">
          ${icon('diff')}
          <h1>Drift</h1>
          <span role="status" aria-label=${`Drift: ${!d.checkedAt ? 'not checked' : count === 0 ? 'none' : `${count} resources drifted`}`}>${status}</span>
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
    ${count === 0
      ? d.checkedAt
        ? emptyState('pass-filled', 'No drift', html`What runs matches what was declared. Checked ${timeAgo(d.checkedAt)}.`, undefined, 'ok')
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
            ${shown.length === 0 ? emptyState('filter', 'Nothing here', 'No resource has drift of this kind.') : shown.map((r) => resourceCard(r, busy))}
          </div>`}`;
}

const styles = css`
  .resource {
    overflow: hidden;
  }
  .res-head {
    display: flex;
    align-items: center;
    flex-wrap: wrap;
    gap: 8px;
    padding: 8px 12px;
  }
  .res-head h3 {
    display: inline;
    overflow-wrap: anywhere;
  }
  .spacer {
    flex: 1;
  }
  .count {
    font-size: 12px;
  }
  .res-body {
    border-top: 1px solid var(--sw-border);
  }
  .res-body table {
    table-layout: fixed;
  }
  .res-body th {
    background: transparent;
  }
  .c-prop {
    width: 22%;
  }
  th.prop {
    text-transform: none;
    letter-spacing: 0;
    font-weight: normal;
    color: var(--vscode-foreground);
    border-bottom: 1px solid var(--sw-border);
    vertical-align: top;
    white-space: normal;
    overflow-wrap: anywhere;
  }
  td.val .mono {
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .declared-cell {
    border-left: 1px solid var(--sw-border);
  }
  .actual-cell {
    border-left: 1px solid var(--sw-border);
  }
  mark {
    color: inherit;
    border-radius: 2px;
    padding: 0 1px;
  }
  mark.declared {
    background: var(--vscode-diffEditor-removedTextBackground);
    outline: 1px dashed var(--vscode-diffEditor-removedTextBorder, transparent);
  }
  mark.actual {
    background: var(--vscode-diffEditor-insertedTextBackground);
    outline: 1px dashed var(--vscode-diffEditor-insertedTextBorder, transparent);
  }
`;

const app = mount(view, [styles], () => !drift);

host
  .on('drift/state', (state) => {
    drift = state;
    app.update();
  })
  .ready();
