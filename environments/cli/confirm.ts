// Asking before a destructive operation on a stage: only when a person is at a terminal, and never with --yes.
import { createInterface } from 'node:readline/promises';
import { SlipwayError } from '../errors';
import type { Context } from './context';
import type { OptionDef } from './options';

export const yesOption: OptionDef = {
  type: 'boolean',
  short: 'y',
  default: false,
  help: 'do not ask for confirmation (a terminal asks before changing a stage)',
};

/** Asks `question` on the terminal; a refusal ends the command with `operation-cancelled` (nothing changed). */
export async function confirmStage(ctx: Context, question: string): Promise<void> {
  if (ctx.values.yes || !ctx.interactive || ctx.json) return;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `, { signal: ctx.signal });
    if (/^y(es)?$/i.test(answer.trim())) return;
  } catch {
    // Ctrl+C or end of input while asking: no.
  } finally {
    rl.close();
  }
  throw new SlipwayError('operation-cancelled', 'Not confirmed: nothing was changed.', {
    hint: 'Answer y to go ahead, or pass --yes to skip the question.',
  });
}
