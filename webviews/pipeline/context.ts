/** What the pipeline view's components get: the host to post to, and the view's UI actions. */
import type { Host } from '../shared/host';

export interface UiState {
  /** The promotion shown, as `from>to`. */
  selected?: string;
  /** Gates whose evidence is shown, as `stage/name`. */
  expanded: string[];
}

export interface PipelineContext {
  readonly host: Host<UiState>;
  /** Shows a promotion's gates. */
  select(key: string): void;
  /** Shows or hides a gate's evidence. */
  toggleGate(key: string): void;
}
