/** Column transformers and the row masker: deterministic under the masking key, unique columns kept unique. */
import { SlipwayError } from '../errors';
import type { CopyFormat } from './copy-format';
import { fakeWriter } from './fake-bytes';
import { fake } from './fakes';
import type { BatchHmac } from './hmac-batch';
import type { MaskingKey } from './keyed';
import { memoized } from './memo';
import type { Transformer } from './policy';

/** A cell in PostgreSQL's text form; null is SQL NULL. */
export type Cell = string | null;

/** Masks one non-null value; `attempt` > 0 asks for a different output (a unique column's collision). */
export type CellMask = (value: string, attempt: number) => Cell;

/**
 * Masks one non-null value given as its UTF-8 bytes (`from`..`to` of `data`), first attempt only:
 * the same output as the transformer's `CellMask` for the decoded string, without decoding it.
 */
export type BytesMask = (data: Uint8Array, from: number, to: number) => Cell;

/**
 * Masks one non-null value given as its UTF-8 bytes straight into a COPY stream's bytes: writes
 * them at `out[at]` (which has `max` bytes of room) and returns where they end. The bytes of the
 * transformer's `CellMask` output for the decoded string, encoded for COPY text (or, in the binary
 * format, that output's UTF-8).
 */
export interface BytesWriter {
  max: number;
  write(data: Uint8Array, from: number, to: number, out: Uint8Array, at: number): number;
  /** The digest's message prefix (the transformer's kind), for a stream that computes the digests of many values at once. */
  prefix: Uint8Array;
  /** As `write`, from the value's keyed digest (`prefix` then the value's bytes) already computed. */
  fromDigest(digest: Buffer, out: Uint8Array, at: number): number;
}

const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint', 'int2', 'int4', 'int8']);
const MAX_INT: Record<string, number> = { smallint: 32767, int2: 32767, integer: 2 ** 31 - 1, int4: 2 ** 31 - 1 };

/** Builds the masking function of one transformer for a column of SQL type `type`. */
export function compileTransformer(t: Transformer, key: MaskingKey, type: string): CellMask {
  const suffixed = (out: string, attempt: number) => (attempt > 0 ? `${out}-${attempt}` : out);
  switch (t.kind) {
    case 'keep':
      return (v) => v;
    case 'null':
      return () => null;
    case 'redact':
      return (_v, attempt) => (t.value === null ? null : suffixed(String(t.value), attempt));
    case 'hash':
      return (v, attempt) => hashed(key.digest('hash', v, attempt), t.length, type);
    case 'fake': {
      const kind = `fake:${t.fake}`;
      return (v, attempt) => fake(t.fake, key.digest(kind, v, attempt));
    }
    case 'scramble':
      return (v, attempt) => scramble(v, key.bytes('scramble', v, attempt, v.length));
    case 'dateShift':
      return (v, attempt) => shiftDate(v, t.days, key.unit('dateShift', v, attempt));
    case 'noise':
      return (v, attempt) => addNoise(v, t.percent, key.unit('noise', v, attempt), INTEGER_TYPES.has(type));
    case 'regex':
      return (v, attempt) => suffixed(v.replace(t.pattern, t.replace), attempt);
    case 'json': {
      const rules = t.paths.map((p) => ({ path: p.path, mask: compileTransformer(p.transformer, key, 'text') }));
      return (v, attempt) => {
        let doc: unknown;
        try {
          doc = JSON.parse(v);
        } catch {
          return null; // not JSON (a text column): nothing to keep safely
        }
        for (const rule of rules) doc = maskPath(doc, rule.path, (leaf) => rule.mask(leaf, attempt));
        return JSON.stringify(doc);
      };
    }
    case 'template':
      // Filled by the row masker from the row's other masked cells.
      return (v) => v;
  }
}

/** The `hash` transformer's output from its digest. */
function hashed(d: Buffer, length: number, type: string): string {
  if (INTEGER_TYPES.has(type)) return String(d.readUIntBE(0, 6) % (MAX_INT[type] ?? Number.MAX_SAFE_INTEGER));
  return d.toString('hex').slice(0, length);
}

/** The byte-input form of a transformer whose output depends on its value's digest alone (fakes, hashes); else undefined. */
export function compileBytesMask(t: Transformer, key: MaskingKey, type: string): BytesMask | undefined {
  if (t.kind === 'hash') {
    const digest = key.bytesDigest('hash');
    return (data, from, to) => hashed(digest(data, from, to), t.length, type);
  }
  if (t.kind !== 'fake') return undefined;
  const digest = key.bytesDigest(`fake:${t.fake}`);
  return (data, from, to) => fake(t.fake, digest(data, from, to));
}

/**
 * The byte-writing form of a fake whose kind has one (names, emails, phone numbers); else
 * undefined. It writes COPY text, or for `binary` the value's own UTF-8.
 */
export function compileBytesWriter(
  t: Transformer,
  key: MaskingKey,
  form: CopyFormat = 'text',
): BytesWriter | undefined {
  const writer = t.kind === 'fake' ? fakeWriter(t.fake, form) : undefined;
  if (t.kind !== 'fake' || writer === undefined) return undefined;
  const digest = key.bytesDigest(`fake:${t.fake}`);
  return {
    max: writer.max,
    write: (data, from, to, out, at) => writer.write(digest(data, from, to), out, at),
    prefix: key.prefix(`fake:${t.fake}`),
    fromDigest: (d, out, at) => writer.write(d, out, at),
  };
}

const DIGITS = '0123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();

/** Same length and character classes (digit, lower, upper, other letter as lower); punctuation and spaces kept. */
export function scramble(value: string, bytes: Buffer): string {
  const chars = [...value];
  return chars
    .map((c, i) => {
      const b = bytes[i % bytes.length] ^ (i >> 5);
      if (c >= '0' && c <= '9') return DIGITS[b % 10];
      if (c >= 'a' && c <= 'z') return LOWER[b % 26];
      if (c >= 'A' && c <= 'Z') return UPPER[b % 26];
      if (/\p{L}/u.test(c)) return LOWER[b % 26];
      return c;
    })
    .join('');
}

/** Shifts the date part of a date or timestamp by 1..days days either way (never 0); the time part is kept. */
export function shiftDate(value: string, days: number, u: number): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})(.*)$/s.exec(value);
  if (!m) return value.replace(/\d/g, '0');
  const magnitude = 1 + (Math.floor(u * 2 * days) % days);
  const shift = u < 0.5 ? -magnitude : magnitude;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + shift * 86_400_000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}${m[4]}`;
}

/** Changes a number by up to `percent` percent, keeping its number of decimals (integers stay integers). */
export function addNoise(value: string, percent: number, u: number, integer: boolean): string {
  const n = Number(value);
  if (!Number.isFinite(n)) return value;
  const decimals = integer ? 0 : (/\.(\d+)$/.exec(value)?.[1].length ?? 0);
  const out = n * (1 + ((u * 2 - 1) * percent) / 100);
  return out.toFixed(decimals);
}

/** Applies `mask` to the scalar leaves at `path` (`*`: every element or member). */
function maskPath(node: unknown, path: string[], mask: (leaf: string) => Cell): unknown {
  if (path.length === 0) {
    if (node === null || node === undefined) return node;
    if (typeof node === 'object') return mask(JSON.stringify(node));
    const out = mask(String(node));
    if (typeof node === 'number' && out !== null && out.trim() !== '' && Number.isFinite(Number(out)))
      return Number(out);
    return out;
  }
  const [head, ...rest] = path;
  if (Array.isArray(node)) {
    if (head === '*') return node.map((item) => maskPath(item, rest, mask));
    const i = Number(head);
    if (Number.isInteger(i) && i < node.length) node[i] = maskPath(node[i], rest, mask);
    return node;
  }
  if (node && typeof node === 'object') {
    const obj = node as Record<string, unknown>;
    for (const k of head === '*' ? Object.keys(obj) : [head]) if (k in obj) obj[k] = maskPath(obj[k], rest, mask);
  }
  return node;
}

export interface MaskedColumn {
  name: string;
  type: string;
  transformer: Transformer;
  /** The column alone carries a primary key or unique constraint. */
  unique: boolean;
  /**
   * The source's statistics on its distinct values (`pg_stats.n_distinct`: a count, or minus a
   * fraction of the rows), when it has them.
   */
  distinct?: number;
}

/** Columns with at least this fraction of their rows distinct hardly repeat a value: a memo of their outputs would rarely hit. */
const DISTINCT_FRACTION = 0.9;

/** Whether a column's values hardly repeat: it is unique, or its statistics say most of its rows are distinct. */
export function hardlyRepeats(c: Pick<MaskedColumn, 'unique' | 'distinct'>): boolean {
  return c.unique || (c.distinct !== undefined && c.distinct <= -DISTINCT_FRACTION);
}

const MAX_ATTEMPTS = 100;

/** Masks whole rows of one table: templates see the row's masked cells; unique columns never repeat a value. */
export class RowMasker {
  private readonly masks: CellMask[];
  private readonly seen: Array<Set<string> | undefined>;
  private readonly templates: Array<{ index: number; parts: Array<string | number> }> = [];
  /** Unique column sets with a masked member: their column indexes and the tuples seen. */
  private readonly tuples: Array<{ columns: number[]; seen: Set<string> }>;

  constructor(
    private readonly table: string,
    private readonly columns: MaskedColumn[],
    private readonly key: MaskingKey,
    uniqueSets: string[][] = [],
    /** The COPY format whose bytes `byteWriters` write. */
    readonly format: CopyFormat = 'text',
  ) {
    this.plain = columns.map((c) => compileTransformer(c.transformer, key, c.type));
    this.memoizable = columns.map(
      (c) => !['keep', 'null', 'redact', 'template'].includes(c.transformer.kind) && !hardlyRepeats(c),
    );
    this.masks = this.plain.map((mask, i) => (this.memoizable[i] ? memoized(mask) : mask));
    this.byteMasks = columns.map((c) => compileBytesMask(c.transformer, key, c.type));
    this.byteWriters = columns.map((c) => compileBytesWriter(c.transformer, key, format));
    // Unique columns copied unchanged stay unique by themselves; the others are watched.
    this.seen = columns.map((c) =>
      c.unique && c.transformer.kind !== 'keep' && c.transformer.kind !== 'null' ? new Set<string>() : undefined,
    );
    const changes = (i: number) => i >= 0 && !['keep', 'null', 'template'].includes(columns[i].transformer.kind);
    this.tuples = uniqueSets
      .map((set) => set.map((name) => columns.findIndex((c) => c.name === name)))
      .filter((set) => set.every((i) => i >= 0) && set.some(changes))
      .map((set) => ({ columns: set, seen: new Set<string>() }));
    this.passThrough = columns.map((c) => c.transformer.kind === 'keep');
    this.nulled = columns.map((c) => c.transformer.kind === 'null' || c.transformer.kind === 'template');
    this.needed = columns.map((c) => c.transformer.kind !== 'keep' && c.transformer.kind !== 'null');
    for (const t of this.tuples) for (const i of t.columns) this.needed[i] = true;
    columns.forEach((c, index) => {
      if (c.transformer.kind !== 'template') return;
      const parts = c.transformer.template.split(/(\{[^{}]+\})/).filter((p) => p !== '');
      this.templates.push({
        index,
        parts: parts.map((p) => (/^\{[^{}]+\}$/.test(p) ? columns.findIndex((x) => x.name === p.slice(1, -1)) : p)),
      });
      for (const p of this.templates[this.templates.length - 1].parts)
        if (typeof p === 'number' && p >= 0) this.needed[p] = true;
    });
  }

  /** Columns copied unchanged (`keep`): a stream may copy their bytes without decoding them. */
  readonly passThrough: boolean[];
  /** Columns whose decoded value the masker reads (every column not passed through, and kept columns that templates or unique sets read). */
  readonly needed: boolean[];
  /** Columns whose output is NULL before templates are filled (`null`, `template`). */
  readonly nulled: boolean[];
  /** Each column's mask of one value, without a memo (a stream that remembers outputs itself uses these). */
  readonly plain: CellMask[];
  /** Each column's mask of one value given as bytes, where its transformer has one. */
  readonly byteMasks: Array<BytesMask | undefined>;
  /** Each column's mask of one value from bytes straight to the bytes of `format`, where its transformer has one. */
  readonly byteWriters: Array<BytesWriter | undefined>;
  /**
   * Columns whose outputs are worth remembering: deterministic work per value (not keep, null,
   * redact or template), and values that repeat (not unique, not mostly distinct by the source's
   * statistics; a column without statistics is judged by its memo's hit rate as it goes).
   */
  readonly memoizable: boolean[];

  /**
   * True when each cell's output depends on that cell's value alone (no template, no unique
   * column or set watched): a stream may then mask cell by cell with `plain` and `byteMasks`.
   */
  get independent(): boolean {
    return this.templates.length === 0 && !this.crossRow;
  }

  /** True when masking a row reads what earlier rows gave (unique columns or sets watched for collisions). */
  get crossRow(): boolean {
    return this.tuples.length > 0 || this.seen.some((s) => s !== undefined);
  }

  /** A batch of keyed digests under this masker's key, for a stream of many values (undefined: none here). */
  batch(): BatchHmac | undefined {
    return this.key.batch();
  }

  /** True when some column changes (a table kept whole can be copied without decoding). */
  get masksAnything(): boolean {
    return this.columns.some((c) => c.transformer.kind !== 'keep');
  }

  /** Masks a row (a new array; columns kept are copied). */
  mask(row: Cell[]): Cell[] {
    return this.maskInto(row, new Array<Cell>(row.length));
  }

  /**
   * Masks `row` into `out` and returns it. Columns that are not `needed` may be left undefined in
   * `row` (a stream copies their bytes unchanged); their entries of `out` are then undefined too.
   */
  maskInto(row: Cell[], out: Cell[]): Cell[] {
    for (let i = 0; i < row.length; i++) {
      const cell = row[i];
      out[i] = this.passThrough[i] ? cell : cell === null || this.nulled[i] ? null : this.cell(i, cell, this.masks[i]);
    }
    for (const { index, parts } of this.templates) {
      if (row[index] === null) continue;
      const filled = parts.map((p) => (typeof p === 'number' ? (out[p] ?? '') : p)).join('');
      out[index] = this.cell(index, filled, (v, attempt) => (attempt > 0 ? `${v}-${attempt}` : v));
    }
    for (const tuple of this.tuples) this.uniqueTuple(tuple, row, out);
    return out;
  }

  /** A multi-column unique set whose masked tuple repeats: its masked members are drawn again. */
  private uniqueTuple({ columns, seen }: { columns: number[]; seen: Set<string> }, row: Cell[], out: Cell[]): void {
    for (let attempt = 1; ; attempt++) {
      const values = columns.map((i) => out[i]);
      if (values.some((v) => v === null)) return; // NULLs never clash in a unique index
      const key = JSON.stringify(values);
      if (!seen.has(key)) {
        seen.add(key);
        return;
      }
      if (attempt >= MAX_ATTEMPTS) {
        const names = columns.map((i) => this.columns[i].name).join(', ');
        throw new SlipwayError(
          'data-copy-failed',
          `Masking ${this.table} (${names}) gave the same values ${MAX_ATTEMPTS} times for distinct rows, and those columns are unique together.`,
          {
            hint: 'Use transformers with more distinct outputs for these columns (hash, scramble, or a fake).',
          },
        );
      }
      for (const i of columns) {
        const kind = this.columns[i].transformer.kind;
        if (row[i] !== null && kind !== 'keep' && kind !== 'null' && kind !== 'template')
          out[i] = this.masks[i](row[i] as string, attempt);
      }
    }
  }

  private cell(i: number, value: string, mask: CellMask): Cell {
    const seen = this.seen[i];
    if (!seen) return mask(value, 0);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const out = mask(value, attempt);
      if (out === null) return out;
      if (!seen.has(out)) {
        seen.add(out);
        return out;
      }
    }
    throw new SlipwayError(
      'data-copy-failed',
      `Masking ${this.table}.${this.columns[i].name} gave the same value ${MAX_ATTEMPTS} times for distinct inputs, and the column is unique.`,
      {
        hint: 'Use a transformer with more distinct outputs for this unique column (hash, scramble, or a fake such as email).',
      },
    );
  }
}
