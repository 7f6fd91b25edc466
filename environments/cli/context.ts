// What every CLI command shares: its context (options, output, cancellation), the engine, the spec and branch, stage names, and typed errors.
import { timePhase } from '../timings';
import { dirname, resolve } from 'node:path';
import { LocalEnvironments, type EnvironmentStatus, type StatusOptions } from '../engine';
import { SlipwayError, formatSpecIssue } from '../errors';
import type { SlipwayEvent } from '../events';
import { currentBranch } from '../git';
import type { Logger } from '../log';
import { stageBranch } from '../naming';
import { kindLabel } from '../kinds';
import { findSpecFile } from '../spec/discover';
import { seedLine } from './seed-progress';
import { loadSpec } from '../spec/load';
import { tryParseDuration } from '../spec/units';
import type { Spec } from '../spec/types';
import type { Paint } from './colour';
import { eventText } from './json';
import { usageError, type OptionTable, type OptionValues } from './options';

export { asSlipwayError } from './as-error';

export interface Context {
  /** The command's name, for messages (`slipway <command>: ...`). */
  command: string;
  values: OptionValues;
  json: boolean;
  /** `--json --events`: progress goes to stdout as NDJSON `{ "event" }` lines before the closing envelope. */
  events: boolean;
  /** Colour for what people read (off in a pipe and with NO_COLOR). */
  paint: Paint;
  /** A person is at a terminal (stdin and stderr are TTYs): destructive stage operations ask first. */
  interactive: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
  signal: AbortSignal;
}

export interface Command {
  summary: string;
  options: OptionTable;
  /** The option a bare word on the command line stands for (`logs web` = `logs --service web`). */
  positional?: string;
  /** A signal simply ends the command (it changes nothing, e.g. following logs). */
  readOnly?: boolean;
  /** A command made of subcommands (`slipway data init`): each one's own options and run; the command's `run` is never called. */
  subcommands?: Record<string, Command>;
  run(ctx: Context): Promise<number>;
}

export function str(ctx: Context, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === 'string' ? v : undefined;
}

export async function engine(ctx: Context): Promise<LocalEnvironments> {
  const verbose = !!ctx.values.verbose && !ctx.json;
  const logger: Logger = {
    trace: (m) => verbose && ctx.err(m),
    debug: (m) => verbose && ctx.err(m),
    info: (m) => ctx.err(m),
    warn: (m) => ctx.err(`warning: ${m}`),
    error: (m) => ctx.err(`error: ${m}`),
  };
  return LocalEnvironments.create({
    backendUrl: str(ctx, 'backend'),
    dockerHost: str(ctx, 'docker-host') || undefined,
    logger,
  });
}

export async function specOf(ctx: Context): Promise<Spec> {
  const given = str(ctx, 'spec');
  const spec = await timePhase('spec load', () =>
    loadSpec(given === undefined ? findSpecFile(process.cwd()) : resolve(given)),
  );
  for (const w of spec.warnings ?? []) ctx.err(`${ctx.paint.yellow('warning')}: ${formatSpecIssue(w)}`);
  return spec;
}

/** A branch from the command line: never a stage's engine key (`stage:NAME`), which only promote and rollback change. */
export function checkBranch(ctx: Context, branch: string, option = '--branch'): string {
  if (branch.startsWith('stage:')) {
    throw usageError(
      ctx.command,
      `${option} ${JSON.stringify(branch)} names a pipeline stage, not a branch (stages change only through promote and rollback; use --stage NAME where a command takes one)`,
    );
  }
  return branch;
}

export async function specAndBranch(ctx: Context): Promise<{ spec: Spec; branch: string }> {
  const spec = await specOf(ctx);
  const given = str(ctx, 'branch');
  const branch =
    given !== undefined
      ? checkBranch(ctx, given)
      : await timePhase('git branch', () => currentBranch(dirname(spec.file)));
  return { spec, branch };
}

/** Stage names as the spec's schema allows them. */
const STAGE_NAME = /^[a-z][a-z0-9-]{0,30}$/;

/** The stages a command can name (every stage but the first, which is the per-branch previews). */
export function namedStages(spec: Spec): string[] {
  return (spec.pipeline?.stages ?? []).slice(1).map((s) => s.name);
}

/** `--stage` / `--to` checked against the spec's stages (and a safe name): else a usage error listing the valid ones. */
export function checkStage(ctx: Context, spec: Spec, value: string, option = '--stage'): string {
  const stages = namedStages(spec);
  if (STAGE_NAME.test(value) && stages.includes(value)) return value;
  const valid = stages.length
    ? `its stages are ${stages.join(', ')}`
    : 'it declares no pipeline stages besides the previews';
  throw usageError(ctx.command, `${option} ${JSON.stringify(value)} is not a stage of ${spec.file}: ${valid}`);
}

/** The engine branch key and Docker endpoint of a checked stage. */
export function stageTarget(spec: Spec, stage: string): { branch: string; dockerHost?: string } {
  return { branch: stageBranch(stage), dockerHost: spec.pipeline?.stages.find((s) => s.name === stage)?.dockerHost };
}

/** The branch (or, with `--stage`, the stage) a command acts on. */
export async function target(
  ctx: Context,
): Promise<{ spec: Spec; branch: string; dockerHost?: string; stage?: string }> {
  const stage = str(ctx, 'stage');
  if (stage === undefined) return specAndBranch(ctx);
  const spec = await specOf(ctx);
  return { spec, stage: checkStage(ctx, spec, stage), ...stageTarget(spec, stage) };
}

export function notFound(project: string, branch: string, stage?: string): SlipwayError {
  const what = stage ? `Stage ${stage} of ${project}` : `${project} / ${branch}`;
  return new SlipwayError('not-found', `${what} has no environment.`, {
    hint: stage
      ? `Promote to ${stage} first: slipway promote --to ${stage}`
      : `Bring it up first: slipway up --branch ${JSON.stringify(branch)}`,
  });
}

/** The environment's status; a `not-found` error when there is none. `opts.health: false`: no HTTP health probe. */
export async function requireEnvironment(
  envs: LocalEnvironments,
  project: string,
  branch: string,
  dockerHost?: string,
  stage?: string,
  opts?: StatusOptions,
): Promise<EnvironmentStatus> {
  const s = await envs.status(project, branch, dockerHost, opts);
  if (s.status === 'absent') throw notFound(project, branch, stage);
  return s;
}

export function progress(ctx: Context): (e: SlipwayEvent) => void {
  return (e) => {
    if (ctx.events) return ctx.out(eventText(e));
    if (ctx.json) return;
    if (e.type === 'step') ctx.err(`  ${e.message}`);
    else if (e.type === 'resource' && e.op !== 'same' && e.op !== 'read') {
      const what = `${kindLabel(e.kind)} ${e.name}`;
      if (e.phase === 'started') ctx.err(`  ${e.op.padEnd(8)} ${what} ...`);
      else if (e.phase === 'finished')
        ctx.err(
          `  ${e.op.padEnd(8)} ${what} done${e.durationMs !== undefined ? ` (${(e.durationMs / 1000).toFixed(1)}s)` : ''}`,
        );
      else ctx.err(`  ${e.op.padEnd(8)} ${what} ${ctx.paint.red('FAILED')}`);
    } else if (e.type === 'diagnostic' && e.severity === 'warning')
      ctx.err(`  ${ctx.paint.yellow('warning')}: ${e.message}`);
    else if (e.type === 'seed') ctx.err(`  ${seedLine(e)}`);
  };
}

/** `--service`, checked against the spec's services and databases. */
export function checkService(spec: Spec, service: string): string {
  const names = [...spec.services.map((s) => s.name), ...spec.databases.map((d) => d.name)];
  if (!names.includes(service))
    throw new SlipwayError(
      'service-not-found',
      `${spec.file} has no service "${service}": it has ${names.join(', ')}.`,
    );
  return service;
}

/** A duration option (`--ttl 2h`, `--by 4h`) in ms; undefined when not given; a usage error when not a positive duration. */
export function durationOption(ctx: Context, name: string): number | undefined {
  const text = str(ctx, name);
  if (text === undefined) return undefined;
  const ms = tryParseDuration(text);
  if (!(ms !== undefined && ms > 0))
    throw usageError(ctx.command, `--${name} ${JSON.stringify(text)} is not a duration (such as 30m, 2h or 3d)`);
  return ms;
}
