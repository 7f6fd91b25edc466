/** PostgreSQL's COPY text format as a stream: rows are parsed, masked and re-encoded, with bounded memory. */
import { Transform, type TransformCallback } from 'node:stream';
import type { BatchHmac } from './hmac-sha256x4';
import { ByteMemo } from './memo';
import type { BytesMask, BytesWriter, Cell, RowMasker } from './transformers';

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** One field of a COPY text row: `\N` is NULL; backslash escapes (\n, \t, \\, octal, \xHH) are decoded. */
export function decodeField(raw: string): Cell {
  if (raw === '\\N') return null;
  if (!raw.includes('\\')) return raw;
  return raw.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/gs, (_m, e: string) => {
    if (e[0] === 'x' && e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return ESCAPES[e] ?? e;
  });
}

/** Encodes a cell for COPY text input. */
export function encodeField(value: Cell): string {
  if (value === null) return '\\N';
  return value.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

/** A masked field's memo entry in `MaskStream.fields`: none, a miss to keep, or `HIT` plus where the memo holds it. */
const NONE = -2;
const REMEMBER = -1;
const HIT = 0;

const TAB = 0x09;
const NL = 0x0a;
const BACKSLASH = 0x5c;

/**
 * Masks a COPY text stream row by row with a byte-level scanner: kept columns are copied as
 * bytes, only the columns the masker reads are decoded, and each chunk's rows are written into
 * one output buffer. Only whole lines are processed; the partial last line of a chunk waits for
 * the next one, so memory holds one chunk plus one row (and the stream's backpressure holds the
 * source when the target is slower). `onRows` hears how many rows each chunk carried.
 */
export class MaskStream extends Transform {
  private pending: Buffer | undefined;
  private readonly width: number;
  private readonly starts: number[];
  private readonly ends: number[];
  private readonly escaped: boolean[];
  private readonly row: Cell[];
  private readonly out: Cell[];
  private buf: Buffer = Buffer.alloc(0);
  private at = 0;
  /** Per column, when the masker masks cell by cell: its memo by bytes (undefined: nothing worth remembering). */
  private readonly memos: Array<ByteMemo | undefined> | undefined;
  /** The digests of a chunk's byte-written values, computed together (undefined: each one alone). */
  private readonly batch: BatchHmac | undefined;
  /**
   * A chunk's masked fields, in order, six numbers each: start, end, column, escape flag, its
   * digest's place in the batch (-1: none), and its memo entry (`HIT` and up: where the memo holds
   * its output; `REMEMBER`: missed, keep its output; `NONE`).
   */
  private fields = new Int32Array(4096 * 6);
  private count = 0;
  private readonly digest = Buffer.alloc(32);

  constructor(
    private readonly masker: RowMasker,
    private readonly onRows: (rows: number) => void,
  ) {
    super();
    this.width = masker.passThrough.length;
    this.starts = new Array<number>(this.width).fill(0);
    this.ends = new Array<number>(this.width).fill(0);
    this.escaped = new Array<boolean>(this.width).fill(false);
    this.row = new Array<Cell>(this.width).fill(null);
    this.out = new Array<Cell>(this.width).fill(null);
    if (masker.independent) this.memos = masker.memoizable.map((m) => (m ? new ByteMemo() : undefined));
    if (masker.independent && masker.byteWriters.some((w) => w)) this.batch = masker.batch();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      const data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
      this.pending = undefined;
      const end = data.lastIndexOf(NL);
      if (end < 0) {
        this.pending = data;
        callback();
        return;
      }
      if (end + 1 < data.length) this.pending = Buffer.from(data.subarray(end + 1));
      callback(null, this.maskRows(data, end + 1));
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (!this.pending || this.pending.length === 0) return callback();
      const last = Buffer.concat([this.pending, Buffer.from('\n')]);
      this.pending = undefined;
      callback(null, this.maskRows(last, last.length));
    } catch (err) {
      callback(err as Error);
    }
  }

  /** Masks `data`, whole lines only (its last byte is a newline): what a worker thread does with a batch. */
  maskLines(data: Buffer): Buffer {
    return this.maskRows(data, data.length);
  }

  /** Masks the whole lines of `data` before `end` (`data[end - 1]` is a newline). */
  private maskRows(data: Buffer, end: number): Buffer {
    if (!this.masker.masksAnything) {
      let rows = 0;
      for (let p = data.indexOf(NL); p >= 0 && p < end; p = data.indexOf(NL, p + 1)) rows++;
      this.onRows(rows);
      return end === data.length ? data : data.subarray(0, end);
    }
    const { width, starts, ends, escaped, row, out } = this;
    const { passThrough, needed } = this.masker;
    this.buf = Buffer.allocUnsafe(Math.max(1024, end + (end >> 1)));
    this.at = 0;
    if (this.memos) {
      this.onRows(this.maskCells(data, end));
      return this.buf.subarray(0, this.at);
    }
    let rows = 0;
    for (let pos = 0; pos < end;) {
      let col = 0;
      let from = pos;
      let esc = false;
      for (let p = pos; ; p++) {
        const b = data[p];
        if (b > NL && b !== BACKSLASH) continue;
        if (b === TAB || b === NL) {
          if (col < width) {
            starts[col] = from;
            ends[col] = p;
            escaped[col] = esc;
          }
          col++;
          from = p + 1;
          esc = false;
          if (b === NL) {
            pos = p + 1;
            break;
          }
        } else if (b === BACKSLASH) esc = true;
      }
      if (col !== width) throw new Error(`a COPY row has ${col} fields where the table has ${width} columns`);
      for (let i = 0; i < width; i++) row[i] = needed[i] ? fieldAt(data, starts[i], ends[i], escaped[i]) : null;
      this.masker.maskInto(row, out);
      for (let i = 0; i < width; i++) {
        if (i > 0) this.byte(TAB);
        if (passThrough[i]) this.bytes(data, starts[i], ends[i]);
        else this.cell(out[i]);
      }
      this.byte(NL);
      rows++;
    }
    this.onRows(rows);
    return this.buf.subarray(0, this.at);
  }

  /**
   * The rows before `end` of a masker that masks cell by cell, in three passes over the chunk: the
   * scan finds the masked fields; the batch computes the digests of those a byte writer will mask
   * (not those the memo holds), four at a time; then the bytes between two masked fields (kept
   * columns, separators, line ends, across rows) are copied as one run and each masked field is
   * written by `maskField`. Returns the number of rows.
   */
  private maskCells(data: Buffer, end: number): number {
    const rows = this.scan(data, end);
    const generations = this.lookups(data);
    const fields = this.fields;
    const memos = this.memos as Array<ByteMemo | undefined>;
    let kept = 0; // where the run of bytes not yet copied starts
    for (let k = 0, n = this.count; k < n; k += 6) {
      this.bytes(data, kept, fields[k]);
      const c = fields[k + 2];
      let entry = fields[k + 5];
      // An entry found before the memo was emptied (by a later lookup, or by an output kept since) is gone.
      if (entry >= HIT && (memos[c] as ByteMemo).generation !== generations[c]) entry = NONE;
      this.maskField(c, data, fields[k], fields[k + 1], fields[k + 3] !== 0, fields[k + 4], entry);
      kept = fields[k + 1];
    }
    this.bytes(data, kept, end);
    return rows;
  }

  /** Finds the masked fields of the rows before `end` (into `fields`, `count` numbers); returns the number of rows. */
  private scan(data: Buffer, end: number): number {
    const width = this.width;
    const passThrough = this.masker.passThrough;
    let fields = this.fields;
    let n = 0;
    let rows = 0;
    let col = 0;
    let from = 0;
    let esc = false;
    for (let p = 0; p < end; p++) {
      const b = data[p];
      // Most bytes are neither a separator nor a backslash: one test passes them.
      if (b > NL && b !== BACKSLASH) continue;
      if (b === BACKSLASH) esc = true;
      else if (b === TAB || b === NL) {
        if (col < width && !passThrough[col]) {
          if (n + 6 > fields.length) {
            const bigger = new Int32Array(fields.length * 2);
            bigger.set(fields);
            fields = this.fields = bigger;
          }
          fields[n] = from;
          fields[n + 1] = p;
          fields[n + 2] = col;
          fields[n + 3] = esc ? 1 : 0;
          fields[n + 4] = -1;
          fields[n + 5] = NONE;
          n += 6;
        }
        col++;
        from = p + 1;
        esc = false;
        if (b === NL) {
          if (col !== width) throw new Error(`a COPY row has ${col} fields where the table has ${width} columns`);
          col = 0;
          rows++;
        }
      }
    }
    this.count = n;
    return rows;
  }

  /**
   * Looks each scanned field up in its column's memo, and computes together the digests of those
   * the memo does not hold that a byte writer will mask. Returns each memo's generation after the
   * lookups, for the entries found to be checked against.
   */
  private lookups(data: Buffer): number[] {
    const batch = this.batch;
    batch?.clear();
    const fields = this.fields;
    const memos = this.memos as Array<ByteMemo | undefined>;
    const nulled = this.masker.nulled;
    const writers = this.masker.byteWriters;
    for (let k = 0, n = this.count; k < n; k += 6) {
      const c = fields[k + 2];
      const f = fields[k];
      const t = fields[k + 1];
      const escaped = fields[k + 3] !== 0;
      if (nulled[c] || (escaped && t - f === 2 && data[f] === BACKSLASH && data[f + 1] === 0x4e)) continue;
      const memo = memos[c];
      if (memo) {
        const generation = memo.generation;
        const hit = memo.get(data, f, t);
        // A lookup that emptied the memo (its hit rate too low) took the entries found before it.
        if (memo.generation !== generation) this.forget(c, k);
        if (hit >= 0) {
          fields[k + 5] = HIT + hit;
          continue;
        }
        if (memo.missed) fields[k + 5] = REMEMBER;
      }
      const writer = writers[c];
      if (batch && writer && !escaped && ascii(data, f, t)) fields[k + 4] = batch.add(writer.prefix, data, f, t);
    }
    batch?.run();
    return memos.map((m) => (m ? m.generation : 0));
  }

  /** Drops the memo entries found for column `c`'s fields before the one at `k` (the memo was emptied since). */
  private forget(c: number, k: number): void {
    const fields = this.fields;
    for (let j = 0; j < k; j += 6) if (fields[j + 2] === c && fields[j + 5] >= HIT) fields[j + 5] = NONE;
  }

  /**
   * One masked cell of a masker that masks cell by cell: a remembered input's output bytes are
   * copied (`entry` from `HIT` up); a plain ASCII field with a byte mask is masked from its bytes
   * (`digest`: its place in the batch when it was computed there, else -1); anything else is
   * decoded first. The outputs are `maskInto`'s either way.
   */
  private maskField(
    i: number,
    data: Buffer,
    from: number,
    to: number,
    escaped: boolean,
    digest: number,
    entry: number,
  ): void {
    const isNull = escaped && to - from === 2 && data[from] === BACKSLASH && data[from + 1] === 0x4e;
    if (isNull || this.masker.nulled[i]) return this.cell(null);
    if (entry >= HIT) {
      const memo = (this.memos as Array<ByteMemo | undefined>)[i] as ByteMemo;
      const arena = memo.arena;
      const end = memo.outputEnd(entry - HIT);
      const start = memo.output(entry - HIT);
      this.room(end - start);
      const buf = this.buf;
      let at = this.at;
      for (let k = start; k < end; k++) buf[at++] = arena[k];
      this.at = at;
      return;
    }
    const start = this.at;
    const writer = this.masker.byteWriters[i];
    const bytesMask = this.masker.byteMasks[i];
    if (digest >= 0) {
      this.room((writer as BytesWriter).max);
      (this.batch as BatchHmac).digest(digest, this.digest);
      this.at = (writer as BytesWriter).fromDigest(this.digest, this.buf, this.at);
    } else if (!escaped && (writer || bytesMask) && ascii(data, from, to)) {
      if (writer) {
        this.room(writer.max);
        this.at = writer.write(data, from, to, this.buf, this.at);
      } else this.cell((bytesMask as BytesMask)(data, from, to));
    } else this.cell(this.masker.plain[i](fieldAt(data, from, to, escaped) as string, 0));
    if (entry === REMEMBER) this.memos?.[i]?.remember(data, from, to, this.buf, start, this.at);
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }

  private byte(b: number): void {
    this.room(1);
    this.buf[this.at++] = b;
  }

  private bytes(data: Buffer, from: number, to: number): void {
    this.room(to - from);
    if (to - from < 64) {
      const buf = this.buf;
      let at = this.at;
      for (let p = from; p < to; p++) buf[at++] = data[p];
      this.at = at;
    } else this.at += data.copy(this.buf, this.at, from, to);
  }

  /** A cell in COPY text form: ASCII written byte by byte with its escapes, anything else through encodeField. */
  private cell(value: Cell): void {
    if (value === null) {
      this.room(2);
      this.buf[this.at++] = BACKSLASH;
      this.buf[this.at++] = 0x4e; // N
      return;
    }
    this.room(value.length * 3);
    const buf = this.buf;
    for (let k = 0; k < value.length; k++) {
      const c = value.charCodeAt(k);
      if (c >= 0x80) {
        this.at += buf.write(encodeField(value.slice(k)), this.at, 'utf8');
        return;
      }
      if (c === BACKSLASH || c === NL || c === TAB || c === 0x0d) {
        buf[this.at++] = BACKSLASH;
        buf[this.at++] = c === BACKSLASH ? BACKSLASH : c === NL ? 0x6e : c === TAB ? 0x74 : 0x72;
      } else buf[this.at++] = c;
    }
  }
}

/** True when `data[from..to)` is plain ASCII (so its bytes are its UTF-8 encoding as decoded and encoded again). */
function ascii(data: Buffer, from: number, to: number): boolean {
  for (let p = from; p < to; p++) if (data[p] >= 0x80) return false;
  return true;
}

/** One field of a row: `\N` is NULL; a field with escapes goes through decodeField. */
function fieldAt(data: Buffer, from: number, to: number, escaped: boolean): Cell {
  if (!escaped) return data.toString('utf8', from, to);
  if (to - from === 2 && data[from + 1] === 0x4e) return null;
  return decodeField(data.toString('utf8', from, to));
}
