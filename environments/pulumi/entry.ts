/**
 * The stack worker's entry point (bundled into stack-worker.js): a fresh worker for one operation,
 * or a warm one serving a socket when started with SLIPWAY_WARM_SOCKET. Pulumi's dynamic-provider
 * host is a bundle of its own (./provider-host.ts), run in a thread of this worker.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
// The worker writes to the stdout and stderr it shares with the CLI that started it. When whoever
// read them is gone (the CLI killed, its terminal closed), a write fails with EPIPE; unhandled, that
// error reached the SDK's uncaught-exception handler, which logged it to stderr again, in a loop
// that took a core and gigabytes until the run ended. A worker goes on without its output.
for (const out of [process.stdout, process.stderr]) out.on('error', () => undefined);
require('./lazy-sdk-parts');
// The provider thread loads its host while this thread loads the SDK (./provider-thread.ts).
void require('./provider-thread').providerPort();
if (process.env.SLIPWAY_WARM_SOCKET) require('./warm-server');
else require('./worker');
