/**
 * Docker's log stream of a container without a TTY is multiplexed: frames of an 8-byte header
 * (stream type, three zero bytes, payload length big-endian) and the payload. These helpers turn
 * it back into text lines.
 */

/** Splits complete frames off `buf`: their text, and the bytes of an unfinished frame. */
export function demuxFrames(buf: Buffer): { text: string; rest: Buffer } {
  // A raw (TTY) stream has no headers: its first byte is not a stream type 0..2 followed by zeros.
  if (buf.length >= 4 && !(buf[0] <= 2 && buf[1] === 0 && buf[2] === 0 && buf[3] === 0))
    return { text: buf.toString('utf8'), rest: Buffer.alloc(0) };
  const parts: Buffer[] = [];
  let at = 0;
  while (buf.length - at >= 8) {
    const size = buf.readUInt32BE(at + 4);
    if (buf.length - at - 8 < size) break;
    parts.push(buf.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return { text: Buffer.concat(parts).toString('utf8'), rest: buf.subarray(at) };
}

/** The whole text of a complete (non-followed) log buffer. */
export function demuxDockerLog(buf: Buffer): string {
  return demuxFrames(buf).text;
}

/** Feeds text pieces in; calls `onLine` once per complete line. `undefined` flushes the last partial line. */
export function lineSplitter(onLine: (line: string) => void): (text: string | undefined) => void {
  let partial = '';
  return (text) => {
    if (text === undefined) {
      if (partial) onLine(partial);
      partial = '';
      return;
    }
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line.replace(/\r$/, ''));
  };
}
