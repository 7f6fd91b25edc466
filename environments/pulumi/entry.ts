/**
 * The stack worker's entry point (bundled into stack-worker.js): a fresh worker for one operation,
 * or a warm one serving a socket when started with SLIPWAY_WARM_SOCKET. Pulumi's dynamic-provider
 * host is a bundle of its own (./provider-host.ts), run in a thread of this worker.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
require('./lazy-sdk-parts');
// The provider thread loads its host while this thread loads the SDK (./provider-thread.ts).
void require('./provider-thread').providerPort();
if (process.env.SLIPWAY_WARM_SOCKET) require('./warm-server');
else require('./worker');
