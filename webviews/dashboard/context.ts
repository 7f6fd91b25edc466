/** What the dashboard's components get: the host to post to, the current state, and the view's actions. */
import type { Host } from '../shared/host';
import type { DashboardState } from './state';

export interface UiState {
  /** Services whose log lines are shown. */
  expanded: string[];
}

export interface DashboardContext {
  readonly host: Host<UiState>;
  readonly state: DashboardState;
  /** Shows or hides a service's log lines (fetching them when shown and not yet there). */
  toggleLogs(service: string): void;
  /** Fetches more of a service's log lines through `env/logs`. */
  moreLogs(service: string): void;
}
