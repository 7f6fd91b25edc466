/** The dashboard's seeded databases: where each was seeded from (source host, policy, snapshot), rows and when, and its Re-seed button. */
import { html, nothing, type TemplateResult } from 'lit';
import type { DatabaseSeedView, EnvironmentView } from '../protocol';
import { duration } from '../shared/format';
import { button, icon, timeAgo } from '../shared/ui';
import type { DashboardContext } from './context';

function row(ctx: DashboardContext, e: EnvironmentView, d: DatabaseSeedView): TemplateResult {
  const busy = e.status === 'provisioning' || e.status === 'absent';
  return html`<tr class="row">
    <td>${icon('database')} <strong>${d.name}</strong></td>
    <td>
      <code title="The source (never its user or password)">${d.source}</code>
    </td>
    <td>
      <code title=${`sha256 ${d.policyHash}`}>${d.policy}</code>
      <div class="muted nowrap">sha256 ${d.policyHash.slice(0, 12)}</div>
    </td>
    <td>
      ${d.rows.toLocaleString('en')} rows <span class="muted">in ${d.tables} table${d.tables === 1 ? '' : 's'}</span>
    </td>
    <td>
      ${timeAgo(d.at)} <span class="muted nowrap">(${duration(d.durationMs) ?? ''})</span>
      ${d.schedule ? html`<div class="muted" title="Re-seeded on this cron schedule">${icon('calendar')} ${d.schedule}</div>` : nothing}
    </td>
    <td>
      ${d.snapshot ? html`<code title=${d.clone === 'overlay' ? 'The masked snapshot it is layered on (no copy)' : d.clone === 'copy' ? 'The masked snapshot it was copied from' : 'The masked snapshot it was cloned from'}>${d.snapshot}</code>` : html`<span class="muted">masked anew</span>`}
    </td>
    <td class="row-actions">
      ${button({
        label: 'Re-seed',
        icon: 'refresh',
        secondary: true,
        disabled: busy || !d.inSpec || !!e.stage,
        title: e.stage
          ? 'A stage is seeded only by a promotion (seed: same)'
          : d.inSpec
            ? `Clear ${d.name} and fill it again from the snapshot of its source`
            : `slipway.yaml no longer seeds ${d.name}: use slipway data seed --source --policy`,
        ariaLabel: `Re-seed ${d.name}`,
        onClick: () => ctx.host.command('env/reseed', { database: d.name }),
      })}
    </td>
  </tr>`;
}

/** The section, or nothing when no database of the environment was seeded. */
export function databases(ctx: DashboardContext, e: EnvironmentView): TemplateResult | typeof nothing {
  const list = e.databases ?? [];
  if (list.length === 0) return nothing;
  return html`<section aria-labelledby="databases-title">
    <div class="section-head">
      <h2 id="databases-title">Seeded databases <vscode-badge variant="counter">${list.length}</vscode-badge></h2>
    </div>
    <div class="table-wrap databases">
      <table aria-label="Seeded databases">
        <thead>
          <tr>
            <th scope="col">Database</th>
            <th scope="col">Source</th>
            <th scope="col">Masking policy</th>
            <th scope="col">Rows</th>
            <th scope="col">Seeded</th>
            <th scope="col">Snapshot</th>
            <th scope="col"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          ${list.map((d) => row(ctx, e, d))}
        </tbody>
      </table>
    </div>
  </section>`;
}
