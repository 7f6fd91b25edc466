// The `--source` option the `slipway data` commands share, checked without ever showing its password.
import { sourceUrlProblem } from '../../data';
import { str, type Context } from '../context';
import { usageError, type OptionDef } from '../options';

export const sourceOption: OptionDef = {
  type: 'string',
  arg: 'URL',
  required: true,
  help: 'the source PostgreSQL database, postgres://user:password@host:port/database (read only; the password is never shown)',
};

/** The checked `--source` URL; a usage error (exit 2) when it is not a PostgreSQL URL. */
export function sourceUrl(ctx: Context): string {
  const url = str(ctx, 'source') ?? '';
  const problem = sourceUrlProblem(url);
  if (problem) throw usageError(ctx.command, problem);
  return url;
}
