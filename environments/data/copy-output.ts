/** The output side of a masked COPY stream: one growing buffer per chunk, and cells written in COPY text or in the binary format. */
import { Transform } from 'node:stream';
import { BACKSLASH, encodeField, NL, TAB } from './copy-format';
import type { Cell } from './transformers';

/** A DataView over exactly the bytes of `b`. */
export const viewOf = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

/**
 * Copies `src[from..to)` to `dst` from `at`, four bytes a step through their DataViews (`sv`,
 * `dv`), the last few one by one; returns where the copy ends. The runs a masked stream copies
 * (kept fields, remembered outputs) are tens of bytes: too short for `Buffer.copy`'s call to pay,
 * and a quarter of the steps of a byte-by-byte loop.
 */
export function copyRun(
  dv: DataView,
  dst: Uint8Array,
  at: number,
  sv: DataView,
  src: Uint8Array,
  from: number,
  to: number,
): number {
  let p = from;
  for (const last = to - 4; p <= last; p += 4, at += 4) dv.setInt32(at, sv.getInt32(p, true), true);
  for (; p < to; p++) dst[at++] = src[p];
  return at;
}

/**
 * A transform that writes each chunk's output into one buffer (`buf`, up to `at`), in COPY text
 * or, when `binary`, in the binary format (each field after its length, -1 for NULL).
 */
export abstract class CopyOutput extends Transform {
  protected buf: Buffer = Buffer.alloc(0);
  /** A view of `buf` (see `output`). */
  protected view = viewOf(this.buf);
  protected at = 0;
  /** The last input `bytes` copied from, and its view. */
  private input: Uint8Array = this.buf;
  private inputView = this.view;

  constructor(protected readonly binary: boolean) {
    super();
  }

  /** Makes room for a field of up to `n` bytes; in the binary format, leaves room for its length and returns where that goes (else -1). */
  protected openField(n: number): number {
    if (!this.binary) {
      this.room(n);
      return -1;
    }
    this.room(n + 4);
    this.at += 4;
    return this.at - 4;
  }

  /** Binary format: writes the length of the field written since `openField` gave `length`. */
  protected closeField(length: number): void {
    if (length >= 0) this.buf.writeInt32BE(this.at - length - 4, length);
  }

  /** Starts a new output buffer of `size` bytes. */
  protected output(size: number): void {
    this.buf = Buffer.allocUnsafe(size);
    this.view = viewOf(this.buf);
    this.at = 0;
  }

  protected room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
    this.view = viewOf(bigger);
  }

  protected byte(b: number): void {
    this.room(1);
    this.buf[this.at++] = b;
  }

  protected bytes(data: Buffer, from: number, to: number): void {
    this.room(to - from);
    if (to - from < 128) {
      if (data !== this.input) {
        this.input = data;
        this.inputView = viewOf(data);
      }
      this.at = copyRun(this.view, this.buf, this.at, this.inputView, data, from, to);
    } else this.at += data.copy(this.buf, this.at, from, to);
  }

  /**
   * A cell in the stream's format: in COPY text, ASCII written byte by byte with its escapes and
   * anything else through encodeField; in binary, its length and UTF-8 bytes.
   */
  protected cell(value: Cell): void {
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
