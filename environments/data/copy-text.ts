/** PostgreSQL's COPY formats (text and binary) as a stream: rows are parsed, masked and re-encoded, with bounded memory. */
import { Transform, type TransformCallback } from 'node:stream';
import type { BatchHmac } from './hmac-sha256x4';
import { ByteMemo } from './memo';
import type { BytesMask, Cell, RowMasker } from './transformers';

/**
 * The COPY format of a masked stream. `binary` spares both PostgreSQL sessions their text
 * conversions (dates, numbers) and the stream its scan for separators and escapes (each field
 * comes with its length); it is used where every column can cross it unchanged (see
 * `binaryCopyFits`).
 */
export type CopyFormat = 'text' | 'binary';

/** Text types: in the binary format a value of these is its UTF-8 bytes, as a masker reads and writes it. */
const TEXT_TYPES = new Set(['text', 'varchar', 'bpchar']);

/**
 * Whether a table's rows can be masked in COPY's binary format: every column of a built-in type
 * with binary send and receive (kept columns then cross it as opaque bytes), and every column the
 * masker reads (`needed`: masked, or read by a template or a unique set) a text type.
 */
export function binaryCopyFits(columns: Array<{ type: string; binary?: boolean }>, needed: boolean[]): boolean {
  return columns.every((c, i) => c.binary === true && (!needed[i] || TEXT_TYPES.has(c.type)));
}

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

/** A scanned field's flag in `MaskStream.fields`: COPY text with backslash escapes, or NULL in the binary format. */
const ESCAPED = 1;
const NULL_FIELD = 2;

/** The binary format's signature, and its header's fixed part (the signature, a flags word, the extension's length). */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER = 19;
/** The binary format's trailer: a field count of -1. */
const TRAILER = Buffer.from([0xff, 0xff]);

/** The big-endian 32-bit signed integer at `data[p]`. */
const int32 = (data: Uint8Array, p: number) => (data[p] << 24) | (data[p + 1] << 16) | (data[p + 2] << 8) | data[p + 3];

/**
 * Masks a COPY stream row by row, in the masker's format: COPY text with a byte-level scanner, or
 * the binary format by its fields' lengths. Kept columns are copied as bytes, only the columns the
 * masker reads are decoded, and each chunk's rows are written into one output buffer. Only whole
 * rows are processed; the partial last row of a chunk waits for the next one, so memory holds one
 * chunk plus one row (and the stream's backpressure holds the source when the target is slower).
 * `onRows` hears how many rows each chunk carried.
 */
export class MaskStream extends Transform {
  private pending: Buffer | undefined;
  private readonly binary: boolean;
  /** Binary format: the header has not passed yet. */
  private awaitingHeader = true;
  /** Binary format: the trailer has been met (nothing after it is read) or written. */
  private ended = false;
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
    this.binary = masker.format === 'binary';
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
      if (this.binary) {
        callback(null, this.binaryChunk(data));
        return;
      }
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
      if (this.binary) {
        if (this.pending && this.pending.length > 0)
          throw new Error('the binary COPY stream ended in the middle of a row');
        // A stream cut short of its trailer still ends as the format requires.
        if (!this.awaitingHeader && !this.ended) {
          this.ended = true;
          return callback(null, TRAILER);
        }
        return callback();
      }
      if (!this.pending || this.pending.length === 0) return callback();
      const last = Buffer.concat([this.pending, Buffer.from('\n')]);
      this.pending = undefined;
      callback(null, this.maskRows(last, last.length));
    } catch (err) {
      callback(err as Error);
    }
  }

  /** Masks `data`, whole lines only (its last byte is a newline): what a worker thread does with a batch (COPY text). */
  maskLines(data: Buffer): Buffer {
    if (this.binary) throw new Error('a binary COPY stream is masked as one stream, not in batches of lines');
    return this.maskRows(data, data.length);
  }

  /**
   * Binary format: passes the header on, masks the whole rows of `data` and keeps the partial
   * last one for the next chunk; after the trailer, writes it and reads nothing more.
   */
  private binaryChunk(input: Buffer): Buffer | undefined {
    if (this.ended) return undefined;
    let data = input;
    let head: Buffer | undefined;
    if (this.awaitingHeader) {
      if (data.length >= SIGNATURE.length && !data.subarray(0, SIGNATURE.length).equals(SIGNATURE))
        throw new Error('the COPY stream is not in the binary format (no PGCOPY signature)');
      const size = data.length >= HEADER ? HEADER + int32(data, HEADER - 4) : Infinity;
      if (data.length < size) {
        this.pending = data;
        return undefined;
      }
      head = Buffer.from(data.subarray(0, size));
      data = data.subarray(size);
      this.awaitingHeader = false;
    }
    const end = this.wholeRows(data);
    if (!this.ended && end < data.length) this.pending = Buffer.from(data.subarray(end));
    const parts = [head, end > 0 ? this.maskRows(data, end) : undefined, this.ended ? TRAILER : undefined];
    const out = parts.filter((p): p is Buffer => p !== undefined);
    return out.length === 0 ? undefined : out.length === 1 ? out[0] : Buffer.concat(out);
  }

  /** Binary format: where the whole rows at the start of `data` end (at the trailer, when it is met: `ended`). */
  private wholeRows(data: Buffer): number {
    const width = this.width;
    const n = data.length;
    let p = 0;
    while (p + 2 <= n) {
      const count = (data[p] << 8) | data[p + 1];
      if (count === 0xffff) {
        this.ended = true;
        return p;
      }
      if (count !== width) throw new Error(`a COPY row has ${count} fields where the table has ${width} columns`);
      let q = p + 2;
      for (let col = 0; col < width; col++) {
        if (q + 4 > n) return p;
        const length = int32(data, q);
        q += 4 + (length > 0 ? length : 0);
      }
      if (q > n) return p;
      p = q;
    }
    return p;
  }

  /** Masks the whole rows of `data` before `end` (in COPY text, `data[end - 1]` is a newline). */
  private maskRows(data: Buffer, end: number): Buffer {
    if (!this.masker.masksAnything) {
      let rows = 0;
      if (this.binary) rows = this.scanBinary(data, end);
      else for (let p = data.indexOf(NL); p >= 0 && p < end; p = data.indexOf(NL, p + 1)) rows++;
      this.onRows(rows);
      return end === data.length ? data : data.subarray(0, end);
    }
    this.buf = Buffer.allocUnsafe(Math.max(1024, end + (end >> 1)));
    this.at = 0;
    if (this.memos) {
      this.onRows(this.maskCells(data, end));
      return this.buf.subarray(0, this.at);
    }
    const rows = this.binary ? this.maskBinaryRows(data, end) : this.maskTextRows(data, end);
    this.onRows(rows);
    return this.buf.subarray(0, this.at);
  }

  /** COPY text rows masked whole by `maskInto` (templates, unique columns): returns the number of rows. */
  private maskTextRows(data: Buffer, end: number): number {
    const { width, starts, ends, escaped, row, out } = this;
    const { passThrough, needed } = this.masker;
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
    return rows;
  }

  /**
   * Binary rows masked whole by `maskInto`: each field's bytes follow its length (-1: NULL), and
   * kept fields are copied with their lengths. Returns the number of rows.
   */
  private maskBinaryRows(data: Buffer, end: number): number {
    const { width, starts, ends, escaped: isNull, row, out } = this;
    const { passThrough, needed } = this.masker;
    let rows = 0;
    for (let pos = 0; pos < end;) {
      const count = pos;
      pos += 2;
      for (let col = 0; col < width; col++) {
        const length = int32(data, pos);
        starts[col] = pos + 4;
        pos += 4 + (length > 0 ? length : 0);
        ends[col] = pos;
        isNull[col] = length < 0;
      }
      for (let i = 0; i < width; i++)
        row[i] = needed[i] && !isNull[i] ? data.toString('utf8', starts[i], ends[i]) : null;
      this.masker.maskInto(row, out);
      this.bytes(data, count, count + 2);
      for (let i = 0; i < width; i++) {
        if (passThrough[i]) this.bytes(data, starts[i] - 4, ends[i]);
        else this.cell(out[i]);
      }
      rows++;
    }
    return rows;
  }

  /**
   * The rows before `end` of a masker that masks cell by cell, in three passes over the chunk: the
   * scan finds the masked fields; the batch computes the digests of those a byte writer will mask
   * (not those the memo holds), four at a time; then the bytes between two masked fields (kept
   * columns, separators, line ends, across rows) are copied as one run and each masked field is
   * written by `maskField`. Returns the number of rows.
   */
  private maskCells(data: Buffer, end: number): number {
    const rows = this.binary ? this.scanBinary(data, end) : this.scan(data, end);
    const generations = this.lookups(data);
    const fields = this.fields;
    const memos = this.memos as Array<ByteMemo | undefined>;
    // A binary field's length, before its bytes, is written anew with the masked value.
    const length = this.binary ? 4 : 0;
    let kept = 0; // where the run of bytes not yet copied starts
    for (let k = 0, n = this.count; k < n; k += 6) {
      this.bytes(data, kept, fields[k] - length);
      const c = fields[k + 2];
      let entry = fields[k + 5];
      // An entry found before the memo was emptied (by a later lookup, or by an output kept since) is gone.
      if (entry >= HIT && (memos[c] as ByteMemo).generation !== generations[c]) entry = NONE;
      this.maskField(c, data, fields[k], fields[k + 1], fields[k + 3], fields[k + 4], entry);
      kept = fields[k + 1];
    }
    this.bytes(data, kept, end);
    return rows;
  }

  /** Finds the masked fields of the rows before `end` (into `fields`, `count` numbers); returns the number of rows. */
  private scan(data: Buffer, end: number): number {
    const width = this.width;
    const passThrough = this.masker.passThrough;
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
        if (col < width && !passThrough[col]) n = this.record(n, from, p, col, esc ? ESCAPED : 0);
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

  /** Records a masked field at `fields[n]` (growing `fields` when full): returns where the next one goes. */
  private record(n: number, from: number, to: number, col: number, flag: number): number {
    let fields = this.fields;
    if (n + 6 > fields.length) {
      const bigger = new Int32Array(fields.length * 2);
      bigger.set(fields);
      fields = this.fields = bigger;
    }
    fields[n] = from;
    fields[n + 1] = to;
    fields[n + 2] = col;
    fields[n + 3] = flag;
    fields[n + 4] = -1;
    fields[n + 5] = NONE;
    return n + 6;
  }

  /** Binary format: as `scan`, by the fields' lengths (a NULL field is flagged `NULL_FIELD`). */
  private scanBinary(data: Buffer, end: number): number {
    const width = this.width;
    const passThrough = this.masker.passThrough;
    let n = 0;
    let rows = 0;
    for (let p = 0; p < end; rows++) {
      p += 2;
      for (let col = 0; col < width; col++) {
        const length = int32(data, p);
        const from = p + 4;
        p = from + (length > 0 ? length : 0);
        if (!passThrough[col]) n = this.record(n, from, p, col, length < 0 ? NULL_FIELD : 0);
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
      const flag = fields[k + 3];
      if (nulled[c] || isNullField(data, f, t, flag)) continue;
      const escaped = flag === ESCAPED;
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
   * decoded first. The outputs are `maskInto`'s either way; in the binary format each is written
   * after its length.
   */
  private maskField(
    i: number,
    data: Buffer,
    from: number,
    to: number,
    flag: number,
    digest: number,
    entry: number,
  ): void {
    if (this.masker.nulled[i] || isNullField(data, from, to, flag)) return this.cell(null);
    const escaped = flag === ESCAPED;
    if (entry >= HIT) {
      const memo = (this.memos as Array<ByteMemo | undefined>)[i] as ByteMemo;
      const arena = memo.arena;
      const end = memo.outputEnd(entry - HIT);
      const start = memo.output(entry - HIT);
      const length = this.openField(end - start);
      const buf = this.buf;
      let at = this.at;
      for (let k = start; k < end; k++) buf[at++] = arena[k];
      this.at = at;
      this.closeField(length);
      return;
    }
    const writer = this.masker.byteWriters[i];
    if (writer && (digest >= 0 || (!escaped && ascii(data, from, to)))) {
      const length = this.openField(writer.max);
      const start = this.at;
      if (digest >= 0) {
        (this.batch as BatchHmac).digest(digest, this.digest);
        this.at = writer.fromDigest(this.digest, this.buf, this.at);
      } else this.at = writer.write(data, from, to, this.buf, this.at);
      this.closeField(length);
      if (entry === REMEMBER) this.memos?.[i]?.remember(data, from, to, this.buf, start, this.at);
      return;
    }
    const bytesMask = this.masker.byteMasks[i];
    const value =
      !escaped && bytesMask && ascii(data, from, to)
        ? (bytesMask as BytesMask)(data, from, to)
        : this.masker.plain[i](fieldAt(data, from, to, escaped) as string, 0);
    // In the binary format, a NULL output has no bytes to remember.
    const start = this.at + (this.binary ? 4 : 0);
    this.cell(value);
    if (entry === REMEMBER && (value !== null || !this.binary))
      this.memos?.[i]?.remember(data, from, to, this.buf, start, this.at);
  }

  /** Makes room for a field of up to `n` bytes; in the binary format, leaves room for its length and returns where that goes (else -1). */
  private openField(n: number): number {
    if (!this.binary) {
      this.room(n);
      return -1;
    }
    this.room(n + 4);
    this.at += 4;
    return this.at - 4;
  }

  /** Binary format: writes the length of the field written since `openField` gave `length`. */
  private closeField(length: number): void {
    if (length >= 0) this.buf.writeInt32BE(this.at - length - 4, length);
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

  /**
   * A cell in the stream's format: in COPY text, ASCII written byte by byte with its escapes and
   * anything else through encodeField; in binary, its length and UTF-8 bytes.
   */
  private cell(value: Cell): void {
    if (value === null) {
      if (this.binary) {
        this.room(4);
        this.buf.writeInt32BE(-1, this.at);
        this.at += 4;
        return;
      }
      this.room(2);
      this.buf[this.at++] = BACKSLASH;
      this.buf[this.at++] = 0x4e; // N
      return;
    }
    const length = this.openField(value.length * 3);
    const buf = this.buf;
    for (let k = 0; k < value.length; k++) {
      const c = value.charCodeAt(k);
      if (c >= 0x80) {
        this.at += buf.write(this.binary ? value.slice(k) : encodeField(value.slice(k)), this.at, 'utf8');
        break;
      }
      if (!this.binary && (c === BACKSLASH || c === NL || c === TAB || c === 0x0d)) {
        buf[this.at++] = BACKSLASH;
        buf[this.at++] = c === BACKSLASH ? BACKSLASH : c === NL ? 0x6e : c === TAB ? 0x74 : 0x72;
      } else buf[this.at++] = c;
    }
    this.closeField(length);
  }
}

/** Whether the scanned field `data[from..to)` with `flag` is NULL: `\N` in COPY text, a length of -1 in binary. */
function isNullField(data: Buffer, from: number, to: number, flag: number): boolean {
  if (flag === NULL_FIELD) return true;
  return flag === ESCAPED && to - from === 2 && data[from] === BACKSLASH && data[from + 1] === 0x4e;
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
