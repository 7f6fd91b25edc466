/**
 * A running timer for the seeds' `schedule`s (cron): each time one fires, `run` re-seeds the
 * databases due; single-flighted, so a schedule that fires while a run is still going is run once
 * more after it (never twice at once, never piled up). The editor keeps one while a workspace is open.
 */
import { nextRun } from '../spec/seed';
import type { Spec } from '../spec/types';

/** The longest a Node timer can wait; a later time is reached in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ScheduledRun {
  /** The databases whose schedule fired. */
  databases: string[];
  /** When they were due. */
  at: Date;
}

export class SeedScheduler {
  private timer?: ReturnType<typeof setTimeout>;
  private running?: Promise<void>;
  /** Databases that fell due during a run: run once after it. */
  private pending = new Set<string>();
  private stopped = false;

  constructor(
    private readonly spec: Pick<Spec, 'databases'>,
    private readonly run: (r: ScheduledRun) => Promise<void>,
    private readonly onError: (err: unknown) => void = () => undefined,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The databases with a schedule, and when each fires next. */
  upcoming(): Array<{ database: string; at: Date }> {
    const from = this.now();
    return this.spec.databases
      .filter((d) => d.seed?.schedule)
      .map((d) => ({ database: d.name, at: nextRun(d.seed!.schedule!, from) }));
  }

  /** Arms the timer for the soonest schedule (nothing when no database has one). */
  start(): this {
    this.arm();
    return this;
  }

  /** Whether a run is in flight. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  private arm(): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    const next = this.upcoming();
    if (next.length === 0) return;
    const soonest = Math.min(...next.map((n) => n.at.getTime()));
    const due = next.filter((n) => n.at.getTime() === soonest).map((n) => n.database);
    const wait = soonest - this.now().getTime();
    this.timer = setTimeout(
      () => (wait > MAX_TIMER_MS ? this.arm() : this.fire(due, new Date(soonest))),
      Math.min(Math.max(0, wait), MAX_TIMER_MS),
    );
    this.timer.unref?.();
  }

  /** Runs the due databases now, or after the run in flight (once, with everything that fell due meanwhile). */
  fire(databases: string[], at: Date = this.now()): void {
    this.arm();
    if (this.running) {
      for (const d of databases) this.pending.add(d);
      return;
    }
    this.running = (async () => {
      let batch = databases;
      let when = at;
      while (batch.length && !this.stopped) {
        try {
          await this.run({ databases: batch, at: when });
        } catch (err) {
          this.onError(err);
        }
        batch = [...this.pending];
        when = this.now();
        this.pending.clear();
      }
    })().finally(() => {
      this.running = undefined;
      // Fell due between the last batch and here: one more run.
      const late = [...this.pending];
      this.pending.clear();
      if (late.length && !this.stopped) this.fire(late);
    });
  }

  /** Resolves when no run is in flight. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.pending.clear();
  }
}
