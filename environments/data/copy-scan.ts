/** Finding the fields of a chunk of COPY rows, in text (a byte scanner) or in the binary format (by the fields' lengths). */
import { BACKSLASH, ESCAPED, NL, NULL_FIELD, TAB, int32 } from './copy-format';

/** A masked field's memo entry in `ScannedFields`: none, a miss to keep, or `HIT` plus where the memo holds it. */
export const NONE = -2;
export const REMEMBER = -1;
export const HIT = 0;

/**
 * A chunk's masked fields, in order, six numbers each: start, end, column, flag (`ESCAPED`,
 * `NULL_FIELD` or 0), its digest's place in a batch (-1: none), and its memo entry (`HIT` and up:
 * where the memo holds its output; `REMEMBER`: missed, keep its output; `NONE`).
 */
export class ScannedFields {
  fields = new Int32Array(4096 * 6);
  /** The numbers in use in `fields`. */
  count = 0;

  /** Records a masked field at `fields[n]` (growing `fields` when full): returns where the next one goes. */
  record(n: number, from: number, to: number, col: number, flag: number): number {
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
}

const widthError = (found: number, width: number) =>
  new Error(`a COPY row has ${found} fields where the table has ${width} columns`);

/** Finds the masked fields (columns not `passThrough`) of the COPY text rows before `end` into `into`; returns the number of rows. */
export function scanText(
  into: ScannedFields,
  data: Buffer,
  end: number,
  width: number,
  passThrough: boolean[],
): number {
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
      if (col < width && !passThrough[col]) n = into.record(n, from, p, col, esc ? ESCAPED : 0);
      col++;
      from = p + 1;
      esc = false;
      if (b === NL) {
        if (col !== width) throw widthError(col, width);
        col = 0;
        rows++;
      }
    }
  }
  into.count = n;
  return rows;
}

/** As `scanText`, for whole binary rows (a NULL field is flagged `NULL_FIELD`). */
export function scanBinary(
  into: ScannedFields,
  data: Buffer,
  end: number,
  width: number,
  passThrough: boolean[],
): number {
  let n = 0;
  let rows = 0;
  for (let p = 0; p < end; rows++) {
    p += 2;
    for (let col = 0; col < width; col++) {
      const length = int32(data, p);
      const from = p + 4;
      p = from + (length > 0 ? length : 0);
      if (!passThrough[col]) n = into.record(n, from, p, col, length < 0 ? NULL_FIELD : 0);
    }
  }
  into.count = n;
  return rows;
}

/**
 * The COPY text row at `data[pos]`: each field's start, end and whether it has escapes, into
 * `starts`, `ends` and `escaped`. Returns where the next row starts.
 */
export function textRow(data: Buffer, pos: number, starts: number[], ends: number[], escaped: boolean[]): number {
  const width = starts.length;
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
        if (col !== width) throw widthError(col, width);
        return p + 1;
      }
    } else if (b === BACKSLASH) esc = true;
  }
}

/**
 * The binary row at `data[pos]`: each field's start and end (after its length), and whether it
 * is NULL, into `starts`, `ends` and `isNull`. Returns where the next row starts.
 */
export function binaryRow(data: Buffer, pos: number, starts: number[], ends: number[], isNull: boolean[]): number {
  let p = pos + 2;
  for (let col = 0; col < starts.length; col++) {
    const length = int32(data, p);
    starts[col] = p + 4;
    p += 4 + (length > 0 ? length : 0);
    ends[col] = p;
    isNull[col] = length < 0;
  }
  return p;
}
