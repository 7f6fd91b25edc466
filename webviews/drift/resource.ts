/** One drifted resource: its properties, declared beside actual with the differing part marked, and its Reapply and Accept. */
import { html, nothing, type TemplateResult } from 'lit';
import type { DriftPropertyView, DriftResourceView, DriftSource } from '../protocol';
import { diffParts } from '../shared/format';
import type { Host } from '../shared/host';
import { button, icon, pill } from '../shared/ui';
import { kindLabel, resourceKindOf, type ResourceKind } from '../../environments/kinds';

export type Filter = 'all' | DriftSource;

export interface UiState {
  filter: Filter;
  /** Resources folded away, by urn. */
  collapsed: string[];
}

const KIND_ICON: Record<ResourceKind, string> = {
  container: 'package',
  network: 'type-hierarchy',
  volume: 'database',
  image: 'file-binary',
  password: 'key',
  'swarm-service': 'server-environment',
};
export const SOURCE: Record<DriftSource, { text: string; title: string }> = {
  reality: { text: 'changed outside Slipway', title: 'The real Docker object differs from what Slipway recorded' },
  spec: { text: 'spec changed', title: 'slipway.yaml differs from what runs: the next up would change this' },
};

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

export function resourceCard(
  host: Host<UiState>,
  update: () => void,
  r: DriftResourceView,
  busy: boolean,
): TemplateResult {
  const open = !host.uiState.collapsed.includes(r.urn);
  const id = `res-${r.urn.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const toggle = () => {
    const set = new Set(host.uiState.collapsed);
    if (open) set.add(r.urn);
    else set.delete(r.urn);
    host.saveUiState({ collapsed: [...set] });
    update();
  };
  const n = r.properties.length;
  const kind = resourceKindOf(r.type);
  const type = kindLabel(r.type);
  return html`<article class="card resource" aria-label=${`${type} ${r.name}`}>
    <div class="res-head">
      <button class="toggle" aria-expanded=${open ? 'true' : 'false'} aria-controls=${id} @click=${toggle}>
        ${icon(open ? 'chevron-down' : 'chevron-right')} ${icon(kind ? KIND_ICON[kind] : 'symbol-misc')}
        <h3>${r.name}</h3>
      </button>
      <span class="muted">${type}</span>
      <span title=${SOURCE[r.source]?.title ?? ''}
        >${pill(SOURCE[r.source]?.text ?? r.source, r.source === 'reality' ? 'warn' : 'info')}</span
      >
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
        title: r.remedies.includes('accept')
          ? `Record what runs for ${r.name} as its state`
          : 'A spec change cannot be accepted: change slipway.yaml or reapply',
        onClick: () => host.command('drift/accept', { resource: r.urn }),
      })}
    </div>
    ${
      open
        ? html`<div id=${id} class="res-body">
            <table aria-label=${`Differences of ${r.name}`}>
              <colgroup>
                <col class="c-prop" />
                <col />
                <col />
              </colgroup>
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
        : nothing
    }
  </article>`;
}
