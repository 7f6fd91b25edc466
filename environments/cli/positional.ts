// A command's leading bare argument (`slipway mocks log payments`) read as the option its table names.
import type { Command } from './context';

/** `['payments', '--json']` with `positional: 'mock'` → `['--mock', 'payments', '--json']`; other arguments are left to the parser. */
export function positionalAsOption(cmd: Command, args: string[]): string[] {
  const [first, ...rest] = args;
  if (!cmd.positional || first === undefined || first.startsWith('-')) return args;
  return [`--${cmd.positional}`, first, ...rest];
}
