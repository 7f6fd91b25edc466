/** Structured progress of a long operation, streamed from the stack worker to the caller. */
export type SlipwayEvent =
  | {
      type: 'resource';
      phase: 'started' | 'finished' | 'failed';
      /** create | update | replace | delete | same | read | refresh ... */
      op: string;
      /** Short resource kind: DockerContainer, DockerImage, DockerNetwork, ... */
      kind: string;
      name: string;
      urn: string;
      durationMs?: number;
    }
  | { type: 'diagnostic'; severity: 'info' | 'warning' | 'error'; message: string; urn?: string }
  | { type: 'step'; message: string }
  /** One gate of a promotion finished (streamed as gates finish, for live views). */
  | {
      type: 'gate';
      stage: string;
      name: string;
      kind: string;
      state: 'pass' | 'fail' | 'pending' | 'skipped';
      reason: string;
      durationMs: number;
    }
  /** A database being seeded: one table's progress (rows so far, rows/s), or a step of the seed (`message`). */
  | {
      type: 'seed';
      database: string;
      table?: string;
      rows?: number;
      rowsPerSecond?: number;
      done?: boolean;
      message?: string;
    }
  | { type: 'summary'; changes: Record<string, number>; durationMs: number };

export interface OperationOptions {
  signal?: AbortSignal;
  /** Raw Pulumi output lines (secrets are masked by Pulumi). */
  onOutput?: (line: string) => void;
  onEvent?: (event: SlipwayEvent) => void;
}
