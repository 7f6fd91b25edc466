/**
 * Time to live of preview environments, as the editor shows it: the last update plus the
 * `slipway.ttl.default` setting, or later when the user extended it (kept in the extension's
 * global state, so every window agrees). Stages are the team's and have none.
 */
import type * as vscode from 'vscode';
import type { EnvironmentStatus } from '../environments/engine';
import type { SlipwaySettings } from './settings';

export class TtlStore {
  constructor(
    private readonly memento: vscode.Memento,
    private readonly settings: () => SlipwaySettings,
  ) {}

  private keyOf(project: string, branch: string): string {
    return `slipway.ttl:${project}/${branch}`;
  }

  /** When it expires, in ms since the epoch; undefined for stages and environments never brought up. */
  expiresAt(status: Pick<EnvironmentStatus, 'project' | 'branch' | 'updatedAt'>): number | undefined {
    if (status.branch.startsWith('stage:') || !status.updatedAt) return undefined;
    const base = Date.parse(status.updatedAt) + this.settings().defaultTtlMs;
    const extended = this.memento.get<number>(this.keyOf(status.project, status.branch));
    return extended !== undefined && extended > base ? extended : base;
  }

  /** Extends to `hours` (default: the default TTL) from now, or from the current expiry if later. */
  async extend(key: { project: string; branch: string }, hours?: number): Promise<void> {
    const by = hours !== undefined && hours > 0 ? hours * 3600_000 : this.settings().defaultTtlMs;
    const current = this.memento.get<number>(this.keyOf(key.project, key.branch)) ?? 0;
    await this.memento.update(this.keyOf(key.project, key.branch), Math.max(current, Date.now()) + by);
  }
}
