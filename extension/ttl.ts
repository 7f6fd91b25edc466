/**
 * Time to live of preview environments, as the editor shows it: the expiry in the environment's
 * record (counted from its last activity), else the last update plus `slipway.ttl.default`.
 * Extend writes into the record, so the CLI, gc and every window agree. Stages have none.
 */
import type * as vscode from 'vscode';
import type { EnvironmentStatus } from '../environments/engine';
import type { SlipwaySettings } from './settings';

export class TtlStore {
  constructor(
    private readonly memento: vscode.Memento,
    private readonly settings: () => SlipwaySettings,
    /** Writes an extension into the environment's record, where the CLI and every window read it. */
    private readonly write?: (key: { project: string; branch: string }, byMs: number) => Promise<void>,
  ) {}

  private keyOf(project: string, branch: string): string {
    return `slipway.ttl:${project}/${branch}`;
  }

  /** When it expires, in ms since the epoch; undefined for stages and environments never brought up. */
  expiresAt(status: Pick<EnvironmentStatus, 'project' | 'branch' | 'updatedAt' | 'ttl'>): number | undefined {
    if (status.branch.startsWith('stage:') || !status.updatedAt) return undefined;
    // The record's expiry, counted from the last activity, is the one gc acts on.
    if (status.ttl) return Date.parse(status.ttl.expiresAt);
    const base = Date.parse(status.updatedAt) + this.settings().defaultTtlMs;
    const extended = this.memento.get<number>(this.keyOf(status.project, status.branch));
    return extended !== undefined && extended > base ? extended : base;
  }

  /** Extends to `hours` (default: the default TTL) from now, or from the current expiry if later. */
  async extend(key: { project: string; branch: string }, hours?: number): Promise<void> {
    const by = hours !== undefined && hours > 0 ? hours * 3600_000 : this.settings().defaultTtlMs;
    const current = this.memento.get<number>(this.keyOf(key.project, key.branch)) ?? 0;
    await this.memento.update(this.keyOf(key.project, key.branch), Math.max(current, Date.now()) + by);
    await this.write?.(key, by);
  }
}
