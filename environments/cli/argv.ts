// Finding the command in a command line whatever the flags' places (`slipway --json up` = `slipway up --json`), and "did you mean" for a misspelt one.
import type { Command } from './context';

/** The flags of every command (and subcommand) that take a value, as written: `--spec`, `-s`, ... */
export function valueFlags(commands: Record<string, Command>): Set<string> {
  const flags = new Set<string>();
  const add = (table: Record<string, Command>) => {
    for (const cmd of Object.values(table)) {
      for (const [name, def] of Object.entries(cmd.options)) {
        if (def.type !== 'string') continue;
        flags.add(`--${name}`);
        if (def.short) flags.add(`-${def.short}`);
      }
      if (cmd.subcommands) add(cmd.subcommands);
    }
  };
  add(commands);
  return flags;
}

/**
 * The first word of `args` that is neither a flag nor a flag's value, and the rest with the flags
 * that came before it moved after it, in their order: `--json up -b x` gives `up` and `--json -b x`.
 */
export function splitCommand(
  args: readonly string[],
  withValue: ReadonlySet<string>,
): { name?: string; rest: string[] } {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return { rest: [...args] };
    if (!a.startsWith('-') || a === '-') return { name: a, rest: [...args.slice(0, i), ...args.slice(i + 1)] };
    if (withValue.has(a)) i++; // `--spec FILE`: the next word is its value
  }
  return { rest: [...args] };
}

/** Edit distance (insertions, deletions, substitutions, and two neighbours swapped count one each), for names of a few letters. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The names close enough to `word` to be what was meant (a third of its letters wrong at most, or a prefix), nearest first. */
export function suggestions(word: string, names: readonly string[]): string[] {
  const limit = Math.max(1, Math.floor(word.length / 3));
  return names
    .map((n) => ({ n, d: n.startsWith(word) && word.length >= 2 ? 0 : editDistance(word.toLowerCase(), n) }))
    .filter((x) => x.d <= limit)
    .sort((x, y) => x.d - y.d)
    .map((x) => x.n);
}

/** "Did you mean `slipway up`? " (or nothing), to open a hint. */
export function didYouMean(word: string, names: readonly string[], prefix = 'slipway'): string {
  const near = suggestions(word, names);
  if (near.length === 0) return '';
  return `Did you mean ${near
    .slice(0, 3)
    .map((n) => `\`${prefix} ${n}\``)
    .join(' or ')}? `;
}
