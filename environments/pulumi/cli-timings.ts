/** The stack worker's phases: each Pulumi CLI call timed by its subcommand, and the time a run takes before its first resource (engine, program and provider start). */
import { performance } from 'node:perf_hooks';
import type { PulumiCommand } from '@pulumi/pulumi/automation';
import type { SlipwayEvent } from '../events';
import { currentTimings, type TimingCollector } from '../timings';

/** Runs that change resources: the time to their first resource event is Pulumi's own start. */
const RUNS = new Set(['up', 'preview', 'refresh', 'destroy']);

/**
 * The run in flight until its first resource event (a worker runs one Pulumi run at a time; the
 * SDK delivers events outside the operation's async context, so this is kept here).
 */
let inFlight: { collector: TimingCollector; phase: string; at: number } | undefined;

/** `pulumi stack select`, `pulumi up`, ...: the words of a CLI call that name it (no flags, no values). */
export function pulumiPhase(args: readonly string[]): string {
  const words = args.filter((a) => !a.startsWith('-'));
  const sub =
    words[0] === 'stack' || words[0] === 'config' || words[0] === 'plugin' ? words.slice(0, 2) : words.slice(0, 1);
  return `pulumi ${sub.join(' ')}`;
}

/** The same command, each of its CLI calls timed as a phase of the operation that makes it. */
export function timedPulumiCommand(command: PulumiCommand): PulumiCommand {
  // `run` is internal to the SDK (every CLI call of a workspace and its stacks goes through it).
  const inner = command as unknown as { run: (args: string[], ...rest: unknown[]) => Promise<unknown> };
  if (typeof inner.run !== 'function') return command;
  const run = inner.run.bind(command);
  const timed = async (args: string[], ...rest: unknown[]) => {
    const collector = currentTimings();
    if (!collector) return run(args, ...rest);
    const phase = pulumiPhase(args);
    const start = performance.now();
    if (RUNS.has(phase.slice('pulumi '.length))) inFlight = { collector, phase, at: start };
    try {
      return await run(args, ...rest);
    } finally {
      collector.add(phase, performance.now() - start);
      if (inFlight?.collector === collector) inFlight = undefined;
    }
  };
  inner.run = timed;
  return command;
}

/** On a run's first resource event: the time since the run started, as Pulumi's start (engine, program, provider). */
export function noteEmitted(event: SlipwayEvent): void {
  if (event.type !== 'resource' || !inFlight) return;
  const { collector, phase, at } = inFlight;
  inFlight = undefined;
  collector.add(`${phase}: start to first resource (engine, program, provider)`, performance.now() - at);
}
