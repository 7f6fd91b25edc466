/**
 * The pipeline: its stages left to right, and for each promotion the gates that guard it, with
 * their state, reason, evidence, duration and last run. Gates update live as they finish
 * (`gates/progress`); Promote is enabled only when every gate passes.
 */
import { css, html, nothing, type TemplateResult } from 'lit';
import type { GateEvidence, GateState, GateView, PipelineView, PromotionView, StageView } from '../protocol';
import { duration } from '../shared/format';
import { Host } from '../shared/host';
import { button, emptyState, icon, loading, mount, pill, timeAgo, type Tone } from '../shared/ui';

interface UiState {
  /** The promotion shown, as `from>to`. */
  selected?: string;
  /** Gates whose evidence is shown, as `stage/name`. */
  expanded: string[];
}

const GATE: Record<GateState, { text: string; tone: Tone; icon: string }> = {
  pass: { text: 'Passed', tone: 'ok', icon: 'pass-filled' },
  fail: { text: 'Failed', tone: 'error', icon: 'error' },
  pending: { text: 'Pending', tone: 'warn', icon: 'clock' },
  running: { text: 'Running', tone: 'info', icon: 'loading' },
  error: { text: 'Error', tone: 'error', icon: 'warning' },
  skipped: { text: 'Skipped', tone: 'muted', icon: 'circle-slash' },
};

const KIND_ICON: Record<string, string> = {
  health: 'pulse',
  drift: 'diff',
  command: 'terminal',
  vulnerabilities: 'shield',
  licenses: 'law',
  coverage: 'beaker',
  approval: 'person',
  window: 'calendar',
  checks: 'github',
};

const host = new Host<UiState>('pipeline', { expanded: [] });
let pipeline: PipelineView | undefined;
/** The last live change, read out by screen readers. */
let announcement = '';

const key = (p: PromotionView) => `${p.from}>${p.to}`;
const gateKey = (g: GateView) => `${g.stage}/${g.name}`;
const allPass = (p: PromotionView) => p.gates.every((g) => g.state === 'pass');
const promotable = (p: PromotionView) => p.canPromote && !p.promoting && allPass(p);

/**
 * The promotion shown: the one chosen, else the first whose gates do not all pass, which then
 * stays chosen (so a live update that makes its gates pass does not switch the view away).
 */
function selectedPromotion(p: PipelineView): PromotionView | undefined {
  const sel = host.uiState.selected;
  const chosen = p.promotions.find((x) => key(x) === sel);
  if (chosen) return chosen;
  const first = p.promotions.find((x) => !allPass(x)) ?? p.promotions[0];
  if (first) host.saveUiState({ selected: key(first) });
  return first;
}

/** The state a promotion's gates add up to: the worst one wins. */
function overall(p: PromotionView): GateState {
  const order: GateState[] = ['error', 'fail', 'running', 'pending', 'skipped', 'pass'];
  for (const s of order) if (p.gates.some((g) => g.state === s)) return s;
  return 'pass';
}

function stageNode(s: StageView, index: number): TemplateResult {
  const r = s.release;
  const statusTone: Tone = s.status === 'running' ? 'ok' : s.status === 'failed' ? 'error' : s.status === 'degraded' || s.status === 'drifted' ? 'warn' : 'muted';
  return html`<li class="stage card" aria-label=${`Stage ${index + 1}: ${s.name}`}>
    <div class="stage-head">
      ${icon(index === 0 ? 'git-branch' : 'server-environment')}
      <h3>${s.name}</h3>
      ${s.status ? pill(s.status, statusTone) : nothing}
    </div>
    <div class="stage-body muted">
      ${r
        ? html`<div>${icon('tag')} release ${r.number}${r.commit ? html` · <code>${r.commit.slice(0, 7)}</code>` : nothing}</div>
            <div>${icon('history')} ${timeAgo(r.at)}${r.by ? html` by ${r.by}` : nothing}</div>`
        : index === 0
          ? html`<div>${s.env ? html`<code>${s.env}</code>` : 'the branch environment'}</div>`
          : html`<div>nothing deployed yet</div>`}
    </div>
  </li>`;
}

function connector(p: PromotionView, selected: boolean): TemplateResult {
  const o = GATE[overall(p)];
  const passed = p.gates.filter((g) => g.state === 'pass').length;
  const summary = p.gates.length === 0 ? 'no gates' : `${passed}/${p.gates.length} gates`;
  return html`<li class="connector" role="none">
    <button
      class="edge tone-${o.tone}"
      aria-pressed=${selected ? 'true' : 'false'}
      aria-controls="promotion"
      aria-label=${`Promotion ${p.from} to ${p.to}: ${passed} of ${p.gates.length} gates pass. Show its gates`}
      @click=${() => {
        host.saveUiState({ selected: key(p) });
        app.update();
      }}
    >
      <span class="edge-line"></span>
      <span class="edge-label">${icon(o.icon, `state-icon ${o.icon === 'loading' ? 'codicon-modifier-spin' : ''}`)} ${summary}</span>
      <span class="edge-line"></span>${icon('arrow-right', 'edge-arrow')}
    </button>
  </li>`;
}

function graph(p: PipelineView, sel: PromotionView | undefined): TemplateResult {
  const items: TemplateResult[] = [];
  p.stages.forEach((s, i) => {
    if (i > 0) {
      const promo = p.promotions.find((x) => x.from === p.stages[i - 1].name && x.to === s.name);
      if (promo) items.push(connector(promo, promo === sel));
      else items.push(html`<li class="connector" role="none"><span class="edge-line plain"></span>${icon('arrow-right', 'edge-arrow')}</li>`);
    }
    items.push(stageNode(s, i));
  });
  return html`<ol class="graph" aria-label="Stages in promotion order">
    ${items}
  </ol>`;
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v, null, 2) ?? '';
}

const SHOWN = new Set(['outputTail', 'counts', 'approvers', 'required', 'timezone', 'localTime', 'allow', 'freeze', 'nextOpening']);

function evidence(g: GateView): TemplateResult {
  const e: GateEvidence = g.evidence ?? {};
  const parts: TemplateResult[] = [];
  if (e.counts && typeof e.counts === 'object') {
    parts.push(html`<div class="ev-row"><span class="ev-key">Counts</span>
      <span class="chips">${Object.entries(e.counts).map(([k, n]) => html`<span class="chip ${Number(n) > 0 ? 'nonzero' : ''}">${k} <strong>${text(n)}</strong></span>`)}</span></div>`);
  }
  if (Array.isArray(e.approvers)) {
    parts.push(html`<div class="ev-row"><span class="ev-key">Approvers</span>
      <span>${e.approvers.length === 0
        ? html`<span class="muted">none yet</span>`
        : html`<ul class="approvers">${e.approvers.map((a) => html`<li>${icon('person')} ${text(a.approver)} <span class="muted">· ${timeAgo(a.at)}</span>${a.comment ? html` <span class="muted">“${text(a.comment)}”</span>` : nothing}</li>`)}</ul>`}
      ${e.required !== undefined ? html`<div class="muted">${e.approvers.length} of ${text(e.required)} required</div>` : nothing}</span></div>`);
  } else if (e.required !== undefined) {
    parts.push(html`<div class="ev-row"><span class="ev-key">Required</span><span>${text(e.required)}</span></div>`);
  }
  if (e.timezone !== undefined || e.allow !== undefined || e.freeze !== undefined) {
    const f = e.freeze;
    parts.push(html`<div class="ev-row"><span class="ev-key">Window</span><span>
      ${e.localTime !== undefined ? html`<div>${icon('clock')} ${text(e.localTime)} ${e.timezone !== undefined ? html`<span class="muted">(${text(e.timezone)})</span>` : nothing}</div>` : nothing}
      ${Array.isArray(e.allow) ? html`<div>Allowed: ${e.allow.length === 0 ? 'any time' : e.allow.map(text).join(', ')}</div>` : nothing}
      ${f && typeof f === 'object' ? html`<div>Frozen ${text(f.from)} → ${text(f.to)}${f.reason ? html` <span class="muted">(${text(f.reason)})</span>` : nothing}</div>` : nothing}
      ${e.nextOpening && typeof e.nextOpening === 'object' ? html`<div>Next opening: ${text(e.nextOpening.local)}</div>` : nothing}
    </span></div>`);
  }
  for (const [k, v] of Object.entries(e)) {
    if (SHOWN.has(k) || v === undefined) continue;
    const t = text(v);
    parts.push(html`<div class="ev-row"><span class="ev-key">${k}</span>${t.includes('\n') ? html`<pre class="log">${t}</pre>` : html`<span class="mono ev-val">${t}</span>`}</div>`);
  }
  if (typeof e.outputTail === 'string' && e.outputTail !== '') {
    parts.push(html`<div class="ev-row col"><span class="ev-key">Output (last lines)</span><pre class="log" tabindex="0" aria-label=${`Output of ${g.name}`}>${e.outputTail}</pre></div>`);
  }
  if (parts.length === 0) return html`<div class="muted">No evidence recorded.</div>`;
  return html`${parts}`;
}

function gateRow(g: GateView): TemplateResult {
  const s = GATE[g.state] ?? GATE.error;
  const k = gateKey(g);
  const open = host.uiState.expanded.includes(k);
  const id = `evidence-${k.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const toggle = () => {
    const set = new Set(host.uiState.expanded);
    if (open) set.delete(k);
    else set.add(k);
    host.saveUiState({ expanded: [...set] });
    app.update();
  };
  return html`<li class="gate card tone-${s.tone}" aria-label=${`Gate ${g.name}: ${s.text}`}>
    <div class="gate-main">
      <span class="gate-icon state-icon" title=${s.text}>${icon(s.icon, s.icon === 'loading' ? 'codicon-modifier-spin' : '')}</span>
      <div class="gate-text">
        <div class="gate-title">
          <h3>${g.name}</h3>
          <span class="kind">${icon(KIND_ICON[g.kind] ?? 'circle-large-outline')} ${g.kind}</span>
          ${pill(s.text, s.tone)}
        </div>
        <div class="reason">${g.reason}</div>
        <div class="gate-meta muted">
          ${g.durationMs !== undefined ? html`<span>${icon('watch')} ${duration(g.durationMs)}</span>` : nothing}
          <span>${icon('history')} ${g.startedAt ? html`ran ${timeAgo(g.startedAt)}` : 'never run'}</span>
          <button class="toggle" aria-expanded=${open ? 'true' : 'false'} aria-controls=${id} @click=${toggle}>
            ${icon(open ? 'chevron-down' : 'chevron-right')} ${open ? 'Hide evidence' : 'Show evidence'}<span class="visually-hidden"> of ${g.name}</span>
          </button>
        </div>
      </div>
      <div class="gate-actions">
        ${g.kind === 'approval' && g.state !== 'pass'
          ? button({ label: 'Approve', icon: 'check', ariaLabel: `Approve promotion to ${g.stage} (${g.name})`, onClick: () => host.command('gates/approve', { stage: g.stage, gate: g.name }) })
          : nothing}
        ${button({
          label: 'Re-run',
          icon: 'refresh',
          secondary: true,
          disabled: g.state === 'running',
          ariaLabel: `Re-run gate ${g.name}`,
          onClick: () => host.command('gates/rerun', { stage: g.stage, gate: g.name }),
        })}
      </div>
    </div>
    ${open ? html`<div class="evidence" id=${id} role="region" aria-label=${`Evidence of ${g.name}`}>${evidence(g)}</div>` : nothing}
  </li>`;
}

function promotionPanel(p: PromotionView): TemplateResult {
  const counts = new Map<GateState, number>();
  for (const g of p.gates) counts.set(g.state, (counts.get(g.state) ?? 0) + 1);
  const passed = counts.get('pass') ?? 0;
  const blocking = p.gates.length - passed;
  const running = p.gates.some((g) => g.state === 'running');
  const why = p.promoting
    ? `Promoting to ${p.to}…`
    : !p.canPromote
      ? (p.blockedReason ?? `Promotion to ${p.to} is not possible right now.`)
      : blocking > 0
        ? `Promotion needs every gate to pass: ${[...counts].filter(([s]) => s !== 'pass').map(([s, n]) => `${n} ${GATE[s]?.text.toLowerCase() ?? s}`).join(', ')}.`
        : p.gates.length === 0
          ? `No gates guard ${p.to}.`
          : 'All gates pass.';
  return html`<section id="promotion" class="promotion" aria-labelledby="promotion-title">
    <div class="section-head">
      <div>
        <h2 id="promotion-title">${p.from} ${icon('arrow-right')} ${p.to}</h2>
        <div class="muted summary">${p.gates.length === 0 ? 'No gates' : `${passed} of ${p.gates.length} gates pass`}</div>
      </div>
      <div class="actions">
        ${button({ label: 'Re-run all', icon: 'refresh', secondary: true, disabled: running || p.gates.length === 0, ariaLabel: `Re-run all gates of ${p.to}`, onClick: () => host.command('gates/rerun', { stage: p.to }) })}
        ${button({ label: `Promote to ${p.to}`, icon: 'rocket', disabled: !promotable(p), title: why, onClick: () => host.command('pipeline/promote', { to: p.to }) })}
      </div>
    </div>
    <div class="why ${promotable(p) ? 'tone-ok' : blocking > 0 ? 'tone-warn' : 'tone-muted'}" id="promote-why">${icon(promotable(p) ? 'pass-filled' : 'info', 'state-icon')} ${why}</div>
    ${p.gates.length === 0
      ? emptyState('pass', 'No gates', `Nothing guards promotion into ${p.to}.`)
      : html`<ul class="gates" aria-label=${`Gates of ${p.to}`}>
          ${p.gates.map(gateRow)}
        </ul>`}
  </section>`;
}

function view(): TemplateResult {
  if (!pipeline) return loading('the pipeline');
  const p = pipeline;
  const sel = selectedPromotion(p);
  const promoting = p.promotions.some((x) => x.promoting);
  return html`${promoting ? html`<vscode-progress-bar indeterminate aria-label="Promoting"></vscode-progress-bar>` : nothing}
    <header class="header">
      <div>
        <div class="title">${icon('rocket')}<h1>Pipeline</h1></div>
        <div class="meta">
          <span title="Project">${icon('project')} ${p.project}</span>
          <span title="Branch">${icon('git-branch')} ${p.branch}</span>
          ${p.commit ? html`<span title="Commit">${icon('git-commit')} <code>${p.commit.slice(0, 7)}</code></span>` : nothing}
        </div>
      </div>
    </header>
    ${p.stages.length < 2
      ? emptyState('rocket', 'No pipeline', 'The spec declares no stage to promote to. Add a pipeline to slipway.yaml.')
      : html`${graph(p, sel)} ${sel ? promotionPanel(sel) : nothing}`}
    <div class="visually-hidden" role="status" aria-live="polite">${announcement}</div>`;
}

const styles = css`
  .graph {
    list-style: none;
    margin: 0 0 24px;
    padding: 0;
    display: flex;
    align-items: stretch;
    overflow-x: auto;
    padding-bottom: 4px;
  }
  .stage {
    flex: 1 1 0;
    min-width: 150px;
    padding: 10px 12px;
  }
  .stage + .stage,
  .card + .card.stage {
    margin-top: 0;
  }
  .stage-head {
    display: flex;
    align-items: center;
    gap: 6px;
    margin-bottom: 6px;
  }
  .stage-head h3 {
    flex: 1;
    text-transform: capitalize;
  }
  .stage-body {
    display: grid;
    gap: 2px;
    font-size: 12px;
  }
  .connector {
    flex: 0 0 132px;
    display: flex;
    align-items: center;
  }
  .edge {
    display: flex;
    align-items: center;
    width: 100%;
    padding: 4px 2px;
    background: none;
    border: 1px solid transparent;
    border-radius: var(--sw-radius);
    color: var(--vscode-foreground);
    font: inherit;
    cursor: pointer;
  }
  .edge:hover {
    background: var(--vscode-toolbar-hoverBackground);
  }
  .edge[aria-pressed='true'] {
    border-color: var(--vscode-focusBorder);
    background: var(--vscode-list-inactiveSelectionBackground, transparent);
  }
  .edge-line {
    flex: 1;
    height: 2px;
    min-width: 8px;
    background: var(--c, var(--sw-border));
    opacity: 0.7;
  }
  .edge-line.plain {
    background: var(--sw-border);
  }
  .edge-label {
    display: inline-flex;
    align-items: center;
    gap: 4px;
    padding: 0 6px;
    font-size: 12px;
    white-space: nowrap;
  }
  .edge-arrow {
    color: var(--c, var(--sw-muted));
    margin-left: -6px;
  }
  .summary {
    margin-top: 2px;
  }
  .promotion h2 {
    display: flex;
    align-items: center;
    gap: 6px;
  }
  .why {
    display: flex;
    align-items: center;
    gap: 6px;
    margin: 4px 0 12px;
  }
  .gates {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  .gate {
    border-left: 3px solid var(--c);
  }
  .gate-main {
    display: flex;
    gap: 10px;
    padding: 10px 12px;
    align-items: flex-start;
  }
  .gate-icon {
    font-size: 18px;
    line-height: 20px;
  }
  .gate-icon .codicon {
    font-size: 18px;
  }
  .gate-text {
    flex: 1;
    min-width: 0;
    display: grid;
    gap: 3px;
  }
  .gate-title {
    display: flex;
    align-items: center;
    gap: 8px;
    flex-wrap: wrap;
  }
  .kind {
    display: inline-flex;
    align-items: center;
    gap: 3px;
    font-size: 12px;
    color: var(--sw-muted);
  }
  .reason {
    overflow-wrap: anywhere;
  }
  .gate-meta {
    display: flex;
    flex-wrap: wrap;
    gap: 4px 14px;
    font-size: 12px;
    align-items: center;
  }
  .gate-meta > span {
    display: inline-flex;
    align-items: center;
    gap: 4px;
  }
  .gate-actions {
    display: flex;
    gap: 6px;
    flex-shrink: 0;
  }
  .evidence {
    display: grid;
    gap: 8px;
    padding: 10px 12px 12px 40px;
    border-top: 1px solid var(--sw-border);
  }
  .ev-row {
    display: grid;
    grid-template-columns: 140px 1fr;
    gap: 8px;
    align-items: start;
  }
  .ev-row.col {
    grid-template-columns: 1fr;
    gap: 4px;
  }
  .ev-key {
    color: var(--sw-muted);
    overflow-wrap: anywhere;
  }
  .ev-val {
    overflow-wrap: anywhere;
    white-space: pre-wrap;
  }
  .chips {
    display: flex;
    flex-wrap: wrap;
    gap: 6px;
  }
  .chip {
    padding: 0 6px;
    border-radius: 3px;
    border: 1px solid var(--sw-border);
    font-size: 12px;
  }
  .chip.nonzero {
    border-color: var(--sw-error);
  }
  .approvers {
    list-style: none;
    margin: 0;
    padding: 0;
  }
`;

const app = mount(view, [styles], () => !pipeline);

host
  .on('pipeline/state', (state) => {
    pipeline = state;
    app.update();
  })
  .on('gates/progress', ({ gate }) => {
    if (!pipeline) return;
    const promo = pipeline.promotions.find((p) => p.to === gate.stage);
    if (!promo) return;
    const i = promo.gates.findIndex((g) => g.name === gate.name);
    const gates = i < 0 ? [...promo.gates, gate] : promo.gates.map((g, j) => (j === i ? gate : g));
    pipeline = { ...pipeline, promotions: pipeline.promotions.map((p) => (p === promo ? { ...p, gates } : p)) };
    announcement = `Gate ${gate.name}: ${GATE[gate.state]?.text ?? gate.state}. ${gate.reason}`;
    app.update();
  })
  .ready();
