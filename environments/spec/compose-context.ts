// The compose document being mapped: where a field is (its line), interpolation, and what was not mapped.
import type { Document, LineCounter } from 'yaml';
import { interpolate, type Vars } from './compose-values';

/** Something of the compose file that the spec does not carry, and where it is. */
export interface Unmapped {
  /** 1-based line in the compose file. */
  line: number;
  /** Dotted path in the compose file, e.g. `services.web.entrypoint`. */
  field: string;
  reason: string;
}

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What services that use a PostgreSQL service's database need of it. */
export interface DbInfo {
  password?: string;
  user: string;
  database: string;
}

/** Service keys that Slipway handles its own way, so dropping them loses nothing. */
export const HANDLED_ELSEWHERE = new Set([
  'restart',
  'container_name',
  'expose',
  'networks',
  'init',
  'hostname',
  'labels',
  'stop_grace_period',
  'stop_signal',
  'logging',
  'pull_policy',
  'platform',
]);

export class ComposeContext {
  readonly unmapped: Unmapped[] = [];
  readonly notes: string[] = [];
  /** Compose service name to its Slipway name. */
  readonly names = new Map<string, string>();
  /** Compose services that another waits for to complete (`service_completed_successfully`): Slipway jobs. */
  readonly jobs = new Set<string>();

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    readonly dir: string,
    readonly vars: Vars,
  ) {}

  line(path: Array<string | number>): number {
    for (let p = path; p.length; p = p.slice(0, -1)) {
      const node = this.doc.getIn(p, true) as { range?: [number, number] } | undefined;
      const pair = p.length ? this.keyNode(p) : undefined;
      const offset = pair ?? node?.range?.[0];
      if (offset !== undefined) return this.lines.linePos(offset).line;
    }
    return 1;
  }

  private keyNode(path: Array<string | number>): number | undefined {
    const parent = path.length > 1 ? this.doc.getIn(path.slice(0, -1), true) : this.doc.contents;
    const items = (parent as { items?: Array<{ key?: { value?: unknown; range?: [number, number] } }> } | undefined)
      ?.items;
    const key = items?.find((i) => i.key && String(i.key.value) === String(path[path.length - 1]))?.key;
    return key?.range?.[0];
  }

  skip(path: Array<string | number>, reason: string): void {
    this.unmapped.push({ line: this.line(path), field: path.join('.'), reason });
  }

  /** Interpolated as Compose does; a variable with no value is listed (unless `quiet`: the value is replaced anyway). */
  str(value: unknown, path: Array<string | number>, quiet = false): string {
    const { text, missing } = interpolate(String(value), this.vars);
    if (!quiet)
      for (const v of missing) this.skip(path, `\${${v}} has no value in .env and no default; it was left empty`);
    return text;
  }
}
