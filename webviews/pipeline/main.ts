/** The pipeline view: wires the host's `pipeline/state`, `gates/running` and `gates/progress` through `state.ts` into the stage graph and the promotion shown. */
import { html, nothing, type TemplateResult } from 'lit';
import type { PipelineView, PromotionView } from '../protocol';
import { Host } from '../shared/host';
import { emptyState, icon, loading, mount } from '../shared/ui';
import type { PipelineContext, UiState } from './context';
import { graph } from './graph';
import { pipelineStyles } from './pipeline.css';
import { promotionPanel } from './promotion';
import { allPass, initialState, promotionKey, reduce, type PipelineAction, type PipelineState } from './state';

const host = new Host<UiState>('pipeline', { expanded: [] });
let state: PipelineState = initialState;

function dispatch(action: PipelineAction): void {
  state = reduce(state, action);
  app.update();
}

const ctx: PipelineContext = {
  host,
  select(key) {
    host.saveUiState({ selected: key });
    app.update();
  },
  toggleGate(key) {
    const set = new Set(host.uiState.expanded);
    if (set.has(key)) set.delete(key);
    else set.add(key);
    host.saveUiState({ expanded: [...set] });
    app.update();
  },
};

/**
 * The promotion shown: the one chosen, else the first whose gates do not all pass, which then
 * stays chosen (so a live update that makes its gates pass does not switch the view away).
 */
function selectedPromotion(p: PipelineView): PromotionView | undefined {
  const sel = host.uiState.selected;
  const chosen = p.promotions.find((x) => promotionKey(x) === sel);
  if (chosen) return chosen;
  const first = p.promotions.find((x) => !allPass(x)) ?? p.promotions[0];
  if (first) host.saveUiState({ selected: promotionKey(first) });
  return first;
}

function view(): TemplateResult {
  const p = state.pipeline;
  if (!p) return loading('the pipeline');
  const sel = selectedPromotion(p);
  const promoting = p.promotions.some((x) => x.promoting);
  return html`${promoting ? html`<vscode-progress-bar indeterminate aria-label="Promoting"></vscode-progress-bar>` : nothing}
    <header class="header">
      <div>
        <div class="title">
          ${icon('rocket')}
          <h1>Pipeline</h1>
        </div>
        <div class="meta">
          <span title="Project">${icon('project')} ${p.project}</span>
          <span title="Branch">${icon('git-branch')} ${p.branch}</span>
          ${
            p.commit
              ? html`<span title="Commit">${icon('git-commit')} <code>${p.commit.slice(0, 7)}</code></span
                  >${p.commit.endsWith('+dirty') ? html` <span title="Built from uncommitted changes: commit, then preview again, to promote it">dirty</span>` : nothing}`
              : nothing
          }
        </div>
      </div>
    </header>
    ${
      p.stages.length < 2
        ? emptyState(
            'rocket',
            'No pipeline',
            'The spec declares no stage to promote to. Add a pipeline to slipway.yaml.',
          )
        : html`${graph(ctx, p, sel)} ${sel ? promotionPanel(ctx, sel) : nothing}`
    }
    <div class="visually-hidden" role="status" aria-live="polite">${state.announcement}</div>`;
}

const app = mount(view, [pipelineStyles], () => !state.pipeline);

host
  .on('pipeline/state', (params) => dispatch({ type: 'notification', method: 'pipeline/state', params }))
  .on('gates/running', (params) => dispatch({ type: 'notification', method: 'gates/running', params }))
  .on('gates/progress', (params) => dispatch({ type: 'notification', method: 'gates/progress', params }))
  .ready();
