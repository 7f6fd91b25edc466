/** A refresh that is never in flight twice: a call made during one makes it run once more after it (what it read may predate the caller's change). */

export interface CoalesceOptions {
  /** Checked before each run after the first: true stops the runs (a disposed owner). */
  stop?: () => boolean;
  /** Called once the runs are over, whether they succeeded or not. */
  settled?: () => void;
}

/** Wraps `run`: callers during a run share its promise, and one more run follows it. */
export function coalesced(run: () => Promise<void>, opts: CoalesceOptions = {}): () => Promise<void> {
  let inFlight: Promise<void> | undefined;
  let again = false;
  return () => {
    if (inFlight) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      do {
        again = false;
        await run();
      } while (again && !opts.stop?.());
    })().finally(() => {
      inFlight = undefined;
      opts.settled?.();
    });
    return inFlight;
  };
}
