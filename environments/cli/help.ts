// The CLI's help texts: the command list (`slipway --help`), a command made of subcommands, and `slipway help <command>`.
import { SlipwayError } from '../errors';
import { didYouMean } from './argv';
import type { Command } from './context';
import { exitTableText } from './exit';
import { commandHelp } from './options';

export function mainHelp(version: string, commands: Record<string, Command>): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `slipway ${version}: per-branch preview environments on Docker, tracked by Pulumi

Usage: slipway <command> [options]   (options may also come before the command)

Commands:
${lines.join('\n')}

Run \`slipway help <command>\` (or \`slipway <command> --help\`) for a command's options.
\`slipway -v\` (or \`slipway version\`) prints the version; \`slipway completion bash|zsh|fish\` a shell completion script.

JSON: with --json every command that supports it prints { "data": ..., "error": null } on success and
{ "data": null, "error": { "reason", "message", "hint" } } on failure; --json --events streams
{ "event": ... } lines first. Commands without --json refuse it (exit 2).

Exit codes:
${exitTableText()}

Environment: SLIPWAY_HOME (state folder, default ~/.slipway), DOCKER_HOST, DOCKER_CONTEXT, SLIPWAY_BACKEND_URL, NO_COLOR.`;
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
    `Run \`slipway help ${name} <subcommand>\` for its options.`,
  ].join('\n');
}

/** The help of one command (or subcommand) named by `words` (`help up`, `help data init`); a usage error suggesting the nearest names for an unknown one. */
export function helpFor(words: readonly string[], commands: Record<string, Command>): string {
  const [name, sub] = words;
  if (!Object.hasOwn(commands, name)) {
    throw new SlipwayError('usage', `unknown command ${JSON.stringify(name)}`, {
      hint: `${didYouMean(name, Object.keys(commands), 'slipway help')}See \`slipway --help\` for the list.`,
    });
  }
  const cmd = commands[name];
  if (!cmd.subcommands) {
    if (sub !== undefined)
      throw new SlipwayError('usage', `slipway ${name} has no subcommands; see \`slipway help ${name}\``);
    return commandHelp(name, cmd.summary, cmd.options, cmd.positional);
  }
  if (sub === undefined) return subcommandHelp(name, cmd);
  if (!Object.hasOwn(cmd.subcommands, sub)) {
    throw new SlipwayError('usage', `unknown subcommand ${JSON.stringify(sub)} of slipway ${name}`, {
      hint: `${didYouMean(sub, Object.keys(cmd.subcommands), `slipway help ${name}`)}See \`slipway help ${name}\`.`,
    });
  }
  const s = cmd.subcommands[sub];
  return commandHelp(`${name} ${sub}`, s.summary, s.options, s.positional);
}
