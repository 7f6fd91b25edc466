/**
 * Pulumi's dynamic-provider host on its own: Slipway's Docker resources are served from it.
 * Bundled apart from the stack worker and without the SDK's closure serializer (which only a
 * program run needs, and which brings a TypeScript compiler), it loads ~1 MB, not ~5.6 MB.
 *
 * Two ways to run: the process Pulumi's `pulumi-resource-pulumi-nodejs` plugin starts, or a thread
 * of the stack worker (./provider-thread.ts) that the Pulumi engine attaches to through
 * `PULUMI_DEBUG_PROVIDERS`. An attached provider is sent `Attach` first, which the SDK's host does
 * not implement (it is only ever started by the engine): in a thread, that call is answered as the
 * engine expects, with nothing to do, since the host needs no engine address.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import { isMainThread } from 'node:worker_threads';

if (!isMainThread) {
  const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
  type Handler = (call: unknown, callback: (err: unknown, res?: unknown) => void) => void;
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service, implementation) {
    const impl = implementation as Record<string, Handler>;
    if (!('attach' in service) || typeof impl.cancel !== 'function')
      return addService.call(this, service, implementation);
    // `Attach` and `Cancel` both answer google.protobuf.Empty; the host's `Cancel` answers it and does nothing else.
    const attach: Handler = (call, callback) => impl.cancel!.call(impl, call, callback);
    return addService.call(
      this,
      service,
      Object.assign(Object.create(impl) as object, { attach }) as typeof implementation,
    );
  };
}
require('@pulumi/pulumi/cmd/dynamic-provider');
