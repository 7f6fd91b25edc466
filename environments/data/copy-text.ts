/** PostgreSQL's COPY text format as a stream: rows are parsed, masked and re-encoded, with bounded memory. */
import { Transform, type TransformCallback } from 'node:stream';
import type { Cell, RowMasker } from './transformers';

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

/**
 * Masks a COPY text stream row by row. Only whole lines are processed; the partial last line of a
 * chunk waits for the next one, so memory holds one chunk plus one row. `onRows` hears how many
 * rows each chunk carried.
 */
export class MaskStream extends Transform {
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    private readonly masker: RowMasker,
    private readonly onRows: (rows: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      const data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
      const end = data.lastIndexOf(0x0a);
      if (end < 0) {
        this.pending = data;
        callback();
        return;
      }
      this.pending = Buffer.from(data.subarray(end + 1));
      const lines = data.toString('utf8', 0, end).split('\n');
      callback(null, this.maskLines(lines));
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.pending.length === 0) return callback();
      callback(null, this.maskLines([this.pending.toString('utf8')]));
    } catch (err) {
      callback(err as Error);
    }
  }

  private maskLines(lines: string[]): string {
    this.onRows(lines.length);
    if (!this.masker.masksAnything) return lines.join('\n') + '\n';
    let out = '';
    for (const line of lines) {
      const row = line.split('\t').map(decodeField);
      out += this.masker.mask(row).map(encodeField).join('\t') + '\n';
    }
    return out;
  }
}
