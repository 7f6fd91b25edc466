/**
 * Typed errors for the Slipway core. Callers branch on `reason` (through the static `is()`
 * checks), never on message text. Every message says what happened, why, and what to do next.
 */
export type SlipwayErrorReason =
  | 'spec-invalid'
  | 'spec-not-found'
  | 'docker-unavailable'
  | 'pulumi-unavailable'
  | 'stack-not-found'
  | 'operation-failed'
  | 'operation-cancelled'
  /** The stack worker process died (killed, crashed) before it reported a result. */
  | 'worker-died'
  | 'environment-locked'
  | 'health-check-failed'
  | 'git-branch-unknown'
  | 'pipeline-invalid'
  | 'gates-failed'
  | 'release-not-found'
  | 'service-not-found';

export class SlipwayError extends Error {
  readonly reason: SlipwayErrorReason;
  readonly hint?: string;

  constructor(reason: SlipwayErrorReason, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'SlipwayError';
    this.reason = reason;
    this.hint = options?.hint;
  }

  static is(err: unknown, reason?: SlipwayErrorReason): err is SlipwayError {
    return (
      typeof err === 'object' &&
      err !== null &&
      (err as { name?: unknown }).name === 'SlipwayError' &&
      typeof (err as { reason?: unknown }).reason === 'string' &&
      (reason === undefined || (err as SlipwayError).reason === reason)
    );
  }
}

/** One problem found in a spec file, with its exact position (1-based line and column). */
export interface SpecIssue {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** Dotted path of the offending field, e.g. `services.web.env.DATABASE_URL`. */
  field: string;
  message: string;
}

export class SpecError extends SlipwayError {
  readonly issues: SpecIssue[];

  constructor(issues: SpecIssue[]) {
    super('spec-invalid', issues.map(formatSpecIssue).join('\n'), {
      hint: 'Fix the spec and run the command again; nothing was created.',
    });
    this.issues = issues;
  }

  static override is(err: unknown): err is SpecError {
    return SlipwayError.is(err, 'spec-invalid') && Array.isArray((err as SpecError).issues);
  }
}

export function formatSpecIssue(i: SpecIssue): string {
  return `${i.file}:${i.line}:${i.column}: ${i.field || '(root)'}: ${i.message}`;
}
