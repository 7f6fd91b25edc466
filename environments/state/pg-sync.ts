// Synchronous calls into PostgreSQL: a worker thread owns the connections, the caller blocks on Atomics.wait until its answer comes back.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { SlipwayError } from '../errors';
import { maskUrl } from './url';

/** What the worker answers to each request. */
export interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
  /** Set when the request was a lock that timed out. */
  timedOut?: boolean;
}

const CALL_TIMEOUT_MS = 60_000;

/** The worker's file: next to this bundle (dist/, dist/extension/), else the package's dist/. */
function workerFile(): string {
  const candidates = [
    process.env.SLIPWAY_STATE_WORKER,
    join(__dirname, 'state-worker.js'),
    join(__dirname, '..', '..', 'dist', 'state-worker.js'),
    join(__dirname, '..', 'dist', 'state-worker.js'),
  ];
  const found = candidates.find((c): c is string => !!c && existsSync(c));
  if (!found)
    throw new SlipwayError('operation-failed', 'The Slipway state worker (dist/state-worker.js) is missing.', {
      hint: 'Run `npm run build`.',
    });
  return found;
}

/**
 * One worker per process and database. Sync calls (reads and writes of stored items) block the
 * caller for the round trip; locks are asynchronous (waiting for another machine's promotion
 * must not freeze the editor).
 */
export class PgBridge {
  private worker?: Worker;
  private syncPort?: MessagePort;
  private asyncPort?: MessagePort;
  private flag = new Int32Array(new SharedArrayBuffer(4));
  private nextId = 1;
  private pending = new Map<number, (r: Reply) => void>();

  constructor(private readonly url: string) {}

  private start(): void {
    if (this.worker) return;
    const sync = new MessageChannel();
    const async = new MessageChannel();
    this.worker = new Worker(workerFile(), {
      workerData: { url: this.url, syncPort: sync.port2, asyncPort: async.port2, flag: this.flag },
      transferList: [sync.port2, async.port2],
    });
    this.worker.unref();
    this.worker.on('error', (err) => {
      for (const resolve of this.pending.values()) resolve({ id: 0, ok: false, error: err.message });
      this.pending.clear();
    });
    this.syncPort = sync.port1;
    this.syncPort.unref();
    this.asyncPort = async.port1;
    this.asyncPort.on('message', (r: Reply) => {
      const resolve = this.pending.get(r.id);
      this.pending.delete(r.id);
      if (this.pending.size === 0) this.asyncPort?.unref();
      resolve?.(r);
    });
    this.asyncPort.unref();
  }

  private failure(op: string, error: string | undefined): SlipwayError {
    return new SlipwayError(
      'operation-failed',
      `The team state in PostgreSQL (${maskUrl(this.url)}) could not ${op}: ${error ?? 'no answer'}.`,
      {
        hint: 'Check that the database answers and that SLIPWAY_STATE_URL (or state_url in the host policy) names it with a user that may write to it, then retry.',
      },
    );
  }

  /** Runs one request and blocks until its answer. */
  call<T>(op: string, args: Record<string, unknown>): T {
    this.start();
    const id = this.nextId++;
    Atomics.store(this.flag, 0, 0);
    this.syncPort!.postMessage({ id, op, ...args });
    const deadline = Date.now() + CALL_TIMEOUT_MS;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw this.failure(op, `no answer within ${CALL_TIMEOUT_MS / 1000} s`);
      Atomics.wait(this.flag, 0, 0, left);
      const got = receiveMessageOnPort(this.syncPort!);
      if (!got) {
        if (this.worker && this.worker.threadId < 0) throw this.failure(op, 'its worker stopped');
        Atomics.store(this.flag, 0, 0);
        continue;
      }
      const r = got.message as Reply;
      if (r.id !== id) continue;
      if (!r.ok) throw this.failure(op, r.error);
      return r.value as T;
    }
  }

  /** Runs one request without blocking. */
  callAsync<T>(op: string, args: Record<string, unknown>): Promise<Reply & { value?: T }> {
    this.start();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve as (r: Reply) => void);
      this.asyncPort!.ref();
      this.asyncPort!.postMessage({ id, op, ...args });
    });
  }

  fail(op: string, error: string | undefined): SlipwayError {
    return this.failure(op, error);
  }
}
