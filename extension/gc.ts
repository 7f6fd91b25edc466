/**
 * The editor's garbage collection: every `slipway.gc.interval` (0: never) the same collection as
 * `slipway gc` (expired environments torn down, orphaned Docker objects of this state removed),
 * one at a time: a run still going when the next is due is not started again. Trusted workspaces only.
 */
import * as vscode from 'vscode';
import type { GcReport } from '../environments/quotas/gc';
import { core } from './lazy';
import type { Slipway } from './slipway';

/** The first collection after the window opens comes this soon (or at the interval, if shorter). */
const FIRST_RUN_MS = 60_000;

/** One line for a person: what a collection removed, or undefined when it removed nothing. */
export function describeCollection(r: GcReport): string | undefined {
  const torn = r.expired.filter((e) => e.removed).map((e) => `${e.project} / ${e.branch}`);
  const failed = r.expired.filter((e) => e.error).map((e) => `${e.project} / ${e.branch} (${e.error})`);
  const orphans = r.orphans.filter((o) => o.removed);
  const parts: string[] = [];
  if (torn.length)
    parts.push(
      `tore down ${torn.length === 1 ? 'an expired environment' : `${torn.length} expired environments`}: ${torn.join(', ')}`,
    );
  if (orphans.length)
    parts.push(
      `removed Docker objects of ${orphans.length === 1 ? 'an environment' : `${orphans.length} environments`} that no longer exist (${orphans.map((o) => `${o.project}/${o.env}`).join(', ')})`,
    );
  if (failed.length) parts.push(`could not tear down ${failed.join('; ')}`);
  return parts.length ? `Slipway ${parts.join('; ')}.` : undefined;
}

export class GarbageCollector implements vscode.Disposable {
  private timer?: ReturnType<typeof setTimeout>;
  private running?: Promise<GcReport | undefined>;
  private readonly abort = new AbortController();
  private readonly sub: vscode.Disposable;

  constructor(private readonly slipway: Slipway) {
    this.sub = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('slipway.gc.interval')) this.schedule(this.slipway.settings.gcIntervalMs);
    });
    const interval = slipway.settings.gcIntervalMs;
    this.schedule(interval && Math.min(interval, FIRST_RUN_MS));
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (ms <= 0 || this.abort.signal.aborted) return;
    this.timer = setTimeout(() => {
      void this.collect().finally(() => this.schedule(this.slipway.settings.gcIntervalMs));
    }, ms);
  }

  /** One collection; while one runs, callers get that one (never two at once). */
  collect(): Promise<GcReport | undefined> {
    return (this.running ??= this.run().finally(() => (this.running = undefined)));
  }

  private async run(): Promise<GcReport | undefined> {
    // Tearing down runs infrastructure: an untrusted workspace's window does not.
    if (!vscode.workspace.isTrusted) return undefined;
    try {
      const engine = await this.slipway.engine();
      const report = await core().collectGarbage(engine, {
        signal: this.abort.signal,
        // Environments brought up before TTLs expire by the user's or the host's default, as `slipway gc` does.
        defaultTtlMs: core().readLimits(engine.home).ttl?.ms,
        onProgress: (line) => this.slipway.log.info(`gc: ${line}`),
      });
      const text = describeCollection(report);
      if (text) {
        this.slipway.log.info(text);
        void vscode.window.showInformationMessage(text);
        await this.slipway.model.refresh();
      }
      return report;
    } catch (err) {
      this.slipway.log.warn(`gc: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  dispose(): void {
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    this.sub.dispose();
  }
}
