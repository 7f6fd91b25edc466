// `--timings`: a command run with a phase collector; the table printed on stderr, and `timings` added to a `--json` result.
import { performance } from 'node:perf_hooks';
import { TimingCollector, collectTimings, currentTimings, timingsTable } from '../timings';
import type { Context } from './context';

/** Whether this process has run a command yet: the first one's time includes Node and the CLI starting. */
let first = true;

/** Runs the command; with `--timings`, collects its phases and prints them on stderr when it ends (also when it fails). */
export async function runTimed(ctx: Context, run: () => Promise<number>): Promise<number> {
  const starting = first;
  first = false;
  if (!ctx.values.timings) return run();
  const collector = new TimingCollector();
  const from = starting ? 0 : performance.now();
  if (starting) collector.add('cli start (Node, loading the CLI)', performance.now());
  try {
    return await collectTimings(collector, run);
  } finally {
    ctx.err(
      `Timings of slipway ${ctx.command}:\n${timingsTable(collector.phases, performance.now() - from, collector.counts)}`,
    );
  }
}

/** A `--json` result object with `timings: { phase: ms }` when they are being collected (lists stay lists). */
export function withTimings(value: unknown): unknown {
  const collector = currentTimings();
  if (!collector || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return { ...value, timings: collector.phases };
}
