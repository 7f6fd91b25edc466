/**
 * The stack worker's entry point (bundled into stack-worker.js): a fresh worker for one operation,
 * or a warm one serving a socket when started with SLIPWAY_WARM_SOCKET. Pulumi's dynamic-provider
 * host is a bundle of its own (./provider-host.ts), so a provider start does not load the worker.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
if (process.env.SLIPWAY_WARM_SOCKET) require('./warm-server');
else require('./worker');
