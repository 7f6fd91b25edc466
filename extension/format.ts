/** Short human texts for the view, the status bar and messages (no `vscode` here: unit-tested in plain Node). */
import type { SlipwayEvent } from '../environments/events';
import { kindLabel } from '../environments/kinds';
import { formatMemory } from '../environments/spec/units';

/** `3m`, `5h`, `2d 4h`. */
export function shortDuration(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

/** `just now` under a minute, else `5m ago`, `2d 4h ago`. */
export function ago(ms: number): string {
  return ms < 60_000 ? 'just now' : `${shortDuration(ms)} ago`;
}

/** `2d 4h left · up 5h`, `expired 3h ago · up 1d`: time left first, so a narrow view still shows it. */
export function ageAndTtl(createdAt: string | undefined, expiresAt: number | undefined, now = Date.now()): string {
  const parts: string[] = [];
  if (expiresAt !== undefined)
    parts.push(
      expiresAt > now ? `${shortDuration(expiresAt - now)} left` : `expired ${shortDuration(now - expiresAt)} ago`,
    );
  if (createdAt) parts.push(`up ${shortDuration(now - Date.parse(createdAt))}`);
  return parts.join(' · ');
}

/** The label of an environment: its branch, or `stage: <name>` for a pipeline stage. */
export function envLabel(branch: string): string {
  return branch.startsWith('stage:') ? `stage: ${branch.slice('stage:'.length)}` : branch;
}

const VERBS: Record<string, [string, string]> = {
  create: ['creating', 'created'],
  update: ['updating', 'updated'],
  replace: ['replacing', 'replaced'],
  'create-replacement': ['creating', 'created'],
  'delete-replaced': ['removing old', 'removed old'],
  delete: ['removing', 'removed'],
  read: ['reading', 'read'],
  refresh: ['checking', 'checked'],
  same: ['checking', 'unchanged:'],
};

/** The progress text of an engine event, or undefined for events not worth a line. */
export function describeEvent(e: SlipwayEvent): string | undefined {
  switch (e.type) {
    case 'resource': {
      const kind = kindLabel(e.kind);
      // Names repeat their kind (`web-image`, `db-volume`, `network`): say it once.
      const word = kind.split(' ').pop() ?? kind;
      const name = e.name === word ? '' : e.name.endsWith(`-${word}`) ? e.name.slice(0, -word.length - 1) : e.name;
      const what = name ? `${kind} ${name}` : kind;
      const [doing, done] = VERBS[e.op] ?? [e.op, e.op];
      if (e.phase === 'started') return `${doing} ${what}…`;
      if (e.phase === 'failed') return `${doing} ${what} failed`;
      return `${done} ${what}${e.durationMs ? ` (${(e.durationMs / 1000).toFixed(1)}s)` : ''}`;
    }
    case 'step':
      return e.message;
    case 'gate':
      return `gate ${e.name}: ${e.state}`;
    case 'seed':
      // A step of the seed, or one table's rows and rows/s so far.
      if (e.message) return `${e.database}: ${e.message}`;
      return `${e.database} ${e.table ?? ''}: ${(e.rows ?? 0).toLocaleString('en')} rows (${(e.rowsPerSecond ?? 0).toLocaleString('en')} rows/s)${e.done ? ' done' : ''}`;
    default:
      return undefined;
  }
}

/** The top-level `name:` of a spec, read without loading the YAML parser (activation stays light). */
export function projectNameOf(text: string): string | undefined {
  const m = /^name:[ \t]*(["']?)([^"'#\r\n]+?)\1[ \t]*(?:#.*)?$/m.exec(text);
  return m?.[2].trim() || undefined;
}

/**
 * A notification's text for a core message: its first line, and when that line introduces a list
 * ("2 of 4 gate(s) do not pass:"), the list folded into it, so the message names what blocks.
 */
export function messageSummary(message: string, max = 400): string {
  const [first, ...rest] = message.split('\n');
  const items = rest.map((l) => l.trim()).filter(Boolean);
  if (!first.trimEnd().endsWith(':') || items.length === 0) return first;
  const text = `${first.trimEnd()} ${items.join('; ')}`;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A message and what to do next, as two sentences. */
export function withHint(message: string, hint: string | undefined): string {
  if (!hint) return message;
  return `${/[.!?…:]$/.test(message.trimEnd()) ? message.trimEnd() : `${message.trimEnd()}.`} ${hint}`;
}

/**
 * A drift value as slipway.yaml writes it: a memory limit in bytes (`268435456`) becomes
 * `256Mi` (the core's `formatMemory`); everything else is shown as the core reports it.
 */
export function driftValue(property: string, value: string): string {
  return /^memory(Bytes)?$/.test(property) && /^\d+$/.test(value) ? formatMemory(Number(value)) : value;
}
