// The CLI's option tables: one table per command, from which parsing, `--help`, required and conflicting options all come.
import { parseArgs } from 'node:util';
import { SlipwayError } from '../errors';
import { suggestions } from './argv';

export interface OptionDef {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's name in help and usage (FILE, NAME, ...); string options only. */
  arg?: string;
  default?: string | boolean;
  help: string;
  /** The command cannot run without it. */
  required?: boolean;
  /** Options that cannot be given together with this one (either side may declare the pair). */
  conflicts?: string[];
  /** This option means something only together with one of these. */
  needs?: string[];
}

export type OptionTable = Record<string, OptionDef>;
export type OptionValues = Record<string, string | boolean | undefined>;

/** The options most commands share. */
export const common = {
  spec: {
    type: 'string',
    short: 's',
    arg: 'FILE',
    help: 'the spec file (default: ./slipway.yaml, else ./slipway.yml)',
  },
  branch: {
    type: 'string',
    short: 'b',
    arg: 'NAME',
    help: "the git branch (default: the spec folder's current branch)",
  },
  json: {
    type: 'boolean',
    default: false,
    help: 'print the result as JSON on stdout: { "data": ..., "error": null } (see schemas/cli/)',
  },
  events: {
    type: 'boolean',
    default: false,
    help: 'with --json: stream progress as NDJSON { "event": ... } lines before the result',
    needs: ['json'],
  },
  backend: {
    type: 'string',
    arg: 'URL',
    help: 'Pulumi backend URL (default: the file backend under SLIPWAY_HOME, ~/.slipway)',
  },
  'docker-host': {
    type: 'string',
    arg: 'URL',
    help: 'Docker endpoint: unix:///path, tcp://host:port, ssh://user@host, context:NAME (default: DOCKER_HOST, DOCKER_CONTEXT, the Docker CLI current context, the local socket)',
  },
  verbose: { type: 'boolean', short: 'v', default: false, help: "show Pulumi's own output" },
  timings: {
    type: 'boolean',
    default: false,
    help: 'print where the time went, per phase, on stderr (with --json, also as data.timings)',
  },
  help: { type: 'boolean', short: 'h', default: false, help: 'show this help' },
} as const satisfies OptionTable;

/** The options that end every command that reaches an environment: output, backend, endpoint, verbosity, help. */
export const engineOptions = {
  json: common.json,
  events: common.events,
  backend: common.backend,
  'docker-host': common['docker-host'],
  verbose: common.verbose,
  timings: common.timings,
  help: common.help,
} as const satisfies OptionTable;

/** The options of a command on one branch's environment: which branch, which spec, then `engineOptions`. */
export const branchEnvironmentOptions = {
  branch: common.branch,
  spec: common.spec,
  ...engineOptions,
} as const satisfies OptionTable;

/** As `branchEnvironmentOptions`, or a pipeline stage's environment instead of a branch's (`--stage`). */
export const targetEnvironmentOptions = {
  branch: { ...common.branch, conflicts: ['stage'] },
  stage: { type: 'string', arg: 'NAME', help: 'a pipeline stage (staging, production, ...)' },
  spec: common.spec,
  ...engineOptions,
} as const satisfies OptionTable;

/** A usage error: what was wrong on the command line, in one line; exit 2. */
export function usageError(command: string, message: string): SlipwayError {
  return new SlipwayError('usage', `${message}; see \`slipway ${command} --help\``);
}

/** Flag as written on a command line: `--name`. */
const flag = (name: string) => `--${name}`;

/** Every conflicting pair of a table, each once, in table order. */
export function conflictPairs(table: OptionTable): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [name, def] of Object.entries(table)) {
    for (const other of def.conflicts ?? []) {
      if (!pairs.some(([a, b]) => (a === name && b === other) || (a === other && b === name)))
        pairs.push([name, other]);
    }
  }
  return pairs;
}

/**
 * Parses `args` against `table`: unknown options, missing values, unexpected arguments,
 * missing required options, conflicting pairs and options without the one they need all
 * throw a `usage` SlipwayError naming the option. Defaults fill what was not given.
 */
export function parseOptions(command: string, table: OptionTable, args: string[], positional?: string): OptionValues {
  const options = Object.fromEntries(
    Object.entries(table).map(([name, d]) => [name, d.short ? { type: d.type, short: d.short } : { type: d.type }]),
  );
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const values: OptionValues = {};
  for (const t of tokens) {
    if (t.kind === 'positional') {
      // `logs web` for `logs --service web`: one bare word may stand for the command's positional option.
      if (positional === undefined || values[positional] !== undefined)
        throw usageError(command, `unexpected argument ${JSON.stringify(t.value)}`);
      values[positional] = t.value;
      continue;
    }
    if (t.kind === 'option-terminator') continue;
    const def = Object.hasOwn(table, t.name) ? table[t.name] : undefined;
    if (!def) {
      const near = t.rawName.startsWith('--') ? suggestions(t.name, Object.keys(table)).slice(0, 2) : [];
      throw usageError(
        command,
        `unknown option ${t.rawName}${near.length ? ` (did you mean ${near.map(flag).join(' or ')}?)` : ''}`,
      );
    }
    if (def.type === 'boolean') {
      if (t.value !== undefined) throw usageError(command, `${t.rawName} takes no value`);
      values[t.name] = true;
      continue;
    }
    // `--spec --json`: a value that is itself an option is a missing value (write `--spec=-x` for such a value).
    if (t.value === undefined || (!t.inlineValue && t.value.startsWith('-') && t.value.length > 1))
      throw usageError(command, `${t.rawName} needs a value (${def.arg ?? 'VALUE'})`);
    if (t.name === positional && values[t.name] !== undefined)
      throw usageError(command, `${t.rawName} was given twice (once as a bare word)`);
    if (t.value === '')
      throw usageError(command, `${t.rawName} needs a value (${def.arg ?? 'VALUE'}), not an empty one`);
    values[t.name] = t.value;
  }
  if (values.help) return withDefaults(table, values);
  for (const [a, b] of conflictPairs(table)) {
    if (values[a] !== undefined && values[b] !== undefined)
      throw usageError(command, `${flag(a)} and ${flag(b)} cannot be used together`);
  }
  for (const [name, def] of Object.entries(table)) {
    if (def.required && values[name] === undefined)
      throw usageError(command, `${flag(name)}${def.type === 'string' ? ` ${def.arg ?? 'VALUE'}` : ''} is required`);
    if (def.needs && values[name] !== undefined && !def.needs.some((n) => values[n] !== undefined)) {
      throw usageError(command, `${flag(name)} goes with ${def.needs.map(flag).join(' or ')}`);
    }
  }
  return withDefaults(table, values);
}

function withDefaults(table: OptionTable, values: OptionValues): OptionValues {
  const out: OptionValues = { ...values };
  for (const [name, def] of Object.entries(table))
    if (out[name] === undefined && def.default !== undefined) out[name] = def.default;
  return out;
}

/** `slipway drift [--branch NAME] ...`: required options first, bare; then the others in brackets. */
export function usageLine(command: string, table: OptionTable, positional?: string): string {
  const shown = Object.entries(table).filter(([name]) => !['help', 'verbose', 'backend', 'docker-host'].includes(name));
  const one = ([name, d]: [string, OptionDef]) =>
    d.type === 'string' ? `${flag(name)} ${d.arg ?? 'VALUE'}` : flag(name);
  const required = shown.filter(([, d]) => d.required).map(one);
  const optional = shown.filter(([, d]) => !d.required).map((o) => `[${one(o)}]`);
  const bare = positional ? [`[${table[positional]?.arg ?? 'VALUE'}]`] : [];
  return ['slipway', command, ...bare, ...required, ...optional].join(' ');
}

/** A command's `--help`: summary, usage, one line per option, the pairs that exclude each other, and where exit codes are listed. */
export function commandHelp(command: string, summary: string, table: OptionTable, positional?: string): string {
  const left = (name: string, d: OptionDef) =>
    `${d.short ? `-${d.short}, ` : '    '}${flag(name)}${d.type === 'string' ? ` ${d.arg ?? 'VALUE'}` : ''}`;
  const width = Math.max(...Object.entries(table).map(([n, d]) => left(n, d).length)) + 2;
  const lines = Object.entries(table).map(([n, d]) => {
    const notes = [d.required ? 'required' : '', d.needs ? `with ${d.needs.map(flag).join(' or ')}` : ''].filter(
      Boolean,
    );
    return `  ${left(n, d).padEnd(width)}${d.help}${notes.length ? ` (${notes.join('; ')})` : ''}`;
  });
  const pairs = conflictPairs(table).map(([a, b]) => `${flag(a)} with ${flag(b)}`);
  return [
    `${summary}`,
    '',
    `Usage: ${usageLine(command, table, positional)}`,
    ...(positional ? [`  (${table[positional]?.arg ?? 'VALUE'} alone stands for --${positional})`] : []),
    '',
    'Options:',
    ...lines,
    ...(pairs.length ? ['', `Not together: ${pairs.join(', ')}.`] : []),
    '',
    'Exit codes: see `slipway --help` (0 ok, 1 failed, 2 usage, 3 drift, 4 blocked, 130/143/129 cancelled by a signal).',
  ].join('\n');
}
