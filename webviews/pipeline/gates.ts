/** One gate of a promotion: its state, reason, duration, last run, actions, and the evidence it recorded. */
import { html, nothing, type TemplateResult } from 'lit';
import type { GateEvidence, GateState, GateView } from '../protocol';
import { duration } from '../shared/format';
import { button, icon, pill, timeAgo, type Tone } from '../shared/ui';
import type { PipelineContext } from './context';
import { GATE_TEXT, gateKey } from './state';

export const GATE: Record<GateState, { text: string; tone: Tone; icon: string }> = {
  pass: { text: GATE_TEXT.pass, tone: 'ok', icon: 'pass-filled' },
  fail: { text: GATE_TEXT.fail, tone: 'error', icon: 'error' },
  pending: { text: GATE_TEXT.pending, tone: 'warn', icon: 'clock' },
  running: { text: GATE_TEXT.running, tone: 'info', icon: 'loading' },
  error: { text: GATE_TEXT.error, tone: 'error', icon: 'warning' },
  skipped: { text: GATE_TEXT.skipped, tone: 'muted', icon: 'circle-slash' },
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

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v, null, 2) ?? '';
}

const SHOWN = new Set([
  'outputTail',
  'counts',
  'approvers',
  'required',
  'timezone',
  'localTime',
  'allow',
  'freeze',
  'nextOpening',
]);

function evidence(g: GateView): TemplateResult {
  const e: GateEvidence = g.evidence ?? {};
  const parts: TemplateResult[] = [];
  if (e.counts && typeof e.counts === 'object') {
    parts.push(
      html`<div class="ev-row">
        <span class="ev-key">Counts</span>
        <span class="chips"
          >${Object.entries(e.counts).map(([k, n]) => html`<span class="chip ${Number(n) > 0 ? 'nonzero' : ''}">${k} <strong>${text(n)}</strong></span>`)}</span
        >
      </div>`,
    );
  }
  if (Array.isArray(e.approvers)) {
    parts.push(
      html`<div class="ev-row">
        <span class="ev-key">Approvers</span>
        <span
          >${
            e.approvers.length === 0
              ? html`<span class="muted">none yet</span>`
              : html`<ul class="approvers">
                  ${e.approvers.map((a) => html`<li>${icon('person')} ${text(a.approver)} <span class="muted">· ${timeAgo(a.at)}</span>${a.comment ? html` <span class="muted">“${text(a.comment)}”</span>` : nothing}</li>`)}
                </ul>`
          }
          ${e.required !== undefined ? html`<div class="muted">${e.approvers.length} of ${text(e.required)} required</div>` : nothing}</span
        >
      </div>`,
    );
  } else if (e.required !== undefined) {
    parts.push(html`<div class="ev-row"><span class="ev-key">Required</span><span>${text(e.required)}</span></div>`);
  }
  if (e.timezone !== undefined || e.allow !== undefined || e.freeze !== undefined) {
    const f = e.freeze;
    parts.push(
      html`<div class="ev-row">
        <span class="ev-key">Window</span
        ><span>
          ${e.localTime !== undefined ? html`<div>${icon('clock')} ${text(e.localTime)} ${e.timezone !== undefined ? html`<span class="muted">(${text(e.timezone)})</span>` : nothing}</div>` : nothing}
          ${Array.isArray(e.allow) ? html`<div>Allowed: ${e.allow.length === 0 ? 'any time' : e.allow.map(text).join(', ')}</div>` : nothing}
          ${f && typeof f === 'object' ? html`<div>Frozen ${text(f.from)} → ${text(f.to)}${f.reason ? html` <span class="muted">(${text(f.reason)})</span>` : nothing}</div>` : nothing}
          ${e.nextOpening && typeof e.nextOpening === 'object' ? html`<div>Next opening: ${text(e.nextOpening.local)}</div>` : nothing}
        </span>
      </div>`,
    );
  }
  for (const [k, v] of Object.entries(e)) {
    if (SHOWN.has(k) || v === undefined) continue;
    const t = text(v);
    parts.push(
      html`<div class="ev-row">
        <span class="ev-key">${k}</span
        >${t.includes('\n') ? html`<pre class="log">${t}</pre>` : html`<span class="mono ev-val">${t}</span>`}
      </div>`,
    );
  }
  if (typeof e.outputTail === 'string' && e.outputTail !== '') {
    parts.push(
      html`<div class="ev-row col">
        <span class="ev-key">Output (last lines)</span>
        <pre class="log" tabindex="0" aria-label=${`Output of ${g.name}`}>${e.outputTail}</pre>
      </div>`,
    );
  }
  if (parts.length === 0) return html`<div class="muted">No evidence recorded.</div>`;
  return html`${parts}`;
}

export function gateRow(ctx: PipelineContext, g: GateView): TemplateResult {
  const s = GATE[g.state] ?? GATE.error;
  const k = gateKey(g);
  const { host } = ctx;
  const open = host.uiState.expanded.includes(k);
  const id = `evidence-${k.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const toggle = () => ctx.toggleGate(k);
  return html`<li class="gate card tone-${s.tone}" aria-label=${`Gate ${g.name}: ${s.text}`}>
    <div class="gate-main">
      <span class="gate-icon state-icon" title=${s.text}
        >${icon(s.icon, s.icon === 'loading' ? 'codicon-modifier-spin' : '')}</span
      >
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
            ${icon(open ? 'chevron-down' : 'chevron-right')} ${open ? 'Hide evidence' : 'Show evidence'}<span
              class="visually-hidden"
            >
              of ${g.name}</span
            >
          </button>
        </div>
      </div>
      <div class="gate-actions">
        ${
          g.kind === 'approval' && g.state !== 'pass'
            ? button({
                label: 'Approve',
                icon: 'check',
                ariaLabel: `Approve promotion to ${g.stage} (${g.name})`,
                onClick: () => host.command('gates/approve', { stage: g.stage, gate: g.name }),
              })
            : nothing
        }
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
