/** Reading a `COPY ... TO STDOUT` from PostgreSQL as one byte stream, each socket read's rows in place. */
import { to as copyTo } from 'pg-copy-streams';
import { copyRun } from './copy-output';

/** PostgreSQL's backend message codes that a COPY out meets. */
const COPY_DATA = 0x64; // d
const ERROR_RESPONSE = 0x45; // E
/** Messages that may come before or among the rows and are passed over. */
const PASSED = new Set([
  0x48, // H: CopyOutResponse
  0x53, // S: ParameterStatus
  0x4e, // N: NoticeResponse
  0x41, // A: NotificationResponse
]);

type CopyToStream = ReturnType<typeof copyTo>;
/**
 * What the reader uses of pg-copy-streams' COPY out stream, besides its public face: its own
 * members, so package.json pins the library's version, and `copy-reader.test.ts` compares the
 * reader with the library's own parser on the same reads.
 */
interface Internals {
  _buffer: { push(data: Buffer): void };
  _detach(): void;
  _cleanup(): void;
}
const CopyToStream = copyTo('').constructor as new (text: string) => CopyToStream;

/**
 * pg-copy-streams' COPY out stream (its submission to the `pg` client, hand-over of the
 * connection, errors and row count), with its own parser of the server's messages: where the
 * library slices each row's CopyData message out of a socket read and joins the slices again,
 * this moves the rows' bytes down over their messages' headers inside the read itself (a socket
 * read's buffer is its reader's alone) and passes the read on. A million rows are a million
 * slices fewer. The bytes are the same: the rows in order, cut anywhere (a row may span two
 * reads; the masking stream takes care of that).
 */
class CopyOutReader extends CopyToStream {
  /** Bytes of the current CopyData message still to come in the next read. */
  private remaining = 0;
  /** The start of a message cut by the end of a read before its header (or, not a row, its end): read again with the next one. */
  private carry: Buffer | undefined;

  /** Called by the base class with each socket read; returns whether more may be read now. */
  _parse(input: Buffer): boolean | undefined {
    const self = this as unknown as Internals;
    const chunk = this.carry ? Buffer.concat([this.carry, input]) : input;
    this.carry = undefined;
    const end = chunk.length;
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // The rows' bytes are moved down to `w` (never past where they are read from: headers only go).
    let p = Math.min(this.remaining, end);
    let w = p;
    this.remaining -= p;
    let done = false;
    while (p < end) {
      const code = chunk[p];
      if (code === ERROR_RESPONSE) {
        // The error and what follows are the pg client's to read: it fails the query with it.
        self._buffer.push(chunk.subarray(p));
        self._detach();
        return undefined;
      }
      if (end - p < 5) {
        this.carry = Buffer.from(chunk.subarray(p));
        break;
      }
      const length = chunk.readUInt32BE(p + 1) - 4;
      if (code === COPY_DATA) {
        const from = p + 5;
        const to = from + Math.min(length, end - from);
        w = copyRun(view, chunk, w, view, chunk, from, to);
        this.remaining = length - (to - from);
        p = to;
        continue;
      }
      if (end - p - 5 < length) {
        this.carry = Buffer.from(chunk.subarray(p));
        break;
      }
      p += 5 + length;
      if (PASSED.has(code)) continue;
      // CopyDone (as in the library, anything unexpected too) ends the copy: what follows is the pg client's.
      self._buffer.push(chunk.subarray(p));
      done = true;
      break;
    }
    const drained = w > 0 ? this.push(chunk.subarray(0, w)) : true;
    if (done) {
      self._detach();
      this.push(null);
      self._cleanup();
      // The connection is the pg client's again: nothing more is read here.
      return false;
    }
    return drained;
  }
}

/** A `COPY ... TO STDOUT` statement's output as a stream of its rows' bytes, for `client.query`. */
export function copyOut(text: string): CopyToStream {
  return new CopyOutReader(text);
}
