/**
 * `slipway`: the command line face of the environment engine, for CI jobs and reviewers
 * without VS Code. It calls exactly the functions the extension calls.
 */
import { resolve, dirname } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LocalEnvironments, type EnvironmentStatus } from '../engine';
import { SlipwayError } from '../errors';
import type { SlipwayEvent } from '../events';
import { currentBranch } from '../git';
import type { Logger } from '../log';
import { loadSpec } from '../spec/load';
import type { Spec } from '../spec/types';

import packageJson from '../../package.json';

const VERSION: string = packageJson.version;

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
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

const commonHelp = `  -s, --spec FILE     the spec file (default: ./slipway.yaml)
  -b, --branch NAME   the git branch (default: the spec folder's current branch)
      --json          print one JSON document on stdout
      --backend URL   Pulumi backend URL (default: file backend under SLIPWAY_HOME, ~/.slipway)
  -v, --verbose       show Pulumi's own output
  -h, --help          show this help`;

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

function printStatus(ctx: Context, s: EnvironmentStatus): void {
  ctx.out(`${s.project} / ${s.branch}  (${s.env})  ${s.status}`);
  for (const svc of s.services) {
    const url = s.urls[svc.service] ? `  ${s.urls[svc.service]}` : '';
    ctx.out(`  ${svc.service.padEnd(12)} ${svc.state}${svc.health !== 'none' ? ` (${svc.health})` : ''}${url}`);
  }
  if (s.lastOperation?.error) ctx.out(`  last ${s.lastOperation.op} ${s.lastOperation.status}: ${s.lastOperation.error}`);
}

const commands: Record<string, Command> = {
  up: {
    summary: 'Create or update the branch environment and wait until it is healthy',
    usage: 'slipway up [--branch NAME] [--spec FILE] [--json]',
    options: common,
    async run(ctx) {
      const { spec, branch } = await specAndBranch(ctx);
      const envs = await engine(ctx);
      if (!ctx.json) ctx.err(`Previewing ${spec.name} / ${branch} ...`);
      const started = Date.now();
      const r = await envs.up(spec, branch, { signal: ctx.signal, onEvent: progress(ctx) });
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
    summary: 'Remove the branch environment: its containers, network, volumes, images and stack',
    usage: 'slipway down [--branch NAME] [--spec FILE] [--json]',
    options: common,
    async run(ctx) {
      const { spec, branch } = await specAndBranch(ctx);
      const envs = await engine(ctx);
      if (!ctx.json) ctx.err(`Tearing down ${spec.name} / ${branch} ...`);
      const r = await envs.down(spec.name, branch, { signal: ctx.signal, onEvent: progress(ctx) });
      if (ctx.json) ctx.out(JSON.stringify({ env: r.env, branch: r.branch, stack: r.stack, status: 'absent' }, null, 2));
      else ctx.out(`${spec.name} / ${branch} is gone`);
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
    io.out(`${cmd.summary}\n\nUsage: ${cmd.usage}\n\nOptions:\n${commonHelp}${name === 'list' ? '\n      --all           every project on this machine' : ''}`);
    return 0;
  }
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      io.err('Cancelling: finishing the step in flight so the state stays consistent (Ctrl+C again to quit now) ...');
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
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
