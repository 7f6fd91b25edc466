/**
 * The stack worker's entry point (bundled into stack-worker.js). Pulumi's dynamic-provider host
 * is a bundle of its own (./provider-host.ts), so a provider start does not load the worker.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('./worker');
