/**
 * Slipway's dynamic provider served from a thread of the stack worker: the Pulumi engine attaches
 * to it (`PULUMI_DEBUG_PROVIDERS=pulumi-nodejs:<port>`) instead of starting its plugin, a shell
 * shim and two Node processes, on every operation. A warm worker keeps it between runs.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Worker } from 'node:worker_threads';

let thread: { worker: Worker; port: Promise<number | undefined> } | undefined;

/** The provider host built beside the stack worker; undefined when this code does not run from the built worker. */
function hostFile(): string | undefined {
  const file = join(__dirname, 'provider-host.js');
  return basename(__filename) === 'stack-worker.js' && existsSync(file) ? file : undefined;
}

/**
 * The port the provider thread serves on, starting it on first use. Undefined when it cannot run
 * (no built host, or the thread failed to start): Pulumi then starts its plugin as it always did.
 */
export function providerPort(): Promise<number | undefined> {
  if (thread) return thread.port;
  const file = hostFile();
  if (!file) return Promise.resolve(undefined);
  // The host's one line on stdout is its port (the same line Pulumi reads from its plugin).
  const worker = new Worker(file, { argv: ['attached'], stdout: true });
  worker.unref();
  const port = new Promise<number | undefined>((resolve) => {
    let out = '';
    worker.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = /^(\d+)\s*\n/.exec(out);
      if (line) resolve(Number(line[1]));
    });
    worker.once('error', () => resolve(undefined));
    worker.once('exit', () => {
      resolve(undefined);
      if (thread?.worker === worker) thread = undefined;
    });
  });
  thread = { worker, port };
  return port;
}

/** Ends the provider thread (any call still in it with it); the next operation starts a fresh one. */
export async function stopProviderThread(): Promise<void> {
  const t = thread;
  thread = undefined;
  await t?.worker.terminate();
}
