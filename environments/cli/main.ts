// `slipway`: the command line face of the environment engine (for CI jobs and reviewers without VS Code): dispatch, signals, exit codes.
//
// It calls exactly the functions the extension calls. Each command is one file in commands/
// with one option table (options.ts); SIGINT, SIGTERM and SIGHUP cancel cleanly; every error
// maps to one exit code (exit.ts).
import { SlipwayError } from '../errors';
import { commands } from './commands';
import { asSlipwayError, type Command, type Context } from './context';
import { EXIT, SIGNAL_EXIT, exitCodeFor, exitTableText, type CancelSignal } from './exit';
import { commandHelp, parseOptions, type OptionValues } from './options';

import packageJson from '../../package.json';
import { positionalAsOption } from './positional';

const VERSION: string = packageJson.version;

export function mainHelp(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return `slipway ${VERSION}: per-branch preview environments on Docker, tracked by Pulumi

Usage: slipway <command> [options]

Commands:
${lines.join('\n')}

Run \`slipway <command> --help\` for a command's options.

Exit codes:
${exitTableText()}

Environment: SLIPWAY_HOME (state folder, default ~/.slipway), DOCKER_HOST, SLIPWAY_BACKEND_URL.`;
}

/** `slipway data --help`: the subcommands of a command made of them. */
export function subcommandHelp(name: string, cmd: Command): string {
  const subs = Object.entries(cmd.subcommands ?? {});
  const width = Math.max(...subs.map(([n]) => n.length)) + 2;
  return [
    cmd.summary,
    '',
    `Usage: slipway ${name} <${subs.map(([n]) => n).join('|')}> [options]`,
    '',
    'Subcommands:',
    ...subs.map(([n, c]) => `  ${n.padEnd(width)}${c.summary}`),
    '',
    `Run \`slipway ${name} <subcommand> --help\` for its options.`,
  ].join('\n');
}

/** The subcommand a command made of them names (`data init`), with its arguments; an exit code when there is none to run. */
function pickSubcommand(name: string, cmd: Command, rest: string[], io: Io): { name: string; cmd: Command; rest: string[] } | number {
  if (!cmd.subcommands) return { name, cmd, rest };
  const [sub, ...subRest] = rest;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(subcommandHelp(name, cmd));
    return sub ? EXIT.ok : EXIT.usage;
  }
  if (!Object.hasOwn(cmd.subcommands, sub)) {
    io.err(`slipway ${name}: unknown subcommand ${JSON.stringify(sub)}; see \`slipway ${name} --help\` for the list.`);
    return EXIT.usage;
  }
  return { name: `${name} ${sub}`, cmd: cmd.subcommands[sub], rest: positionalAsOption(cmd.subcommands[sub], subRest) };
}

export interface Io {
  out: (t: string) => void;
  err: (t: string) => void;
}

export async function main(argv: string[], io: Io = { out: (t) => console.log(t), err: (t) => console.error(t) }): Promise<number> {
  let [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp());
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version') {
    io.out(VERSION);
    return EXIT.ok;
  }
  const top = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!top) {
    io.err(`slipway: unknown command ${JSON.stringify(name)}; see \`slipway --help\` for the list.`);
    return EXIT.usage;
  }
  const picked = pickSubcommand(name, top, rest, io);
  if (typeof picked === 'number') return picked;
  const { cmd } = picked;
  name = picked.name;
  rest = picked.rest;
  let values: OptionValues;
  try {
    values = parseOptions(name, cmd.options, rest);
  } catch (err) {
    const e = asSlipwayError(err);
    io.err(`slipway ${name}: ${e.message}`);
    return exitCodeFor(e.reason);
  }
  if (values.help) {
    io.out(commandHelp(name, cmd.summary, cmd.options));
    return EXIT.ok;
  }

  // The first signal cancels: the step in flight finishes, the record says cancelled. A second one quits at once.
  const controller = new AbortController();
  let received: CancelSignal | undefined;
  const onSignal = (sig: CancelSignal) => {
    if (received) process.exit(SIGNAL_EXIT[sig]);
    received = sig;
    if (!cmd.readOnly) {
      const again = sig === 'SIGINT' ? 'Ctrl+C again to quit now' : 'a second signal quits now';
      io.err(`Cancelling${sig === 'SIGINT' ? '' : ` (${sig})`}: finishing the step in flight so the state stays consistent (${again}) ...`);
    }
    controller.abort();
  };
  const handlers = (Object.keys(SIGNAL_EXIT) as CancelSignal[]).map((sig) => [sig, () => onSignal(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);

  const ctx: Context = { command: name, values, json: !!values.json, out: io.out, err: io.err, signal: controller.signal };
  try {
    return await cmd.run(ctx);
  } catch (raw) {
    const err = asSlipwayError(raw);
    if (ctx.json) io.out(JSON.stringify({ error: { reason: err.reason, message: err.message, hint: err.hint } }, null, 2));
    io.err(`slipway ${name}: ${err.message}${err.hint ? `\n  ${err.hint}` : ''}`);
    if (ctx.values.verbose && raw instanceof Error && !SlipwayError.is(raw)) io.err(raw.stack ?? String(raw));
    return exitCodeFor(err.reason, received);
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}

if (require.main === module) {
  let settled = false;
  // A hung-up terminal makes writes fail: that must not turn a clean cancel into a crash.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
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
      process.exitCode = EXIT.failed;
    },
  );
}
