/** The masking worker thread: masks batches of whole COPY text lines for `ParallelMaskStream` (mask-pool.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { SlipwayError } from '../errors';
import { MaskStream } from './copy-text';
import { MaskingKey } from './keyed';
import { RowMasker } from './transformers';
import type { MaskJob, MaskReply } from './mask-pool';

const job = workerData as MaskJob;
const masker = new RowMasker(job.table, job.columns, new MaskingKey(Buffer.from(job.key)), job.uniqueSets);
let rows = 0;
const stream = new MaskStream(masker, (n) => (rows = n));
const port = parentPort;
if (!port) throw new Error('mask-worker runs as a worker thread');

port.on('message', ({ id, data }: { id: number; data: Uint8Array }) => {
  let reply: MaskReply;
  let out: Buffer | undefined;
  try {
    out = stream.maskLines(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    reply = { id, out, rows };
  } catch (err) {
    const e = err as Error;
    const known = SlipwayError.is(err);
    reply = {
      id,
      error: { message: e.message, reason: known ? err.reason : undefined, hint: known ? err.hint : undefined },
    };
  }
  // A buffer of its own (not a slice of Node's shared pool) moves to the other thread without a copy.
  const own = out && out.buffer.byteLength > Buffer.poolSize ? [out.buffer as ArrayBuffer] : [];
  port.postMessage(reply, own);
});
port.postMessage({ ready: true });
