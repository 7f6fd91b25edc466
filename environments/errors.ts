/**
 * Typed errors for the Slipway core. Callers branch on `reason` (through the static `is()`
 * checks), never on message text. Every message says what happened, why, and what to do next.
 */
export type SlipwayErrorReason =
  | 'spec-invalid'
  | 'spec-not-found'
  | 'docker-unavailable'
  /** An ssh:// Docker endpoint offered a host key that is not in known_hosts. */
  | 'ssh-host-key-unknown'
  /** An ssh:// Docker endpoint offered a host key other than the one known_hosts records (or a revoked one). */
  | 'ssh-host-key-changed'
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
  | 'service-not-found'
  | 'masking-policy-invalid'
  | 'masking-unsafe'
  | 'data-copy-failed'
  /** A database's seed names a source that is not there (an unset environment variable). */
  | 'seed-source-missing'
  /** The command line itself is wrong: an unknown, missing or conflicting option, a bad stage name. */
  | 'usage'
  /** What the command acts on does not exist (e.g. the branch has no environment). */
  | 'not-found'
  /** A quota refused the operation before anything was made. */
  | 'quota-exceeded'
  /** A policy check refused the operation. */
  | 'policy-refused'
  /** A settings or policy file Slipway reads limits from holds a value it cannot use. */
  | 'settings-invalid'
  | 'file-damaged'
  | 'passphrase-invalid';

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

/**
 * A file Slipway keeps under SLIPWAY_HOME (a record, the audit log, releases, gate results) that
 * cannot be read as what it should hold: cut short, edited, or not JSON. Names the file and line.
 */
export class DamagedFileError extends SlipwayError {
  readonly file: string;
  readonly line: number;
  readonly problem: string;

  constructor(file: string, line: number, problem: string, remedy: string) {
    super('file-damaged', `${file}:${line}: ${problem}`, { hint: `${remedy[0].toUpperCase()}${remedy.slice(1)}.` });
    this.file = file;
    this.line = line;
    this.problem = problem;
  }

  static override is(err: unknown): err is DamagedFileError {
    return SlipwayError.is(err, 'file-damaged') && typeof (err as DamagedFileError).file === 'string';
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
