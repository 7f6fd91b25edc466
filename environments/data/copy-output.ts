/** The output side of a masked COPY stream: one growing buffer per chunk, and cells written in COPY text or in the binary format. */
import { Transform } from 'node:stream';
import { BACKSLASH, encodeField, NL, TAB } from './copy-format';
import type { Cell } from './transformers';

/**
 * A transform that writes each chunk's output into one buffer (`buf`, up to `at`), in COPY text
 * or, when `binary`, in the binary format (each field after its length, -1 for NULL).
 */
export abstract class CopyOutput extends Transform {
  protected buf: Buffer = Buffer.alloc(0);
  protected at = 0;

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

  protected room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }

  protected byte(b: number): void {
    this.room(1);
    this.buf[this.at++] = b;
  }

  protected bytes(data: Buffer, from: number, to: number): void {
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
