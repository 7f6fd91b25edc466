/**
 * The shapes shared by the gate runner (../gates.ts) and the evaluators of each gate kind.
 */
import type { GateKind, GateSpec } from '../../spec/types';

/**
 * - `pass`: the gate allows the promotion;
 * - `fail`: it does not, until something changes (a test is fixed, a freeze ends);
 * - `pending`: not yet decided (approvals or check runs still to come);
 * - `skipped`: the run was cancelled before the gate finished.
 */
export type GateState = 'pass' | 'fail' | 'pending' | 'skipped';

/** The result of one gate: what it decided, why, and what it saw. Stored, so a reviewer sees the same later. */
export interface GateResult {
  /** The stage the gate guards (promotion into it). */
  stage: string;
  /** `GateSpec.name`. */
  name: string;
  kind: GateKind;
  state: GateState;
  /** One human sentence: why this state. */
  reason: string;
  /** What was seen: output tail, counts, approvers, window, check runs... Never a secret. */
  evidence: Record<string, unknown>;
  /** ISO time (from the context's clock) when the gate started. */
  startedAt: string;
  durationMs: number;
}

/** Everything a gate may look at. The engine builds it for the source environment of a promotion. */
export interface GateContext {
  project: string;
  /** The source environment's name. */
  env: string;
  branch: string;
  /** The source environment's commit sha. */
  commit: string;
  /** Who authored or requested the promotion (git user email or --as); their own approval does not count. */
  author: string;
  /** Folder of slipway.yaml: the default working folder of commands. */
  specDir: string;
  /** SLIPWAY_HOME: where approvals and results are stored. */
  home: string;
  /** The clock (injected by tests). */
  now: () => Date;
  /** Cancels the run: commands are stopped and unfinished gates are `skipped`. */
  signal?: AbortSignal;
  /**
   * Environment variables: tokens for remote checks, and the environment of commands (on top of
   * this process's own). Values are never logged or stored: results are scrubbed of token values.
   */
  processEnv: Record<string, string | undefined>;
  /** The source environment's secret values (database passwords and URLs): scrubbed from every result. */
  secrets?: string[];
  /** HTTP client of remote checks (tests pass one that reaches a local server through `apiUrl`). */
  fetch: typeof fetch;
  /** What the approval gate checks signatures against (the pipeline provides it). */
  approvals?: ApprovalContext;
  /** Provided by the engine: health of every service in the source environment. `signal`: the gate run's own (its timeout or cancel). */
  health(
    signal?: AbortSignal,
  ): Promise<{ ok: boolean; services: Array<{ service: string; state: string; health: string }> }>;
  /**
   * Provided by the engine: drift of the source environment, from a stack worker. When `signal`
   * (the gate run's own: its timeout or cancel) aborts, the worker is cancelled, then killed.
   */
  drift(signal?: AbortSignal): Promise<{ drifted: boolean; count: number; summary: string[] }>;
}

/** The promotion as approvers sign it, and the protected facts approvals are judged by. */
export interface ApprovalContext {
  /** The canonical statement of this promotion (approvalStatement). */
  statement: string;
  /** Where the rules were read, e.g. `main@1a2b3c4d5e6f`. */
  rulesSource: string;
  /** A file as the protected ref has it (an allowed_signers path); undefined when absent. */
  readSigners(path: string): Promise<string | undefined>;
  /** Who authored, committed or signed the promoted range (signers checked against `allowedSigners`). */
  identities(allowedSigners: string): Promise<{ principals: string[]; basis: string; range: string; commits: number }>;
}

/** What an evaluator decides; the runner adds the stage, name, kind and timing. */
export interface GateOutcome {
  state: GateState;
  reason: string;
  evidence: Record<string, unknown>;
}

/** What one evaluation gets besides the context: the stage it guards and its own signal (timeout or cancel). */
export interface GateRun {
  stage: string;
  signal: AbortSignal;
}

/** Evaluates one gate of kind `K`. It may throw; the runner turns an error into a `fail`. */
export type GateEvaluator<K extends GateKind> = (
  gate: Extract<GateSpec, { kind: K }>,
  ctx: GateContext,
  run: GateRun,
) => Promise<GateOutcome>;

export function outcome(state: GateState, reason: string, evidence: Record<string, unknown> = {}): GateOutcome {
  return { state, reason, evidence };
}

/** The message of an error, or the thing itself as text. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
