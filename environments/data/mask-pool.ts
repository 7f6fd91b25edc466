/** Masking a table's COPY text on worker threads: batches of whole lines masked in parallel, in any order, with bounded memory. */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { SlipwayError, type SlipwayErrorReason } from '../errors';
import { MaskStream } from './copy-text';
import type { MaskedColumn, RowMasker } from './transformers';

/** What a worker needs to build the same row masker (the key's bytes stay in this process). */
export interface MaskJob {
  table: string;
  columns: MaskedColumn[];
  key: Uint8Array;
  uniqueSets: string[][];
}

export type MaskReply =
  | { id: number; out: Uint8Array; rows: number }
  | { id: number; error: { message: string; reason?: SlipwayErrorReason; hint?: string } };

/** Bytes of whole lines sent to a worker at once. */
const BATCH = 256 * 1024;
/** Bytes masked on this thread before worker threads are started, so a small table never waits for them. */
const START_AFTER = 4 * 1024 * 1024;
/** Batches a worker holds at once (one masking, one queued). */
const PER_WORKER = 2;
const NL = 0x0a;

/**
 * Worker threads per table: `SLIPWAY_MASK_THREADS` when set (0: none), else one per core beyond
 * the two that the source's and the target's PostgreSQL sessions keep busy, at most 4 (none on a
 * two-core machine, where the bench measured a thread's start and hand-offs costing more than it gave).
 */
export function maskThreads(): number {
  const set = Number(process.env.SLIPWAY_MASK_THREADS);
  if (process.env.SLIPWAY_MASK_THREADS !== undefined && Number.isInteger(set) && set >= 0) return Math.min(set, 16);
  return Math.min(4, Math.max(0, availableParallelism() - 2));
}

/**
 * How to start a worker: the bundle next to this one (dist/, dist/extension/), else, when this
 * runs from source (through tsx), the source file with tsx's loader registered in the thread.
 */
function workerSource(): { code: string; eval: boolean } | undefined {
  if (!__filename.endsWith('.ts')) {
    const file = [join(__dirname, 'mask-worker.js'), join(__dirname, '..', '..', 'dist', 'mask-worker.js')].find((c) =>
      existsSync(c),
    );
    return file ? { code: file, eval: false } : undefined;
  }
  const loader = ['tsx', 'cjs', 'api'].join('/'); // resolved at run time only, never bundled
  const api = require.resolve(loader);
  const file = join(__dirname, 'mask-worker.ts');
  return { code: `require(${JSON.stringify(api)}).register(); require(${JSON.stringify(file)});`, eval: true };
}

interface Lane {
  worker: Worker;
  ready: boolean;
  busy: number;
}

/**
 * Like `MaskStream`, but once a table has shown more than a few megabytes its batches of whole
 * lines go to worker threads, each with its own row masker built from the same columns and key
 * (masking is deterministic, so every thread gives the same output for the same row). Rows leave
 * in the order batches come back, which COPY does not mind. Only for tables whose masking has no
 * cross-row state (no unique column watched for collisions): those stay on one `MaskStream`.
 * This thread masks a batch itself when every worker already holds `PER_WORKER` batches, so
 * memory stays bounded (at most workers x 2 batches in flight) and no core sits idle.
 */
export class ParallelMaskStream extends Transform {
  private readonly inline: MaskStream;
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private seen = 0;
  private lanes: Lane[] | undefined;
  private inFlight = 0;
  private nextId = 0;
  private flushed: TransformCallback | undefined;
  /** Batches masked on worker threads so far. */
  workerBatches = 0;

  /** Worker threads started and ready for batches. */
  get readyWorkers(): number {
    return (this.lanes ?? []).filter((l) => l.ready).length;
  }

  constructor(
    masker: RowMasker,
    private readonly job: MaskJob,
    private readonly onRows: (rows: number) => void,
    private readonly threads = maskThreads(),
  ) {
    super();
    if (masker.crossRow) throw new Error('a table with cross-row masking state cannot be masked in parallel');
    this.inline = new MaskStream(masker, onRows);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.batch.push(chunk);
    this.batchBytes += chunk.length;
    this.seen += chunk.length;
    if (this.batchBytes < BATCH) return callback();
    const data = Buffer.concat(this.batch, this.batchBytes);
    const end = data.lastIndexOf(NL);
    if (end < 0) {
      this.batch = [data];
      return callback();
    }
    this.batch = end + 1 < data.length ? [data.subarray(end + 1)] : [];
    this.batchBytes = data.length - end - 1;
    this.dispatch(data.subarray(0, end + 1), callback);
  }

  override _flush(callback: TransformCallback): void {
    let data = Buffer.concat(this.batch, this.batchBytes);
    this.batch = [];
    this.batchBytes = 0;
    if (data.length > 0 && data[data.length - 1] !== NL) data = Buffer.concat([data, Buffer.from('\n')]);
    const done = (err?: Error | null, out?: Buffer) => {
      if (err) return callback(err);
      if (out) this.push(out);
      if (this.inFlight === 0) this.finish(callback);
      else this.flushed = callback;
    };
    if (data.length > 0) this.dispatch(data, done);
    else done();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.stopWorkers();
    callback(err);
  }

  private finish(callback: TransformCallback): void {
    this.stopWorkers();
    callback();
  }

  /** Sends whole lines to a worker with room, else masks them here. */
  private dispatch(lines: Buffer, callback: TransformCallback): void {
    if (!this.lanes && this.seen >= START_AFTER) this.startWorkers();
    let lane: Lane | undefined;
    for (const l of this.lanes ?? []) if (l.ready && l.busy < PER_WORKER && (!lane || l.busy < lane.busy)) lane = l;
    if (!lane) {
      try {
        callback(null, this.inline.maskLines(lines));
      } catch (err) {
        callback(err as Error);
      }
      return;
    }
    lane.busy++;
    this.inFlight++;
    lane.worker.postMessage({ id: this.nextId++, data: lines });
    callback();
  }

  private startWorkers(): void {
    this.lanes = [];
    const source = this.threads > 0 ? workerSource() : undefined;
    if (!source) return;
    for (let i = 0; i < this.threads; i++) {
      const worker = new Worker(source.code, { eval: source.eval, workerData: this.job });
      const lane: Lane = { worker, ready: false, busy: 0 };
      this.lanes.push(lane);
      lane.worker.on('message', (m: MaskReply | { ready: true }) => this.onReply(lane, m));
      lane.worker.on('error', (err) => {
        // A worker that never started (no bundle beside this one, say) is left out; one that
        // holds batches fails the copy.
        if (lane.busy > 0) this.destroy(err);
        this.lanes = this.lanes?.filter((l) => l !== lane);
      });
      lane.worker.on('exit', () => {
        if (lane.busy > 0 && !this.destroyed) this.destroy(new Error('a masking worker thread stopped mid-batch'));
      });
    }
  }

  private onReply(lane: Lane, m: MaskReply | { ready: true }): void {
    if ('ready' in m) {
      lane.ready = true;
      return;
    }
    lane.busy--;
    this.inFlight--;
    if (this.destroyed) return;
    if ('error' in m) {
      const { message, reason, hint } = m.error;
      this.destroy(reason ? new SlipwayError(reason, message, { hint }) : new Error(message));
      return;
    }
    this.workerBatches++;
    this.onRows(m.rows);
    this.push(Buffer.from(m.out.buffer, m.out.byteOffset, m.out.byteLength));
    if (this.inFlight === 0 && this.flushed) {
      const callback = this.flushed;
      this.flushed = undefined;
      this.finish(callback);
    }
  }

  private stopWorkers(): void {
    for (const l of this.lanes ?? []) void l.worker.terminate();
    this.lanes = [];
  }
}
