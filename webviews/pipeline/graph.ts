/** The pipeline's stages left to right (what each runs), joined by the promotions between them. */
import { html, nothing, type TemplateResult } from 'lit';
import type { PipelineView, PromotionView, RolloutView, StageView } from '../protocol';
import { icon, pill, timeAgo, type Tone } from '../shared/ui';
import type { PipelineContext } from './context';
import { GATE } from './gates';
import { overall, promotionKey } from './state';

/** A Swarm stage's rollout, a line per service: Swarm's state, and an automatic rollback called one. */
function rolloutList(rollout: RolloutView[] | undefined): TemplateResult | typeof nothing {
  if (!rollout?.length) return nothing;
  return html`<ul class="rollout" aria-label="Rollout">
    ${rollout.map(
      (r) =>
        html`<li class=${r.automatic ? 'rollout-automatic' : ''} title=${r.message ?? r.state}>
          ${icon(r.automatic ? 'warning' : r.state.endsWith('completed') ? 'check' : 'sync')} ${r.service}:
          ${r.state.replace(/_/g, ' ')}${r.automatic ? ' (Swarm rolled the release back by itself)' : ''}
        </li>`,
    )}
  </ul>`;
}

function stageNode(s: StageView, index: number): TemplateResult {
  const r = s.release;
  const statusTone: Tone =
    s.status === 'running'
      ? 'ok'
      : s.status === 'failed'
        ? 'error'
        : s.status === 'degraded' || s.status === 'drifted'
          ? 'warn'
          : 'muted';
  return html`<li class="stage card" aria-label=${`Stage ${index + 1}: ${s.name}`}>
    <div class="stage-head">
      ${icon(index === 0 ? 'git-branch' : 'server-environment')}
      <h3>${s.name}</h3>
      ${s.status ? pill(s.status, statusTone) : nothing}
    </div>
    <div class="stage-body muted">
      ${
        r
          ? html`<div>
                ${icon('tag')} release ${r.number}${r.commit ? html` · <code>${r.commit.slice(0, 7)}</code>` : nothing}
              </div>
              <div>${icon('history')} ${timeAgo(r.at)}${r.by ? html` by ${r.by}` : nothing}</div>
              ${r.data ? html`<div class="release-data" title="The release's data profile">${icon('database')} ${r.data}</div>` : nothing}`
          : index === 0
            ? html`<div>${s.env ? html`<code>${s.env}</code>` : 'the branch environment'}</div>`
            : html`<div>nothing deployed yet</div>`
      }
      ${rolloutList(s.rollout)}
    </div>
  </li>`;
}

function connector(ctx: PipelineContext, p: PromotionView, selected: boolean): TemplateResult {
  const o = GATE[overall(p)];
  const passed = p.gates.filter((g) => g.state === 'pass').length;
  const summary = p.gates.length === 0 ? 'no gates' : `${passed}/${p.gates.length} gates`;
  return html`<li class="connector" role="none">
    <button
      class="edge tone-${o.tone}"
      aria-pressed=${selected ? 'true' : 'false'}
      aria-controls="promotion"
      aria-label=${`Promotion ${p.from} to ${p.to}: ${passed} of ${p.gates.length} gates pass. Show its gates`}
      @click=${() => ctx.select(promotionKey(p))}
    >
      <span class="edge-line"></span>
      <span class="edge-label"
        >${icon(o.icon, `state-icon ${o.icon === 'loading' ? 'codicon-modifier-spin' : ''}`)} ${summary}</span
      >
      <span class="edge-line"></span>${icon('arrow-right', 'edge-arrow')}
    </button>
  </li>`;
}

export function graph(ctx: PipelineContext, p: PipelineView, sel: PromotionView | undefined): TemplateResult {
  const items: TemplateResult[] = [];
  p.stages.forEach((s, i) => {
    if (i > 0) {
      const promo = p.promotions.find((x) => x.from === p.stages[i - 1].name && x.to === s.name);
      if (promo) items.push(connector(ctx, promo, promo === sel));
      else
        items.push(
          html`<li class="connector" role="none">
            <span class="edge-line plain"></span>${icon('arrow-right', 'edge-arrow')}
          </li>`,
        );
    }
    items.push(stageNode(s, i));
  });
  return html`<ol class="graph" aria-label="Stages in promotion order">
    ${items}
  </ol>`;
}
