/**
 * Gates answered by the engine about the source environment: `health` (every service running and
 * healthy) and `drift` (what runs matches what was declared and recorded).
 */
import { isUp } from '../../service-state';
import { outcome, type GateEvaluator } from './types';

/** Passes when the engine reports the environment healthy; the evidence lists every service. */
export const healthGate: GateEvaluator<'health'> = async (_gate, ctx, run) => {
  const { ok, services } = await ctx.health(run.signal);
  const evidence = { services };
  if (ok)
    return outcome(
      'pass',
      services.length === 1
        ? 'the one service is running and healthy'
        : `all ${services.length} services are running and healthy`,
      evidence,
    );
  // A job that completed is as it should be.
  const unwell = services.filter((s) => !isUp(s) || !['healthy', 'none', ''].includes(s.health));
  const names = unwell.map((s) => `${s.service} (${s.state}${s.health ? `, ${s.health}` : ''})`);
  const why = names.length > 0 ? `: ${names.join(', ')}` : '';
  return outcome('fail', `the environment is not healthy${why}`, evidence);
};

/** Passes when the engine finds no drift; the evidence is its summary. */
export const driftGate: GateEvaluator<'drift'> = async (_gate, ctx, run) => {
  const { drifted, count, summary } = await ctx.drift(run.signal);
  const evidence = { count, summary };
  if (!drifted) return outcome('pass', 'no drift: what runs matches what was declared', evidence);
  return outcome('fail', `${count} difference(s) between what was declared and what runs`, evidence);
};
