/** The pipeline view's state and its pure reducer (no DOM): the whole pipeline, and gates as they start and finish. */
import type { GateState, GateView, NotificationMessage, PipelineView, PromotionView } from '../protocol';

export interface PipelineState {
  pipeline?: PipelineView;
  /** The last live change, read out by screen readers. */
  announcement: string;
}

export const initialState: PipelineState = { announcement: '' };

export type PipelineAction = NotificationMessage<'pipeline/state' | 'gates/running' | 'gates/progress'>;

/** How each gate state reads. */
export const GATE_TEXT: Record<GateState, string> = {
  pass: 'Passed',
  fail: 'Failed',
  pending: 'Pending',
  running: 'Running',
  error: 'Error',
  skipped: 'Skipped',
};

/** Why Promote waits while gates run (the host says the same in its full state). */
export const EVALUATING = 'Gates are being evaluated.';

export const promotionKey = (p: PromotionView) => `${p.from}>${p.to}`;
export const gateKey = (g: GateView) => `${g.stage}/${g.name}`;
export const allPass = (p: PromotionView) => p.gates.every((g) => g.state === 'pass');
export const promotable = (p: PromotionView) => p.canPromote && !p.promoting && !p.current && allPass(p);

/** The state a promotion's gates add up to: the worst one wins. */
export function overall(p: PromotionView): GateState {
  const order: GateState[] = ['error', 'fail', 'running', 'pending', 'skipped', 'pass'];
  for (const s of order) if (p.gates.some((g) => g.state === s)) return s;
  return 'pass';
}

function withPromotion(p: PipelineView, to: string, change: (promo: PromotionView) => PromotionView): PipelineView {
  return { ...p, promotions: p.promotions.map((x) => (x.to === to ? change(x) : x)) };
}

export function reduce(state: PipelineState, action: PipelineAction): PipelineState {
  switch (action.method) {
    case 'pipeline/state':
      return { ...state, pipeline: action.params };
    case 'gates/running': {
      const { stage, gates, startedAt } = action.params;
      if (!state.pipeline?.promotions.some((x) => x.to === stage)) return state;
      const names = new Set(gates);
      const pipeline = withPromotion(state.pipeline, stage, (promo) => ({
        ...promo,
        canPromote: false,
        blockedReason: EVALUATING,
        gates: promo.gates.map((g): GateView =>
          names.has(g.name)
            ? { stage, name: g.name, kind: g.kind, state: 'running', reason: 'Evaluating…', evidence: {}, startedAt }
            : g,
        ),
      }));
      return {
        pipeline,
        announcement: `Evaluating ${gates.length === 1 ? `gate ${gates[0]}` : `${gates.length} gates`} of ${stage}.`,
      };
    }
    case 'gates/progress': {
      const { gate } = action.params;
      if (!state.pipeline?.promotions.some((x) => x.to === gate.stage)) return state;
      const pipeline = withPromotion(state.pipeline, gate.stage, (promo) => {
        const i = promo.gates.findIndex((g) => g.name === gate.name);
        return { ...promo, gates: i < 0 ? [...promo.gates, gate] : promo.gates.map((g, j) => (j === i ? gate : g)) };
      });
      return { pipeline, announcement: `Gate ${gate.name}: ${GATE_TEXT[gate.state] ?? gate.state}. ${gate.reason}` };
    }
    default:
      return state;
  }
}
