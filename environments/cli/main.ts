/**
 * `slipway`: the command line face of the environment engine, for CI jobs and reviewers
 * without VS Code. It calls exactly the functions the extension calls.
 */
import { resolve, dirname } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LocalEnvironments, type EnvironmentStatus } from '../engine';
import { SlipwayError } from '../errors';
import type { SlipwayEvent } from '../events';
import { currentActor, currentBranch } from '../git';
import type { DriftReport } from '../pipeline/drift';
import type { GateResult } from '../pipeline/gates';
import { LocalPipeline, type PromotionSource } from '../pipeline/pipeline';
import { stageBranch } from '../naming';
import type { Logger } from '../log';
import type { ResourceRef } from '../pulumi/fingerprint';
import { loadSpec } from '../spec/load';
import type { Spec } from '../spec/types';

import packageJson from '../../package.json';

const VERSION: string = packageJson.version;

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Ctrl+C simply ends the command (it changes nothing, e.g. following logs). */
  readOnly?: boolean;
  run(ctx: Context): Promise<number>;
}

interface Context {
  values: Record<string, string | boolean | undefined>;
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
  signal: AbortSignal;
}

const common = {
  spec: { type: 'string', short: 's', default: 'slipway.yaml' },
  branch: { type: 'string', short: 'b' },
  json: { type: 'boolean', default: false },
  backend: { type: 'string' },
  verbose: { type: 'boolean', short: 'v', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** One help line per option; each command's help lists exactly the options it takes. */
const optionHelp: Record<string, string> = {
  spec: '-s, --spec FILE     the spec file (default: ./slipway.yaml)',
  branch: "-b, --branch NAME   the git branch (default: the spec folder's current branch)",
  stage: '    --stage NAME    a pipeline stage (staging, production, ...)',
  from: '    --from NAME     the branch or stage to promote from (default: the current branch)',
  to: '    --to STAGE      the stage to promote to',
  as: '    --as WHO        who acts (default: git config user.email)',
  comment: '    --comment TEXT  a note kept with the approval',
  stored: '    --stored        show the evidence stored by the last run, without running the gates',
  reapply: '    --reapply       make what runs match the spec again (recreates what drifted)',
  accept: '    --accept        take what runs into the state (the spec then shows the difference)',
  resource: '    --resource NAME only this resource (as drift names it: web, web-image, db-volume, ...)',
  watch: '    --watch         keep checking, on an interval and on Docker events (Ctrl+C stops)',
  interval: '    --interval DUR  how often --watch checks (default: 30s)',
  all: '    --all           every project on this machine',
  service: '    --service NAME  a service or database, as named in the spec',
  follow: '-f, --follow        keep printing new lines (Ctrl+C stops)',
  tail: '    --tail N        lines from the end to start with (default: 100)',
  mine: '    --mine          every branch environment of the project that you (git user.email) brought up',
  json: '    --json          print JSON on stdout',
  backend: '    --backend URL   Pulumi backend URL (default: the file backend under SLIPWAY_HOME, ~/.slipway)',
  verbose: "-v, --verbose       show Pulumi's own output",
  help: '-h, --help          show this help',
  'keep-on-failure': '    --keep-on-failure on a failed first up, keep what was created (default: remove it)',
};

async function engine(ctx: Context): Promise<LocalEnvironments> {
  const verbose = !!ctx.values.verbose && !ctx.json;
  const logger: Logger = {
    trace: (m) => verbose && ctx.err(m),
    debug: (m) => verbose && ctx.err(m),
    info: (m) => ctx.err(m),
    warn: (m) => ctx.err(`warning: ${m}`),
    error: (m) => ctx.err(`error: ${m}`),
  };
  return LocalEnvironments.create({ backendUrl: ctx.values.backend as string | undefined, logger });
}

async function specAndBranch(ctx: Context): Promise<{ spec: Spec; branch: string }> {
  const spec = await loadSpec(resolve(String(ctx.values.spec)));
  const branch = (ctx.values.branch as string | undefined) ?? (await currentBranch(dirname(spec.file)));
  if (branch.startsWith('stage:')) {
    throw new SlipwayError('pipeline-invalid', `"${branch}" names a pipeline stage, not a branch: stages change only through promote and rollback.`, {
      hint: 'Use `slipway promote`, `slipway rollback`, or `slipway drift --stage NAME`.',
    });
  }
  return { spec, branch };
}

function progress(ctx: Context): (e: SlipwayEvent) => void {
  return (e) => {
    if (ctx.json) return;
    if (e.type === 'step') ctx.err(`  ${e.message}`);
    else if (e.type === 'resource' && e.op !== 'same' && e.op !== 'read') {
      const what = `${e.kind.replace(/^Docker/, '').toLowerCase()} ${e.name}`;
      if (e.phase === 'started') ctx.err(`  ${e.op.padEnd(8)} ${what} ...`);
      else if (e.phase === 'finished') ctx.err(`  ${e.op.padEnd(8)} ${what} done${e.durationMs !== undefined ? ` (${(e.durationMs / 1000).toFixed(1)}s)` : ''}`);
      else ctx.err(`  ${e.op.padEnd(8)} ${what} FAILED`);
    } else if (e.type === 'diagnostic' && e.severity === 'warning') ctx.err(`  warning: ${e.message}`);
  };
}

/** `--from` names a stage when the pipeline has one of that name (other than the first), else a branch (default: the current one). */
async function promotionSource(spec: Spec, value: string | undefined): Promise<PromotionSource> {
  const stages = spec.pipeline?.stages ?? [];
  if (value && stages.slice(1).some((s) => s.name === value)) return { stage: value };
  return { branch: value ?? (await currentBranch(spec.dir)) };
}

function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (!m) throw new SlipwayError('spec-invalid', `"${text}" is not a duration (e.g. 500ms, 30s, 5m).`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000 }[m[2] as 'ms' | 's' | 'm'];
}

function printGates(ctx: Context, results: GateResult[]): void {
  const icon: Record<GateResult['state'], string> = { pass: '✓', fail: '✗', pending: '…', skipped: '-' };
  for (const r of results) ctx.out(`  ${icon[r.state]} ${r.name.padEnd(16)} ${r.state.padEnd(8)} ${r.reason}  (${(r.durationMs / 1000).toFixed(1)}s)`);
}

function printDrift(ctx: Context, r: DriftReport): void {
  if (!r.exists) return ctx.out(`${r.project} / ${r.branch}: no environment`);
  if (!r.drifted) return ctx.out(`${r.project} / ${r.branch}: no drift (checked ${r.checkedAt})`);
  ctx.out(`${r.project} / ${r.branch}: ${r.items.length} difference(s) (checked ${r.checkedAt})`);
  for (const i of r.items) {
    const where = i.source === 'reality' ? 'running differs from state' : 'spec differs from state';
    ctx.out(`  ${i.kind} ${i.resource}  ${i.property}: declared ${i.declared}, actual ${i.actual}  [${where}; remedies: ${i.remedies.join(', ')}]`);
  }
}

function printStatus(ctx: Context, s: EnvironmentStatus): void {
  ctx.out(`${s.project} / ${s.branch}  (${s.env})  ${s.status}`);
  for (const svc of s.services) {
    const url = s.urls[svc.service] ? `  ${s.urls[svc.service]}` : '';
    ctx.out(`  ${svc.service.padEnd(12)} ${svc.state}${svc.health !== 'none' ? ` (${svc.health})` : ''}${url}`);
  }
  if (s.lastOperation?.error) ctx.out(`  last ${s.lastOperation.op} ${s.lastOperation.status}: ${s.lastOperation.error}`);
}

const pipelineOptions = {
  spec: common.spec,
  json: common.json,
  backend: common.backend,
  verbose: common.verbose,
  help: common.help,
  as: { type: 'string' },
} as const;

async function pipelineFor(ctx: Context): Promise<{ spec: Spec; pipeline: LocalPipeline; actor: string }> {
  const spec = await loadSpec(resolve(String(ctx.values.spec)));
  const envs = await engine(ctx);
  const actor = (ctx.values.as as string | undefined) ?? (await currentActor(spec.dir));
  return { spec, pipeline: new LocalPipeline(envs), actor };
}

/** The pipeline, plus the promotion named by `--from` and `--to` (gates, promote, approve). */
async function promotionFor(ctx: Context): Promise<{ spec: Spec; pipeline: LocalPipeline; actor: string; from: PromotionSource; to: string }> {
  const p = await pipelineFor(ctx);
  const to = requireValue(ctx, 'to');
  return { ...p, to, from: await promotionSource(p.spec, ctx.values.from as string | undefined) };
}

/** The engine branch key and Docker endpoint of `--stage NAME`. */
function stageTarget(spec: Spec, stage: string): { branch: string; dockerHost?: string } {
  return { branch: stageBranch(stage), dockerHost: spec.pipeline?.stages.find((s) => s.name === stage)?.dockerHost };
}

const commands: Record<string, Command> = {
  up: {
    summary: 'Create or update the branch environment and wait until it is healthy',
    usage: 'slipway up [--branch NAME] [--spec FILE] [--keep-on-failure] [--json]',
    options: { ...common, 'keep-on-failure': { type: 'boolean', default: false } },
    async run(ctx) {
      const { spec, branch } = await specAndBranch(ctx);
      const envs = await engine(ctx);
      if (!ctx.json) ctx.err(`Previewing ${spec.name} / ${branch} ...`);
      const started = Date.now();
      const r = await envs.up(spec, branch, { signal: ctx.signal, onEvent: progress(ctx), keepOnFailure: !!ctx.values['keep-on-failure'] });
      if (ctx.json) {
        ctx.out(JSON.stringify({ env: r.env, branch: r.branch, stack: r.stack, status: 'running', urls: r.urls }, null, 2));
      } else {
        ctx.out(`${spec.name} / ${branch} is running (${((Date.now() - started) / 1000).toFixed(1)}s)`);
        for (const [svc, url] of Object.entries(r.urls)) ctx.out(`  ${svc.padEnd(12)} ${url}`);
      }
      return 0;
    },
  },
  down: {
    summary: 'Remove the branch (or stage) environment: its containers, network, volumes, images and stack',
    usage: 'slipway down [--branch NAME | --stage NAME | --mine] [--spec FILE] [--json]',
    options: { ...common, stage: { type: 'string' }, mine: { type: 'boolean', default: false } },
    async run(ctx) {
      if (ctx.values.mine) return downMine(ctx);
      const stage = ctx.values.stage as string | undefined;
      const { spec, branch, dockerHost } = stage
        ? await loadSpec(resolve(String(ctx.values.spec))).then((s) => ({ spec: s, ...stageTarget(s, stage) }))
        : { ...(await specAndBranch(ctx)), dockerHost: undefined };
      const envs = await engine(ctx);
      if (!ctx.json) ctx.err(`Tearing down ${spec.name} / ${branch} ...`);
      const r = await envs.down(spec.name, branch, { signal: ctx.signal, onEvent: progress(ctx), dockerHost });
      if (ctx.json) ctx.out(JSON.stringify({ env: r.env, branch: r.branch, stack: r.stack, status: 'absent' }, null, 2));
      else ctx.out(`${spec.name} / ${branch} is gone`);
      return 0;
    },
  },
  logs: {
    summary: "Print a service's container logs (stdout and stderr); --follow keeps printing",
    usage: 'slipway logs --service NAME [--branch NAME] [--tail N] [--follow] [--spec FILE]',
    options: { ...common, service: { type: 'string' }, follow: { type: 'boolean', short: 'f', default: false }, tail: { type: 'string', default: '100' } },
    readOnly: true,
    async run(ctx) {
      const { spec, branch } = await specAndBranch(ctx);
      const service = requireService(ctx, spec);
      const tail = Number(ctx.values.tail);
      if (!Number.isInteger(tail) || tail < 0) throw new SlipwayError('spec-invalid', `--tail ${String(ctx.values.tail)} is not a number of lines.`);
      const envs = await engine(ctx);
      await envs.logs(spec.name, branch, service, { tail, follow: !!ctx.values.follow, signal: ctx.signal, onLine: ctx.out });
      return 0;
    },
  },
  restart: {
    summary: "Restart a service's container (same container, same URL) and wait until it is healthy",
    usage: 'slipway restart --service NAME [--branch NAME] [--spec FILE]',
    options: { ...common, service: { type: 'string' } },
    async run(ctx) {
      const { spec, branch } = await specAndBranch(ctx);
      const service = requireService(ctx, spec);
      const envs = await engine(ctx);
      if (!ctx.json) ctx.err(`Restarting ${service} of ${spec.name} / ${branch} ...`);
      await envs.restart(spec.name, branch, service, { signal: ctx.signal });
      if (ctx.json) ctx.out(JSON.stringify({ branch, service, status: 'healthy' }, null, 2));
      else ctx.out(`${service} restarted and healthy`);
      return 0;
    },
  },
  url: {
    summary: "Print the URL of the branch environment's service (the link to share; default: its first published service)",
    usage: 'slipway url [--service NAME] [--branch NAME] [--spec FILE] [--json]',
    options: { ...common, service: { type: 'string' } },
    async run(ctx) {
      const { spec, branch } = await specAndBranch(ctx);
      const envs = await engine(ctx);
      const s = await envs.status(spec.name, branch);
      const wanted = ctx.values.service as string | undefined;
      if (wanted) requireService(ctx, spec);
      const service = wanted ?? Object.keys(s.urls)[0];
      const url = service ? s.urls[service] : undefined;
      if (!url || s.status === 'absent') {
        throw new SlipwayError('service-not-found', `${spec.name} / ${branch} has ${s.status === 'absent' ? 'no environment' : `no URL for ${service ?? 'any service'}`}.`, {
          hint: s.status === 'absent' ? 'Bring it up first: slipway up' : 'Only services with published ports have a URL.',
        });
      }
      ctx.out(ctx.json ? JSON.stringify({ branch, service, url }, null, 2) : url);
      return 0;
    },
  },
  status: {
    summary: "Show the branch environment's state, services and URLs",
    usage: 'slipway status [--branch NAME] [--spec FILE] [--json]',
    options: common,
    async run(ctx) {
      const { spec, branch } = await specAndBranch(ctx);
      const envs = await engine(ctx);
      const s = await envs.status(spec.name, branch);
      if (ctx.json) ctx.out(JSON.stringify(s, null, 2));
      else printStatus(ctx, s);
      return 0;
    },
  },
  drift: {
    summary: 'Show what differs between the spec, the state and what runs (exit 3 when anything does)',
    usage: 'slipway drift [--branch NAME | --stage NAME] [--reapply | --accept] [--resource NAME] [--watch [--interval 30s]] [--json]',
    options: {
      ...common,
      stage: { type: 'string' },
      reapply: { type: 'boolean' },
      accept: { type: 'boolean' },
      resource: { type: 'string' },
      watch: { type: 'boolean' },
      interval: { type: 'string', default: '30s' },
    },
    async run(ctx) {
      const spec = await loadSpec(resolve(String(ctx.values.spec)));
      const stage = ctx.values.stage as string | undefined;
      const { branch, dockerHost } = stage ? stageTarget(spec, stage) : { branch: (ctx.values.branch as string | undefined) ?? (await currentBranch(spec.dir)), dockerHost: undefined };
      const envs = await engine(ctx);
      const opts = { signal: ctx.signal, onEvent: progress(ctx), dockerHost };
      const remedy = ctx.values.reapply ? 'reapply' : ctx.values.accept ? 'accept' : undefined;
      const named = ctx.values.resource as string | undefined;
      if (named && (!remedy || ctx.values.watch)) throw new SlipwayError('spec-invalid', '--resource goes with --reapply or --accept (and not --watch).');
      // One resource: its drifted kinds (a service has a container and an image) from a check first.
      const resources = named ? await driftedResources(envs, spec, branch, opts, named, remedy!) : undefined;
      const check = () =>
        remedy === 'reapply'
          ? envs.reapply(spec, branch, { ...opts, resources })
          : remedy === 'accept'
            ? envs.acceptDrift(spec, branch, { ...opts, resources })
            : envs.drift(spec, branch, opts);
      const show = (r: DriftReport) => (ctx.json ? ctx.out(JSON.stringify(r, null, 2)) : printDrift(ctx, r));
      if (!ctx.values.watch) {
        const report = await check();
        show(report);
        return report.drifted ? 3 : 0;
      }
      // One report each time the drift changes; with --json, one compact JSON document per line.
      let last = '';
      for await (const report of envs.watchDrift(spec, branch, { ...opts, intervalMs: parseDuration(String(ctx.values.interval)) })) {
        const key = JSON.stringify(report.items);
        if (key !== last) {
          if (ctx.json) ctx.out(JSON.stringify(report));
          else printDrift(ctx, report);
        }
        last = key;
      }
      return 0;
    },
  },
  gates: {
    summary: "Run the gates of a promotion and show each one's state, reason and evidence",
    usage: 'slipway gates --to STAGE [--from BRANCH|STAGE] [--stored] [--json]',
    options: { ...pipelineOptions, from: { type: 'string' }, to: { type: 'string' }, stored: { type: 'boolean' } },
    async run(ctx) {
      const { spec, pipeline, actor, from, to } = await promotionFor(ctx);
      const results = ctx.values.stored
        ? pipeline.storedGates(spec, from, to)
        : await pipeline.gates(spec, from, to, { actor, signal: ctx.signal, onEvent: progress(ctx) });
      if (ctx.json) ctx.out(JSON.stringify(results, null, 2));
      else printGates(ctx, results);
      return results.every((r) => r.state === 'pass') ? 0 : 1;
    },
  },
  promote: {
    summary: 'Promote a branch or stage to the next stage, if its gates pass: the same image digests, never a rebuild',
    usage: 'slipway promote --to STAGE [--from BRANCH|STAGE] [--as WHO] [--json]',
    options: { ...pipelineOptions, from: { type: 'string' }, to: { type: 'string' } },
    async run(ctx) {
      const { spec, pipeline, actor, from, to } = await promotionFor(ctx);
      const r = await pipeline.promote(spec, from, to, { actor, signal: ctx.signal, onEvent: progress(ctx) });
      if (ctx.json) ctx.out(JSON.stringify(r, null, 2));
      else {
        ctx.out(`${spec.name}: ${to} runs release ${r.release}`);
        printGates(ctx, r.gates);
        for (const [svc, id] of Object.entries(r.images)) ctx.out(`  ${svc.padEnd(12)} ${id}`);
        for (const [svc, url] of Object.entries(r.urls)) ctx.out(`  ${svc.padEnd(12)} ${url}`);
      }
      return 0;
    },
  },
  approve: {
    summary: "Approve promoting a branch or stage's current commit to a stage (the author's own approval does not count)",
    usage: 'slipway approve --to STAGE [--from BRANCH|STAGE] [--as WHO] [--comment TEXT]',
    options: { ...pipelineOptions, from: { type: 'string' }, to: { type: 'string' }, comment: { type: 'string' } },
    async run(ctx) {
      const { spec, pipeline, actor, from, to } = await promotionFor(ctx);
      const r = await pipeline.approve(spec, from, to, { actor, comment: ctx.values.comment as string | undefined });
      if (ctx.json) ctx.out(JSON.stringify(r, null, 2));
      else ctx.out(`Approved by ${actor}. Approvers so far: ${r.approvers.join(', ')}`);
      return 0;
    },
  },
  rollback: {
    summary: 'Return a stage to its previous release',
    usage: 'slipway rollback --stage STAGE [--as WHO] [--json]',
    options: { ...pipelineOptions, stage: { type: 'string' } },
    async run(ctx) {
      const { spec, pipeline, actor } = await pipelineFor(ctx);
      const r = await pipeline.rollback(spec, requireValue(ctx, 'stage'), { actor, signal: ctx.signal, onEvent: progress(ctx) });
      if (ctx.json) ctx.out(JSON.stringify(r, null, 2));
      else {
        ctx.out(`${spec.name}: ${r.stage} runs release ${r.release} (a rollback)`);
        for (const [svc, id] of Object.entries(r.images)) ctx.out(`  ${svc.padEnd(12)} ${id}`);
      }
      return 0;
    },
  },
  history: {
    summary: 'Show the audit log: promotions, rollbacks, gate runs and approvals (and whether it is intact)',
    usage: 'slipway history [--stage STAGE] [--json]',
    options: { ...pipelineOptions, stage: { type: 'string' } },
    async run(ctx) {
      const { spec, pipeline } = await pipelineFor(ctx);
      const h = pipeline.history(spec, ctx.values.stage as string | undefined);
      if (ctx.json) ctx.out(JSON.stringify(h, null, 2));
      else {
        for (const e of h.entries) {
          const from = e.from ? ` from ${e.from.kind} ${e.from.name}${e.from.commit ? `@${e.from.commit.slice(0, 8)}` : ''}` : '';
          ctx.out(`${String(e.seq).padStart(4)} ${e.at} ${e.actor} ${e.action} ${e.stage}${from}${e.release ? ` release ${e.release}` : ''}${e.note ? ` (${e.note})` : ''}`);
        }
        ctx.out(h.verification.ok ? `audit log intact (${h.verification.entries} entries)` : `AUDIT LOG BROKEN at entry ${h.verification.broken?.seq}: ${h.verification.broken?.problem}`);
      }
      return h.verification.ok ? 0 : 1;
    },
  },
  list: {
    summary: "List the spec project's environments (all projects with --all)",
    usage: 'slipway list [--spec FILE | --all] [--json]',
    options: { ...common, all: { type: 'boolean', default: false } },
    async run(ctx) {
      const project = ctx.values.all ? undefined : (await loadSpec(resolve(String(ctx.values.spec)))).name;
      const envs = await engine(ctx);
      const all = await envs.list(project);
      if (ctx.json) ctx.out(JSON.stringify(all, null, 2));
      else if (all.length === 0) ctx.out(project ? `No environments for ${project}.` : 'No environments.');
      else for (const s of all) printStatus(ctx, s);
      return 0;
    },
  },
};

/** The drifted resources named `name` that `remedy` applies to; an error naming the drifted ones if there are none. */
async function driftedResources(
  envs: LocalEnvironments,
  spec: Spec,
  branch: string,
  opts: { signal: AbortSignal; dockerHost?: string },
  name: string,
  remedy: 'reapply' | 'accept',
): Promise<ResourceRef[]> {
  const report = await envs.drift(spec, branch, opts);
  const kinds = new Set(report.items.filter((i) => i.resource === name && i.remedies.includes(remedy)).map((i) => (i.kind === 'generatedpassword' ? 'password' : i.kind)));
  if (kinds.size === 0) {
    const others = [...new Set(report.items.filter((i) => i.remedies.includes(remedy)).map((i) => i.resource))];
    throw new SlipwayError('spec-invalid', `${spec.name} / ${branch}: resource "${name}" has no drift that --${remedy} can fix.`, {
      hint: others.length ? `Drifted: ${others.join(', ')}.` : 'Nothing has drifted.',
    });
  }
  return [...kinds].map((kind) => ({ kind: kind as ResourceRef['kind'], name }));
}

/** `--service`, checked against the spec's services. */
function requireService(ctx: Context, spec: Spec): string {
  const service = ctx.values.service as string | undefined;
  const names = [...spec.services.map((s) => s.name), ...spec.databases.map((d) => d.name)];
  if (!service) throw new SlipwayError('service-not-found', `--service is required: one of ${names.join(', ')}.`);
  if (!names.includes(service)) throw new SlipwayError('service-not-found', `${spec.file} has no service "${service}": it has ${names.join(', ')}.`);
  return service;
}

/** `down --mine`: every branch environment of the project whose owner is the current git user (stages belong to the team). */
async function downMine(ctx: Context): Promise<number> {
  if (ctx.values.branch || ctx.values.stage) throw new SlipwayError('spec-invalid', '--mine takes no --branch or --stage.');
  const spec = await loadSpec(resolve(String(ctx.values.spec)));
  const me = await currentActor(spec.dir);
  const envs = await engine(ctx);
  const mine = (await envs.list(spec.name)).filter((s) => s.owner === me && !s.branch.startsWith('stage:'));
  if (!ctx.json) ctx.err(mine.length ? `Tearing down ${mine.length} environment(s) of ${spec.name} brought up by ${me} ...` : `No environment of ${spec.name} was brought up by ${me}.`);
  const gone: string[] = [];
  for (const s of mine) {
    await envs.down(spec.name, s.branch, { signal: ctx.signal, onEvent: progress(ctx) });
    gone.push(s.branch);
    if (!ctx.json) ctx.out(`${spec.name} / ${s.branch} is gone`);
  }
  if (ctx.json) ctx.out(JSON.stringify({ owner: me, removed: gone }, null, 2));
  return 0;
}

function requireValue(ctx: Context, name: string): string {
  const v = ctx.values[name];
  if (typeof v !== 'string' || !v) throw new SlipwayError('pipeline-invalid', `--${name} is required.`);
  return v;
}

function mainHelp(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return `slipway ${VERSION}: per-branch preview environments on Docker, tracked by Pulumi

Usage: slipway <command> [options]

Commands:
${lines.join('\n')}

Run \`slipway <command> --help\` for a command's options.
Environment: SLIPWAY_HOME (state folder, default ~/.slipway), DOCKER_HOST, SLIPWAY_BACKEND_URL.`;
}

export async function main(argv: string[], io = { out: (t: string) => console.log(t), err: (t: string) => console.error(t) }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp());
    return name ? 0 : 2;
  }
  if (name === '--version') {
    io.out(VERSION);
    return 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    io.err(`slipway: unknown command "${name}". Run \`slipway --help\` for the list.`);
    return 2;
  }
  let values: Context['values'];
  try {
    values = parseArgs({ args: rest, options: cmd.options, allowPositionals: false, strict: true }).values as Context['values'];
  } catch (err) {
    io.err(`slipway ${name}: ${(err as Error).message}\nUsage: ${cmd.usage}`);
    return 2;
  }
  if (values.help) {
    const lines = Object.keys(cmd.options).map((k) => `  ${optionHelp[k] ?? `    --${k}`}`);
    io.out(`${cmd.summary}\n\nUsage: ${cmd.usage}\n\nOptions:\n${lines.join('\n')}`);
    return 0;
  }
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      if (!cmd.readOnly) io.err('Cancelling: finishing the step in flight so the state stays consistent (Ctrl+C again to quit now) ...');
      controller.abort();
    } else process.exit(130);
  };
  process.on('SIGINT', onSigint);
  const ctx: Context = { values, json: !!values.json, out: io.out, err: io.err, signal: controller.signal };
  try {
    return await cmd.run(ctx);
  } catch (err) {
    if (SlipwayError.is(err)) {
      if (ctx.json) io.out(JSON.stringify({ error: { reason: err.reason, message: err.message, hint: err.hint } }, null, 2));
      io.err(`slipway ${name}: ${err.message}${err.hint ? `\n  ${err.hint}` : ''}`);
      return err.reason === 'operation-cancelled' ? 130 : 1;
    }
    io.err(`slipway ${name}: unexpected error: ${(err as Error).stack ?? String(err)}`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

if (require.main === module) {
  let settled = false;
  // Node exits quietly, with status 0, when nothing is left to wait for: a command whose work
  // ended that way did not finish, and must not look as if it had.
  process.on('beforeExit', () => {
    if (settled) return;
    settled = true;
    console.error('slipway: the command stopped before it finished (nothing left to wait for); this is a bug in Slipway.');
    process.exitCode = 70;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      settled = true;
      process.exitCode = code;
    },
    (err) => {
      settled = true;
      console.error(err);
      process.exitCode = 1;
    },
  );
}
