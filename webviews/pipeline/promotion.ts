/** The promotion shown: its gates, Re-run all, and Promote (enabled only when every gate passes and the host allows it). */
import { html, type TemplateResult } from 'lit';
import type { GateState, PromotionView } from '../protocol';
import { button, emptyState, icon, pill } from '../shared/ui';
import type { PipelineContext } from './context';
import { GATE, gateRow } from './gates';
import { promotable } from './state';

export function promotionPanel(ctx: PipelineContext, p: PromotionView): TemplateResult {
  const { host } = ctx;
  const counts = new Map<GateState, number>();
  for (const g of p.gates) counts.set(g.state, (counts.get(g.state) ?? 0) + 1);
  const passed = counts.get('pass') ?? 0;
  const blocking = p.gates.length - passed;
  const running = p.gates.some((g) => g.state === 'running');
  const runs = p.current
    ? `${p.to} runs this commit (${p.current.commit.slice(0, 7)}, release ${p.current.release}).`
    : undefined;
  const why = p.promoting
    ? `Promoting to ${p.to}…`
    : runs
      ? `${runs} Nothing to promote.`
      : !p.canPromote
        ? (p.blockedReason ?? `Promotion to ${p.to} is not possible right now.`)
        : blocking > 0
          ? `Promotion needs every gate to pass: ${[...counts]
              .filter(([s]) => s !== 'pass')
              .map(([s, n]) => `${n} ${GATE[s]?.text.toLowerCase() ?? s}`)
              .join(', ')}.`
          : p.gates.length === 0
            ? `No gates guard ${p.to}.`
            : 'All gates pass.';
  return html`<section id="promotion" class="promotion" aria-labelledby="promotion-title">
    <div class="section-head">
      <div>
        <h2 id="promotion-title">${p.from} ${icon('arrow-right')} ${p.to}</h2>
        <div class="muted summary">
          ${p.gates.length === 0 ? 'No gates' : `${passed} of ${p.gates.length} gates pass`}
        </div>
      </div>
      <div class="actions">
        ${button({ label: 'Re-run all', icon: 'refresh', secondary: true, disabled: running || p.gates.length === 0, ariaLabel: `Re-run all gates of ${p.to}`, onClick: () => host.command('gates/rerun', { stage: p.to }) })}
        ${
          p.current && !p.promoting
            ? pill(`${p.to} runs ${p.current.commit.slice(0, 7)}`, 'ok', 'pass-filled', runs)
            : button({
                label: `Promote to ${p.to}`,
                icon: 'rocket',
                disabled: !promotable(p),
                title: why,
                onClick: () => host.command('pipeline/promote', { to: p.to }),
              })
        }
      </div>
    </div>
    <div class="why ${promotable(p) || runs ? 'tone-ok' : blocking > 0 ? 'tone-warn' : 'tone-muted'}" id="promote-why">
      ${icon(promotable(p) || runs ? 'pass-filled' : 'info', 'state-icon')} ${why}
    </div>
    ${
      p.gates.length === 0
        ? emptyState('pass', 'No gates', `Nothing guards promotion into ${p.to}.`)
        : html`<ul class="gates" aria-label=${`Gates of ${p.to}`}>
            ${p.gates.map((g) => gateRow(ctx, g))}
          </ul>`
    }
  </section>`;
}
