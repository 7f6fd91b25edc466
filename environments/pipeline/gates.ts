/**
 * Gates guard promotion into a stage. `evaluateGates` runs every gate of a stage against the
 * source environment described by a `GateContext`, all at once (they are independent), each
 * within its timeout, and returns one `GateResult` per gate in declaration order: pass, fail,
 * pending (approvals or check runs still to come) or skipped (the run was cancelled first).
 *
 * Each kind lives in ./gates/<kind>.ts; results and approvals are stored by ./gates/store.ts.
 * No result or error ever holds a token: results are scrubbed of the values of the checks gates'
 * token variables, of any variable whose name says it is a secret, and of the source
 * environment's own secrets (its database passwords and URLs).
 */
import type { GateKind, GateSpec, StageSpec } from '../spec/types';
import { approvalGate } from './gates/approval';
import { checksGate } from './gates/checks';
import { commandGate } from './gates/command';
import { coverageGate } from './gates/coverage';
import { driftGate, healthGate } from './gates/engine';
import { licensesGate } from './gates/licenses';
import {
  errorText,
  outcome,
  type GateContext,
  type GateEvaluator,
  type GateOutcome,
  type GateResult,
  type GateRun,
} from './gates/types';
import { vulnerabilitiesGate } from './gates/vulnerabilities';
import { windowGate } from './gates/window';
import { mocksGate } from './gates/mocks';

export type { GateContext, GateResult, GateState } from './gates/types';
export { listApprovals, loadGateResults, recordApproval, saveGateResults, type Approval } from './gates/store';

/** The timeout of every gate but `command` (which has its own). */
export const DEFAULT_GATE_TIMEOUT_MS = 60_000;
/**
 * After a timeout or cancel, how long a gate that runs a process gets to stop it before the run
 * moves on: a command gets SIGTERM, then SIGKILL after 2 s; drift's stack worker is cancelled,
 * then its process group killed after `WORKER_STOP_GRACE_MS`. Other gates stop at once.
 */
const STOP_GRACE_MS = 3_000;
export const WORKER_STOP_GRACE_MS = 2_000;
const PROCESS_KINDS: ReadonlySet<GateKind> = new Set(['command', 'vulnerabilities', 'drift']);

export interface EvaluateGatesOptions {
  /** Timeout of each gate other than `command`; default 60 s. */
  defaultTimeoutMs?: number;
  /** Called with each result as soon as its gate is decided (must not throw). */
  onResult?: (result: GateResult) => void;
}

const EVALUATORS: { [K in GateKind]: GateEvaluator<K> } = {
  health: healthGate,
  drift: driftGate,
  command: commandGate,
  vulnerabilities: vulnerabilitiesGate,
  licenses: licensesGate,
  coverage: coverageGate,
  approval: approvalGate,
  window: windowGate,
  checks: checksGate,
  mocks: mocksGate,
};

/**
 * Evaluates the gates of `stage` (the stage promoted into) in parallel. A gate that exceeds its
 * timeout is `fail` ("timed out after Ns") and its command, if any, is killed; when `ctx.signal`
 * aborts, gates that have not finished are `skipped`. Never rejects for a gate's sake: an error in
 * a gate makes that gate `fail`.
 */
export async function evaluateGates(
  stage: StageSpec,
  ctx: GateContext,
  opts: EvaluateGatesOptions = {},
): Promise<GateResult[]> {
  const secrets = [
    ...new Set([...secretValues(stage, ctx.processEnv), ...(ctx.secrets ?? []).filter((v) => v.length >= 4)]),
  ].sort((a, b) => b.length - a.length);
  return Promise.all(
    stage.gates.map(async (gate) => {
      const timeoutMs = gate.kind === 'command' ? gate.timeoutMs : (opts.defaultTimeoutMs ?? DEFAULT_GATE_TIMEOUT_MS);
      const result = scrub(await runGate(stage.name, gate, ctx, timeoutMs), secrets);
      opts.onResult?.(result);
      return result;
    }),
  );
}

async function runGate(stage: string, gate: GateSpec, ctx: GateContext, timeoutMs: number): Promise<GateResult> {
  const startedAt = ctx.now().toISOString();
  const started = performance.now();
  const limits = { timeoutMs, graceMs: PROCESS_KINDS.has(gate.kind) ? STOP_GRACE_MS : 0, outer: ctx.signal };
  const decided = await withinLimits((signal) => evaluate(gate, ctx, { stage, signal }), limits);
  return {
    stage,
    name: gate.name,
    kind: gate.kind,
    ...decided,
    startedAt,
    durationMs: Math.round(performance.now() - started),
  };
}

/** Runs the gate's evaluator; an error it throws becomes a `fail`. */
async function evaluate(gate: GateSpec, ctx: GateContext, run: GateRun): Promise<GateOutcome> {
  // EVALUATORS[gate.kind] takes exactly this gate's kind; TypeScript cannot follow that through the union.
  const evaluator = EVALUATORS[gate.kind] as GateEvaluator<GateKind> as (
    g: GateSpec,
    c: GateContext,
    r: GateRun,
  ) => Promise<GateOutcome>;
  try {
    return await evaluator(gate, ctx, run);
  } catch (err) {
    return outcome('fail', `the gate could not be evaluated: ${errorText(err)}`, { error: errorText(err) });
  }
}

/**
 * Runs `work` until it finishes, `timeoutMs` passes, or `outer` aborts. On a timeout or abort the
 * work's own signal aborts, and it gets `graceMs` to stop; the evidence it reports by then (e.g. a
 * killed command's output) is kept.
 */
async function withinLimits(
  work: (signal: AbortSignal) => Promise<GateOutcome>,
  { timeoutMs, graceMs, outer }: { timeoutMs: number; graceMs: number; outer?: AbortSignal },
): Promise<GateOutcome> {
  if (outer?.aborted) return cancelled();
  const controller = new AbortController();
  const finished = work(controller.signal);
  const timers: NodeJS.Timeout[] = [];
  let onAbort = (): void => undefined;
  const stopped = new Promise<'timeout' | 'cancelled'>((resolve) => {
    timers.push(setTimeout(() => resolve('timeout'), timeoutMs));
    onAbort = () => resolve('cancelled');
    outer?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const first = await Promise.race([finished, stopped]);
    if (typeof first !== 'string') return first;
    controller.abort();
    const grace = new Promise<undefined>((resolve) => timers.push(setTimeout(() => resolve(undefined), graceMs)));
    const late = await Promise.race([finished, grace]);
    const stop = first === 'timeout' ? timedOut(timeoutMs) : cancelled();
    return late ? { ...stop, evidence: late.evidence } : stop;
  } finally {
    timers.forEach(clearTimeout);
    outer?.removeEventListener('abort', onAbort);
  }
}

function timedOut(timeoutMs: number): GateOutcome {
  return outcome('fail', `timed out after ${Number((timeoutMs / 1000).toFixed(1))}s`);
}

function cancelled(): GateOutcome {
  return outcome('skipped', 'the run was cancelled before this gate finished');
}

// ---------------------------------------------------------------------------------------------
// Keeping tokens out of results
// ---------------------------------------------------------------------------------------------

/** Names of variables whose values are secrets wherever they appear. */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSPHRASE|API_?KEY|PRIVATE_?KEY|CREDENTIAL/i;
/** Shorter values are not scrubbed: they would blank out ordinary words. */
const MIN_SECRET_LENGTH = 6;

/** The values of the stage's token variables and of secret-named variables, longest first. */
function secretValues(stage: StageSpec, vars: Record<string, string | undefined>): string[] {
  const names = new Set(stage.gates.flatMap((g) => (g.kind === 'checks' ? [g.tokenEnv] : [])));
  for (const name of Object.keys(vars)) if (SECRET_NAME.test(name)) names.add(name);
  const values = [...names]
    .map((name) => vars[name])
    .filter((v): v is string => v !== undefined && v.length >= MIN_SECRET_LENGTH);
  return [...new Set(values)].sort((a, b) => b.length - a.length);
}

/** The result with every secret value in its reason and evidence replaced by `***`. */
function scrub(result: GateResult, secrets: string[]): GateResult {
  if (secrets.length === 0) return result;
  const clean = (value: unknown): unknown => {
    if (typeof value === 'string') return secrets.reduce((text, secret) => text.split(secret).join('***'), value);
    if (Array.isArray(value)) return value.map(clean);
    if (typeof value === 'object' && value !== null)
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v)]));
    return value;
  };
  return {
    ...result,
    reason: clean(result.reason) as string,
    evidence: clean(result.evidence) as Record<string, unknown>,
  };
}
