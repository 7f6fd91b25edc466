/**
 * Checks real `slipway --json` output against the schemas in schemas/cli/: one `{ data, error }`
 * envelope, or NDJSON lines (`{ event }` lines, then envelopes) for --events, --follow and --watch.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { splitCommand, valueFlags } from '../environments/cli/argv';
import { commands } from '../environments/cli/commands';

export const SCHEMA_DIR = join(__dirname, '..', 'schemas', 'cli');

const ajv = new Ajv({ allErrors: true, strict: false });
for (const f of readdirSync(SCHEMA_DIR)) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8')) as object);

const failure = ajv.compile({ $ref: 'https://slipway.dev/schemas/cli/common.schema.json#/definitions/failure' });

function validator(name: string): ValidateFunction {
  const v = ajv.getSchema(`https://slipway.dev/schemas/cli/${name}.schema.json`);
  if (!v) throw new Error(`no schema schemas/cli/${name}.schema.json for slipway ${name.replace('-', ' ')} --json`);
  return v;
}

/** The schema name of the command a command line runs: `up`, `data-check`, ...; undefined for help. */
export function schemaNameOf(args: readonly string[]): string | undefined {
  const flags = valueFlags(commands);
  const top = splitCommand(args, flags);
  if (top.name === undefined || top.name === 'help')
    return top.name === undefined && top.rest.some((a) => a === '-v' || a === '--version') ? 'version' : undefined;
  const cmd = Object.hasOwn(commands, top.name) ? commands[top.name] : undefined;
  if (!cmd?.subcommands) return top.name;
  const sub = splitCommand(top.rest, flags).name;
  return sub === undefined ? top.name : `${top.name}-${sub}`;
}

function check(v: ValidateFunction, value: unknown, what: string): void {
  if (!v(value))
    throw new Error(
      `${what} does not match its schema: ${ajv.errorsText(v.errors)}\n${JSON.stringify(value).slice(0, 2000)}`,
    );
}

/**
 * Validates `stdout` of `slipway <args>` (args holding --json): every line of an NDJSON stream, or
 * the one indented envelope. Returns the last envelope. Throws naming the command and the mismatch.
 */
export function checkJsonOutput(
  args: readonly string[],
  stdout: string,
): { data: unknown; error: { reason: string; message: string; hint: string | null } | null } {
  const name = schemaNameOf(args);
  const what = `slipway ${args.join(' ')}`;
  // A misspelt command (or subcommand) has no schema of its own: its answer is the failure envelope.
  const known =
    name !== undefined && ajv.getSchema(`https://slipway.dev/schemas/cli/${name}.schema.json`) !== undefined;
  const envelope = known ? validator(name) : failure;
  const text = stdout.trim();
  if (text === '') throw new Error(`${what}: --json printed nothing on stdout`);
  let docs: unknown[];
  try {
    docs = [JSON.parse(text)];
  } catch {
    docs = text.split('\n').map((line, i) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        throw new Error(`${what}: stdout line ${i + 1} is not JSON: ${line.slice(0, 200)}`);
      }
    });
  }
  let last: ReturnType<typeof checkJsonOutput> | undefined;
  for (const [i, doc] of docs.entries()) {
    if (doc && typeof doc === 'object' && 'event' in doc) check(validator('event'), doc, `${what}: line ${i + 1}`);
    else {
      check(envelope, doc, `${what}${docs.length > 1 ? `: line ${i + 1}` : ''}`);
      last = doc as typeof last;
    }
  }
  if (!last) throw new Error(`${what}: no { data, error } envelope closed the stream`);
  return last;
}
