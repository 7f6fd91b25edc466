/** Where an operation's time went: named phases timed and summed per operation (one collector per async context), as a table or `{ phase: ms }`. */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';

/** Milliseconds per phase, in the order the phases first ran. */
export type PhaseTimings = Record<string, number>;

/**
 * The phases of one operation. A phase that runs more than once (one Docker call per container,
 * one Pulumi CLI call per step) is summed; `counts` says how many times it ran. Phases can
 * overlap (resources created in parallel), so their sum may exceed the operation's wall time.
 */
export class TimingCollector {
  private readonly ms = new Map<string, number>();
  private readonly runs = new Map<string, number>();
  readonly startedAt = performance.now();

  add(phase: string, ms: number, times = 1): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.ms.set(phase, (this.ms.get(phase) ?? 0) + ms);
    this.runs.set(phase, (this.runs.get(phase) ?? 0) + times);
  }

  /** Phases measured elsewhere (the stack worker) added to these. */
  merge(phases: PhaseTimings, counts: Record<string, number> = {}): void {
    for (const [phase, ms] of Object.entries(phases)) this.add(phase, ms, counts[phase] ?? 1);
  }

  get phases(): PhaseTimings {
    return Object.fromEntries([...this.ms].map(([k, v]) => [k, Math.round(v)]));
  }

  get counts(): Record<string, number> {
    return Object.fromEntries(this.runs);
  }

  /** Milliseconds since this collector was made. */
  elapsed(): number {
    return performance.now() - this.startedAt;
  }
}

const current = new AsyncLocalStorage<TimingCollector>();

/** Runs `fn` with `collector` receiving every phase timed inside it (also across awaits). */
export function collectTimings<T>(collector: TimingCollector, fn: () => Promise<T>): Promise<T> {
  return current.run(collector, fn);
}

/** The collector of the operation running now, if anyone collects. */
export function currentTimings(): TimingCollector | undefined {
  return current.getStore();
}

/** Runs `fn` and adds its duration (also when it throws) to `phase` of the current operation. */
export async function timePhase<T>(phase: string, fn: () => Promise<T>): Promise<T> {
  const collector = current.getStore();
  if (!collector) return fn();
  const start = performance.now();
  try {
    return await fn();
  } finally {
    collector.add(phase, performance.now() - start);
  }
}

/** Adds a duration measured some other way (an event's own duration) to `phase` of the current operation. */
export function markPhase(phase: string, ms: number): void {
  current.getStore()?.add(phase, ms);
}

/** The phases as a table for people: phase, times run, seconds, share of `totalMs`. */
export function timingsTable(phases: PhaseTimings, totalMs: number, counts: Record<string, number> = {}): string {
  const width = Math.max(5, ...Object.keys(phases).map((p) => p.length));
  const row = (phase: string, runs: string, ms: number, share: string) =>
    `  ${phase.padEnd(width)} ${runs.padStart(5)} ${`${(ms / 1000).toFixed(3)}s`.padStart(9)} ${share.padStart(5)}`;
  const lines = [`  ${'phase'.padEnd(width)} ${'runs'.padStart(5)} ${'time'.padStart(9)} ${'share'.padStart(5)}`];
  for (const [phase, ms] of Object.entries(phases)) {
    const share = totalMs > 0 ? `${Math.round((100 * ms) / totalMs)}%` : '';
    lines.push(row(phase, String(counts[phase] ?? 1), ms, share));
  }
  lines.push(row('total (wall)', '', totalMs, '100%'));
  lines.push('  (phases can overlap: resources are made in parallel)');
  return lines.join('\n');
}
