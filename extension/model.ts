/**
 * What the Environments view and the status bar show: the project's environments as the core
 * reports them, plus what only this window knows (an operation in flight, an environment whose
 * spec changed since it was brought up, drift found by the last check).
 */
import * as vscode from 'vscode';
import type { EnvironmentStatus } from '../environments/engine';
import type { Slipway } from './slipway';
import { coalesced } from './coalesce';

export type ShownState = 'provisioning' | 'running' | 'degraded' | 'drifted' | 'stopped' | 'failed' | 'absent';

export interface EnvironmentItem {
  status: EnvironmentStatus;
  /** The state shown: the core's, unless this window knows more. */
  state: ShownState;
  /** An operation of this window is running on it (its latest step). */
  busy?: { op: 'up' | 'down' | 'promote'; step?: string };
  outdated: boolean;
  /** When it expires (last update + TTL), in ms since the epoch. */
  expiresAt?: number;
}

/** Polling while an operation runs (to show its state) and otherwise (to notice outside changes). */
const FAST_MS = 3000;
const SLOW_MS = 30_000;

export class EnvironmentsModel implements vscode.Disposable {
  private statuses: EnvironmentStatus[] = [];
  private readonly busy = new Map<string, { op: 'up' | 'down' | 'promote'; step?: string }>();
  private readonly outdated = new Set<string>();
  private readonly drifted = new Set<string>();
  private readonly emitter = new vscode.EventEmitter<void>();
  private timer?: ReturnType<typeof setTimeout>;
  private lastError?: string;
  private disposed = false;
  readonly onDidChange = this.emitter.event;

  constructor(private readonly slipway: Slipway) {}

  get items(): EnvironmentItem[] {
    const items: EnvironmentItem[] = this.statuses.map((status) => {
      const busy = this.busy.get(status.branch);
      let state: ShownState = status.status;
      if (busy) state = 'provisioning';
      else if (state === 'running' && this.drifted.has(status.branch)) state = 'drifted';
      return {
        status,
        state,
        busy,
        outdated: this.outdated.has(status.branch),
        expiresAt: this.slipway.ttl.expiresAt(status),
      };
    });
    // An environment being created for the first time shows before the core has a record of it.
    for (const [branch, busy] of this.busy) {
      if (!this.statuses.some((s) => s.branch === branch) && busy.op === 'up') {
        items.push({
          status: {
            project: this.slipway.project ?? '',
            env: '',
            branch,
            stack: '',
            status: 'provisioning',
            urls: {},
            services: [],
          },
          state: 'provisioning',
          busy,
          outdated: false,
        });
      }
    }
    return items.sort((a, b) => a.status.branch.localeCompare(b.status.branch));
  }

  /** The environment of a branch, if there is one. */
  find(branch: string): EnvironmentItem | undefined {
    return this.items.find((i) => i.status.branch === branch && i.state !== 'absent');
  }

  /** Why the last refresh failed (Docker down, ...), shown in the view's message. */
  get error(): string | undefined {
    return this.lastError;
  }

  begin(branch: string, op: 'up' | 'down' | 'promote'): void {
    this.busy.set(branch, { op });
    this.changed();
    this.schedule(FAST_MS);
  }

  step(branch: string, step: string): void {
    const b = this.busy.get(branch);
    if (b) {
      b.step = step;
      this.emitter.fire();
    }
  }

  end(branch: string): void {
    this.busy.delete(branch);
    void this.refresh();
  }

  setOutdated(branches: string[], outdated: boolean): void {
    for (const b of branches) {
      if (outdated) this.outdated.add(b);
      else this.outdated.delete(b);
    }
    void vscode.commands.executeCommand('setContext', 'slipway.hasOutdated', this.outdated.size > 0);
    this.emitter.fire();
  }

  setDrifted(branch: string, drifted: boolean): void {
    if (drifted) this.drifted.add(branch);
    else this.drifted.delete(branch);
    this.emitter.fire();
  }

  /** Asks the core again (Docker labels and Slipway's records; no Pulumi run). */
  refresh(): Promise<void> {
    // A load already under way may have read the state before the change the caller knows
    // of (an operation that just ended): one more load follows it.
    return this.reload();
  }

  private readonly reload = coalesced(() => this.load(), {
    stop: () => this.disposed,
    settled: () => this.schedule(this.busy.size > 0 ? FAST_MS : SLOW_MS),
  });

  private async load(): Promise<void> {
    if (this.disposed) return;
    const started = performance.now();
    try {
      await this.slipway.findSpec();
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      this.changed();
      return;
    }
    const project = this.slipway.project;
    if (!project) {
      this.statuses = [];
      this.changed();
      return;
    }
    try {
      const engine = await this.slipway.engine();
      this.statuses = (await engine.list(project)).filter((s) => s.status !== 'absent' || this.busy.has(s.branch));
      this.lastError = undefined;
      // What `npm run bench -- --only growth` reads back from the log: the refresh's time and the host's heap.
      const level = this.slipway.log.logLevel;
      if (level === vscode.LogLevel.Trace || level === vscode.LogLevel.Debug)
        this.slipway.log.debug(
          `environments listed: ${this.statuses.length} in ${(performance.now() - started).toFixed(1)} ms (extension host heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB)`,
        );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message !== this.lastError) this.slipway.log.warn(`Could not list environments: ${message}`);
      this.lastError = message;
    }
    this.changed();
  }

  private changed(): void {
    const forget = (set: Set<string>) =>
      [...set].filter((b) => !this.statuses.some((s) => s.branch === b)).forEach((b) => set.delete(b));
    forget(this.drifted);
    this.emitter.fire();
  }

  private schedule(ms: number): void {
    if (this.disposed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), ms);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.emitter.dispose();
  }
}
