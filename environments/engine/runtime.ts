/** Where the stack worker runs from: the editor's bundle or the npm package's layout. */
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { SlipwayError } from '../errors';

function packageRoot(): string {
  // dist/slipway.js sits one level below the package root, environments/engine/runtime.ts two.
  return existsSync(join(__dirname, '..', 'package.json')) ? join(__dirname, '..') : join(__dirname, '..', '..');
}

/** Where the stack worker runs from, and where the dynamic-provider host finds its npm packages. */
export interface WorkerRuntime {
  /** The worker's entry file (environments/pulumi/entry.ts, built). */
  worker: string;
  /** NODE_PATH for the worker and the provider host. */
  nodePath: string;
}

/**
 * Two layouts: the editor's bundle (`stack-worker.js` next to this file, with everything but
 * dockerode inside it, and dockerode bundled under `runtime/node_modules/`), and the npm package
 * (`dist/stack-worker.js` with its packages in node_modules).
 */
export function findRuntime(): WorkerRuntime {
  const bundled = join(__dirname, 'runtime', 'node_modules');
  if (existsSync(join(__dirname, 'stack-worker.js')) && existsSync(bundled))
    return { worker: join(__dirname, 'stack-worker.js'), nodePath: bundled };
  const candidates = [
    process.env.SLIPWAY_WORKER,
    join(__dirname, 'stack-worker.js'),
    join(packageRoot(), 'dist', 'stack-worker.js'),
  ];
  const worker = candidates.find((c): c is string => !!c && existsSync(c));
  if (!worker) {
    throw new SlipwayError('operation-failed', 'The Slipway stack worker (dist/stack-worker.js) is missing.', {
      hint: 'Run `npm run build`.',
    });
  }
  // .../node_modules/@pulumi/pulumi/package.json -> .../node_modules
  const packages = dirname(dirname(dirname(require.resolve('@pulumi/pulumi/package.json'))));
  // The bundled dynamic-provider host (scripts/build.mjs) first, when it was built beside the worker.
  const host = join(dirname(worker), 'provider-runtime', 'node_modules');
  return { worker, nodePath: existsSync(host) ? [host, packages].join(delimiter) : packages };
}
