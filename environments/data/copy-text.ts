/** PostgreSQL's COPY formats (text and binary) as a stream: rows are parsed, masked and re-encoded, with bounded memory. */
import type { TransformCallback } from 'node:stream';
import {
  ascii,
  binaryHeaderSize,
  ESCAPED,
  fieldAt,
  isNullField,
  NL,
  TAB,
  TRAILER,
  wholeBinaryRows,
} from './copy-format';
import { copyRun, CopyOutput } from './copy-output';
import { binaryRow, HIT, NONE, REMEMBER, ScannedFields, scanBinary, scanText, textRow } from './copy-scan';
import type { BatchHmac } from './hmac-batch';
import { ByteMemo } from './memo';
import type { BytesMask, Cell, RowMasker } from './transformers';

/**
 * Masks a COPY stream row by row, in the masker's format: COPY text with a byte-level scanner, or
 * the binary format by its fields' lengths. Kept columns are copied as bytes, only the columns the
 * masker reads are decoded, and each chunk's rows are written into one output buffer. Only whole
 * rows are processed; the partial last row of a chunk waits for the next one, so memory holds one
 * chunk plus one row (and the stream's backpressure holds the source when the target is slower).
 * `onRows` hears how many rows each chunk carried.
 */
export class MaskStream extends CopyOutput {
  private pending: Buffer | undefined;
  /** Binary format: the header has not passed yet. */
  private awaitingHeader = true;
  /** Binary format: the trailer has been met (nothing after it is read) or written. */
  private ended = false;
  private readonly width: number;
  /** The columns not passed through: each row has a scanned field of each. */
  private readonly maskedColumns: number;
  private readonly starts: number[];
  private readonly ends: number[];
  private readonly escaped: boolean[];
  private readonly row: Cell[];
  private readonly out: Cell[];
  /** Per column, when the masker masks cell by cell: its memo by bytes (undefined: nothing worth remembering). */
  private readonly memos: Array<ByteMemo | undefined> | undefined;
  /** The digests of a chunk's byte-written values, computed together (undefined: each one alone). */
  private readonly batch: BatchHmac | undefined;
  /** A chunk's masked fields, as the scan found them and the lookups marked them. */
  private readonly scanned = new ScannedFields();
  private readonly digest = Buffer.alloc(32);

  constructor(
    private readonly masker: RowMasker,
    private readonly onRows: (rows: number) => void,
  ) {
    super(masker.format === 'binary');
    this.width = masker.passThrough.length;
    this.maskedColumns = masker.passThrough.filter((kept) => !kept).length;
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
      const size = binaryHeaderSize(data);
      if (data.length < size) {
        this.pending = data;
        return undefined;
      }
      head = Buffer.from(data.subarray(0, size));
      data = data.subarray(size);
      this.awaitingHeader = false;
    }
    const { end, ended } = wholeBinaryRows(data, this.width);
    this.ended = ended;
    if (!this.ended && end < data.length) this.pending = Buffer.from(data.subarray(end));
    const parts = [head, end > 0 ? this.maskRows(data, end) : undefined, this.ended ? TRAILER : undefined];
    const out = parts.filter((p): p is Buffer => p !== undefined);
    return out.length === 0 ? undefined : out.length === 1 ? out[0] : Buffer.concat(out);
  }

  /** Masks the whole rows of `data` before `end` (in COPY text, `data[end - 1]` is a newline). */
  private maskRows(data: Buffer, end: number): Buffer {
    if (!this.masker.masksAnything) {
      let rows = 0;
      if (this.binary) rows = scanBinary(this.scanned, data, end, this.width, this.masker.passThrough);
      else for (let p = data.indexOf(NL); p >= 0 && p < end; p = data.indexOf(NL, p + 1)) rows++;
      this.onRows(rows);
      return end === data.length ? data : data.subarray(0, end);
    }
    this.output(Math.max(1024, end + (end >> 1)));
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
      pos = textRow(data, pos, starts, ends, escaped);
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
      pos = binaryRow(data, pos, starts, ends, isNull);
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
    const { width, scanned } = this;
    const passThrough = this.masker.passThrough;
    const rows = this.binary
      ? scanBinary(scanned, data, end, width, passThrough)
      : scanText(scanned, data, end, width, passThrough);
    const generations = this.lookups(data);
    const fields = scanned.fields;
    const memos = this.memos as Array<ByteMemo | undefined>;
    // A binary field's length, before its bytes, is written anew with the masked value.
    const length = this.binary ? 4 : 0;
    let kept = 0; // where the run of bytes not yet copied starts
    for (let k = 0, n = scanned.count; k < n; k += 6) {
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

  /**
   * Looks each scanned field up in its column's memo, and computes together the digests of those
   * the memo does not hold that a byte writer will mask. Returns each memo's generation after the
   * lookups, for the entries found to be checked against.
   */
  private lookups(data: Buffer): number[] {
    const batch = this.batch;
    batch?.clear();
    const fields = this.scanned.fields;
    const memos = this.memos as Array<ByteMemo | undefined>;
    const nulled = this.masker.nulled;
    const writers = this.masker.byteWriters;
    // Column by column (each row has one field of each masked column, in order): one memo's
    // slots and entries stay in the processor's caches for a column's run of lookups, where
    // row by row the memos of several columns would keep pushing each other out.
    const n = this.scanned.count;
    const stride = 6 * this.maskedColumns;
    const step = n % stride === 0 ? stride : 6;
    for (let first = 0; first < step; first += 6)
      for (let k = first; k < n; k += step) {
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
    const fields = this.scanned.fields;
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
      const end = memo.outputEnd(entry - HIT);
      const start = memo.output(entry - HIT);
      const length = this.openField(end - start);
      this.at = copyRun(this.view, this.buf, this.at, memo.view, memo.arena, start, end);
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
}
