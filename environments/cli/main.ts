// `slipway`: the command line face of the environment engine (for CI jobs and reviewers without VS Code): dispatch, signals, exit codes.
//
// It calls exactly the functions the extension calls. Each command is one file in commands/
// with one option table (options.ts); flags may come before or after the command (argv.ts);
// SIGINT, SIGTERM and SIGHUP cancel cleanly; every error maps to one exit code (exit.ts) and,
// with --json, to the one error envelope (json.ts).
// First: before anything loads dockerode.
import './lazy-docker-parts';
import { SlipwayError } from '../errors';
import { didYouMean, splitCommand, valueFlags } from './argv';
import { colourFor, paint } from './colour';
import { commands } from './commands';
import { asSlipwayError } from './as-error';
import type { Command, Context } from './context';
import { EXIT, SIGNAL_EXIT, exitCodeFor, type CancelSignal } from './exit';
import { helpFor, mainHelp as mainHelpFor, subcommandHelp } from './help';
import { envelopeText, errorEnvelope, wantsJson } from './json';
import { commandHelp, parseOptions, usageError, type OptionValues } from './options';
import { runAsProcess } from './process';
import { runTimed } from './timings';

import { version } from '../../package.json';

export const VERSION: string = version;
export { subcommandHelp };

export function mainHelp(): string {
  return mainHelpFor(VERSION, commands);
}

export interface Io {
  out: (t: string) => void;
  err: (t: string) => void;
  /** Colour on stderr/stdout text for people (default: from the process's streams and NO_COLOR). */
  colour?: boolean;
  /** A person at a terminal who can answer a confirmation (default: stdin and stderr are TTYs). */
  interactive?: boolean;
}

const defaultIo = (): Io => ({
  out: (t) => console.log(t),
  err: (t) => console.error(t),
  // Both streams: `slipway status | less` must get no escapes on stdout even though stderr is a terminal.
  colour: colourFor(process.stdout) && colourFor(process.stderr),
  interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
});

/** The command (or subcommand) named on the command line, with its arguments. */
type Picked = { name: string; cmd: Command; rest: string[] };

/** A usage error or a help text instead of a command to run. */
type Answer = { text: string; code: number } | SlipwayError;

function pick(argv: string[], flags: ReadonlySet<string>): Picked | Answer {
  const { name, rest } = splitCommand(argv, flags);
  const only = (...words: string[]) =>
    rest.some((a) => words.includes(a)) && rest.every((a) => words.includes(a) || a === '--json');
  if (name === undefined) {
    if (only('--version', '-v'))
      return pickCommand(
        'version',
        rest.filter((a) => a === '--json'),
      );
    if (only('--help', '-h')) return { text: mainHelp(), code: EXIT.ok };
    return rest.length
      ? new SlipwayError('usage', 'a command is needed; see `slipway --help` for the list')
      : { text: mainHelp(), code: EXIT.usage };
  }
  if (name === 'help') {
    const words = splitCommand(rest, flags);
    if (words.name === undefined) return { text: mainHelp(), code: EXIT.ok };
    const more = splitCommand(words.rest, flags).name;
    return { text: helpFor(more === undefined ? [words.name] : [words.name, more], commands), code: EXIT.ok };
  }
  return pickCommand(name, rest, flags);
}

function pickCommand(name: string, rest: string[], flags: ReadonlySet<string> = new Set()): Picked | Answer {
  if (!Object.hasOwn(commands, name)) {
    return new SlipwayError('usage', `unknown command ${JSON.stringify(name)}`, {
      hint: `${didYouMean(name, Object.keys(commands))}See \`slipway --help\` for the list.`,
    });
  }
  const cmd = commands[name];
  if (!cmd.subcommands) return { name, cmd, rest };
  const sub = splitCommand(rest, flags);
  if (sub.name === undefined) {
    const asked = sub.rest.some((a) => a === '--help' || a === '-h');
    return { text: subcommandHelp(name, cmd), code: asked ? EXIT.ok : EXIT.usage };
  }
  if (sub.name === 'help') return { text: subcommandHelp(name, cmd), code: EXIT.ok };
  if (!Object.hasOwn(cmd.subcommands, sub.name)) {
    return new SlipwayError('usage', `unknown subcommand ${JSON.stringify(sub.name)} of slipway ${name}`, {
      hint: `${didYouMean(sub.name, Object.keys(cmd.subcommands), `slipway ${name}`)}See \`slipway ${name} --help\` for the list.`,
    });
  }
  return { name: `${name} ${sub.name}`, cmd: cmd.subcommands[sub.name], rest: sub.rest };
}

export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  const json = wantsJson(argv);
  const colours = paint(io.colour ?? false);
  let name = 'slipway';
  let events = false;
  /** A failure: the error envelope on stdout with --json, the message (and hint) on stderr always. */
  const fail = (err: SlipwayError, signal?: CancelSignal): number => {
    if (json) io.out(envelopeText(errorEnvelope(err), events));
    const who = name === 'slipway' ? 'slipway' : `slipway ${name}`;
    io.err(`${colours.red(`${who}:`)} ${err.message}${err.hint ? `\n  ${err.hint}` : ''}`);
    return exitCodeFor(err.reason, signal);
  };

  let picked: Picked | Answer;
  try {
    picked = pick(argv, valueFlags(commands));
  } catch (err) {
    return fail(asSlipwayError(err));
  }
  if (picked instanceof SlipwayError) return fail(picked);
  if ('text' in picked) {
    if (json) return fail(usageError('help', '--json is not supported here: help is text for people'));
    io.out(picked.text);
    return picked.code;
  }
  const { cmd, rest } = picked;
  name = picked.name;
  if (json && !Object.hasOwn(cmd.options, 'json')) {
    return fail(usageError(name, `--json is not supported: slipway ${name} prints text only`));
  }
  let values: OptionValues;
  try {
    values = parseOptions(name, cmd.options, rest, cmd.positional);
  } catch (err) {
    return fail(asSlipwayError(err));
  }
  events = !!values.events && json;
  if (values.help) {
    io.out(commandHelp(name, cmd.summary, cmd.options, cmd.positional));
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
      io.err(
        `Cancelling${sig === 'SIGINT' ? '' : ` (${sig})`}: finishing the step in flight so the state stays consistent (${again}) ...`,
      );
    }
    controller.abort();
  };
  const handlers = (Object.keys(SIGNAL_EXIT) as CancelSignal[]).map((sig) => [sig, () => onSignal(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);

  const ctx: Context = {
    command: name,
    values,
    json,
    events,
    paint: json ? paint(false) : colours,
    interactive: io.interactive ?? false,
    out: io.out,
    err: io.err,
    signal: controller.signal,
  };
  try {
    return await runTimed(ctx, () => cmd.run(ctx));
  } catch (raw) {
    const code = fail(asSlipwayError(raw), received);
    if (ctx.values.verbose && raw instanceof Error && !SlipwayError.is(raw)) io.err(raw.stack ?? String(raw));
    return code;
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}

// A CommonJS build of this file run as the program (dist/slipway.js); the ES-module build starts from start.ts.
if (typeof module !== 'undefined' && require.main === module) runAsProcess(main);
