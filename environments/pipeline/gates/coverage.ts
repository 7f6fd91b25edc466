/**
 * The `coverage` gate: reads an istanbul json-summary report (`total.<metric>.pct`, written by
 * nyc, c8 or jest with the `json-summary` reporter) and passes when the percentage is at least `min`.
 */
import { readFile } from 'node:fs/promises';
import { errorText, outcome, type GateEvaluator } from './types';

export const coverageGate: GateEvaluator<'coverage'> = async (gate) => {
  const { summary, metric, min } = gate;
  const base = { summary, metric, min };
  let report: unknown;
  try {
    report = JSON.parse(await readFile(summary, 'utf8'));
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    const reason = missing
      ? `no coverage summary at ${summary}; run the tests with the json-summary reporter (e.g. c8 --reporter=json-summary) first`
      : `coverage summary ${summary} cannot be read: ${errorText(err)}`;
    return outcome('fail', reason, base);
  }
  const pct = totalPct(report, metric);
  if (pct === undefined) {
    const reason = `coverage summary ${summary} has no percentage for total.${metric} (nothing measured, or not an istanbul json-summary)`;
    return outcome('fail', reason, base);
  }
  const evidence = { pct, min, metric, summary };
  if (pct >= min) return outcome('pass', `${metric} coverage is ${pct}%, at least the required ${min}%`, evidence);
  return outcome('fail', `${metric} coverage is ${pct}%, below the required ${min}%`, evidence);
};

/** `total.<metric>.pct` when it is a number (istanbul writes "Unknown" when nothing was measured). */
function totalPct(report: unknown, metric: string): number | undefined {
  const total = (report as { total?: Record<string, { pct?: unknown }> } | null)?.total;
  const pct = total?.[metric]?.pct;
  return typeof pct === 'number' && Number.isFinite(pct) ? pct : undefined;
}
