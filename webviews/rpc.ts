/**
 * Requests with replies matched by id, and a timeout. DOM-free and Node-free: the webviews ask
 * with `Requester`, the extension answers with `answerRequest` (and may ask too, if it ever
 * needs to: both are generic over the request table).
 */
import type { RequestMessage, Requests, ResponseError, ResponseMessage } from './protocol';

/** A table of requests (method -> its params and result), like `Requests`. */
export type RequestTable<T> = { [M in keyof T]: { params: unknown; result: unknown } };

export type RpcErrorReason = 'timeout' | 'cancelled' | 'closed' | 'remote';

/**
 * A request that got no result:
 * - `timeout`: no answer within the time allowed;
 * - `cancelled`: the caller's signal aborted it;
 * - `closed`: the requester was disposed (the panel closed or reloaded) first;
 * - `remote`: the other side answered with an error (`remoteReason` is its code).
 */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly reason: RpcErrorReason,
    message: string,
    readonly remoteReason?: string,
  ) {
    super(message);
  }
  static is(err: unknown): err is RpcError {
    return err instanceof RpcError;
  }
}

export interface RequestOptions {
  /** Default: the requester's (10 s unless given). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface RequesterOptions {
  timeoutMs?: number;
}

interface Pending {
  method: string;
  resolve(result: unknown): void;
  reject(err: RpcError): void;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/**
 * Sends requests through `send` and settles each when `receive` is given the response with its
 * id, or fails it after the timeout. Ids are positive integers, unique per requester.
 */
export class Requester<T extends RequestTable<T> = Requests> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly timeoutMs: number;

  constructor(
    private readonly send: (message: { type: 'request'; id: number; method: string; params: unknown }) => unknown,
    options: RequesterOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** How many requests wait for an answer. */
  get size(): number {
    return this.pending.size;
  }

  request<M extends keyof T & string>(
    method: M,
    params: T[M]['params'],
    options: RequestOptions = {},
  ): Promise<T[M]['result']> {
    const { signal } = options;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    if (signal?.aborted) return Promise.reject(new RpcError('cancelled', `${method} was cancelled.`));
    const id = this.nextId++;
    return new Promise<T[M]['result']>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
      };
      const onAbort = () => {
        done();
        reject(new RpcError('cancelled', `${method} was cancelled.`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new RpcError('timeout', `${method} got no answer within ${timeoutMs} ms.`));
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        method,
        resolve: (result) => {
          done();
          resolve(result as T[M]['result']);
        },
        reject: (err) => {
          done();
          reject(err);
        },
      });
      try {
        this.send({ type: 'request', id, method, params });
      } catch (err) {
        this.pending
          .get(id)
          ?.reject(
            new RpcError('closed', `${method} could not be sent: ${err instanceof Error ? err.message : String(err)}`),
          );
      }
    });
  }

  /**
   * Settles the request a response answers. Returns false for anything that is not a response
   * to a request still waiting here (a late answer after a timeout, another requester's).
   */
  receive(message: unknown): boolean {
    if (typeof message !== 'object' || message === null) return false;
    // Own properties only: nothing a message inherits (or names `__proto__`) is read.
    const field = (key: string): unknown =>
      Object.hasOwn(message, key) ? (message as Record<string, unknown>)[key] : undefined;
    const id = field('id');
    if (field('type') !== 'response' || typeof id !== 'number') return false;
    const p = this.pending.get(id);
    if (!p) return false;
    const error = field('error') as ResponseError | undefined;
    if (error)
      p.reject(
        new RpcError(
          'remote',
          (typeof error.message === 'string' && error.message) || `${p.method} failed.`,
          typeof error.reason === 'string' ? error.reason : undefined,
        ),
      );
    else p.resolve(field('result'));
    return true;
  }

  /** Fails every waiting request with `closed`. */
  dispose(): void {
    for (const p of [...this.pending.values()])
      p.reject(new RpcError('closed', `${p.method} was abandoned: the view closed.`));
  }
}

/** One handler per request method; a handler may throw (an `Error` with a `reason` keeps it). */
export type RequestHandlers<T extends RequestTable<T> = Requests> = {
  [M in keyof T]: (params: T[M]['params']) => T[M]['result'] | Promise<T[M]['result']>;
};

/**
 * Answers one request with its handler's result, or with an error response when the handler
 * throws or the method has none. Always posts exactly one response.
 */
export async function answerRequest<T extends RequestTable<T> = Requests>(
  request: RequestMessage | { type: 'request'; id: number; method: string; params: unknown },
  handlers: RequestHandlers<NoInfer<T>>,
  post: (response: ResponseMessage) => unknown,
): Promise<void> {
  const handler = Object.hasOwn(handlers, request.method)
    ? (handlers[request.method as keyof T] as (params: unknown) => unknown)
    : undefined;
  if (!handler) {
    await post({
      type: 'response',
      id: request.id,
      error: { message: `Unknown request ${request.method}.`, reason: 'unknown-method' },
    });
    return;
  }
  let response: ResponseMessage;
  try {
    response = { type: 'response', id: request.id, result: await handler(request.params) };
  } catch (err) {
    const reason = (err as { reason?: unknown })?.reason;
    response = {
      type: 'response',
      id: request.id,
      error: {
        message: err instanceof Error ? err.message : String(err),
        ...(typeof reason === 'string' ? { reason } : {}),
      },
    };
  }
  await post(response);
}
