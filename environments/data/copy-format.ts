/** PostgreSQL's COPY formats, text and binary: which tables take binary, and how their fields and rows are laid out. */
import type { Cell } from './transformers';

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

export const TAB = 0x09;
export const NL = 0x0a;
export const BACKSLASH = 0x5c;

/** A scanned field's flag: COPY text with backslash escapes, or NULL in the binary format. */
export const ESCAPED = 1;
export const NULL_FIELD = 2;

/** The binary format's signature, and its header's fixed part (the signature, a flags word, the extension's length). */
export const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
export const HEADER = 19;
/** The binary format's trailer: a field count of -1. */
export const TRAILER = Buffer.from([0xff, 0xff]);

/** The big-endian 32-bit signed integer at `data[p]`. */
export const int32 = (data: Uint8Array, p: number) =>
  (data[p] << 24) | (data[p + 1] << 16) | (data[p + 2] << 8) | data[p + 3];

/**
 * The size of the binary header at the start of `data` (its signature, flags and extension), or
 * Infinity when `data` does not hold all of it yet. Throws when `data` is not the binary format.
 */
export function binaryHeaderSize(data: Buffer): number {
  if (data.length >= SIGNATURE.length && !data.subarray(0, SIGNATURE.length).equals(SIGNATURE))
    throw new Error('the COPY stream is not in the binary format (no PGCOPY signature)');
  return data.length >= HEADER ? HEADER + int32(data, HEADER - 4) : Infinity;
}

/**
 * Binary format: where the whole rows (of `width` fields) at the start of `data` end, and whether
 * the trailer comes there (`ended`; nothing after it is read).
 */
export function wholeBinaryRows(data: Buffer, width: number): { end: number; ended: boolean } {
  const n = data.length;
  let p = 0;
  while (p + 2 <= n) {
    const count = (data[p] << 8) | data[p + 1];
    if (count === 0xffff) return { end: p, ended: true };
    if (count !== width) throw new Error(`a COPY row has ${count} fields where the table has ${width} columns`);
    let q = p + 2;
    for (let col = 0; col < width; col++) {
      if (q + 4 > n) return { end: p, ended: false };
      const length = int32(data, q);
      q += 4 + (length > 0 ? length : 0);
    }
    if (q > n) return { end: p, ended: false };
    p = q;
  }
  return { end: p, ended: false };
}

/** Whether the scanned field `data[from..to)` with `flag` is NULL: `\N` in COPY text, a length of -1 in binary. */
export function isNullField(data: Buffer, from: number, to: number, flag: number): boolean {
  if (flag === NULL_FIELD) return true;
  return flag === ESCAPED && to - from === 2 && data[from] === BACKSLASH && data[from + 1] === 0x4e;
}

/** True when `data[from..to)` is plain ASCII (so its bytes are its UTF-8 encoding as decoded and encoded again). */
export function ascii(data: Buffer, from: number, to: number): boolean {
  for (let p = from; p < to; p++) if (data[p] >= 0x80) return false;
  return true;
}

/** One field of a row: `\N` is NULL; a field with escapes goes through decodeField. */
export function fieldAt(data: Buffer, from: number, to: number, escaped: boolean): Cell {
  if (!escaped) return data.toString('utf8', from, to);
  if (to - from === 2 && data[from + 1] === 0x4e) return null;
  return decodeField(data.toString('utf8', from, to));
}
