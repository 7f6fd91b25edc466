/** Test helper: what a `MaskStream` writes for the chunks it is given, as one buffer. */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MaskStream } from '../../environments/data/copy-text';
import type { RowMasker } from '../../environments/data/transformers';

export async function maskThrough(
  masker: RowMasker,
  chunks: Buffer[],
  onRows?: (rows: number) => void,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    new MaskStream(masker, onRows ?? (() => undefined)),
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        parts.push(chunk);
        cb();
      },
    }),
  );
  return Buffer.concat(parts);
}
