// Builds the Node bundles with esbuild: the `slipway` CLI and the stack worker (one Node process
// per stack operation). npm packages stay external: @pulumi/pulumi serializes dynamic provider
// code into the state, and that code must reach dockerode through a plain `require`.
import { build } from 'esbuild';
import { chmodSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entries = [
  { in: 'environments/cli/main.ts', out: 'slipway', banner: '#!/usr/bin/env node' },
  { in: 'environments/pulumi/worker.ts', out: 'stack-worker' },
];
for (const e of entries) {
  if (!existsSync(join(root, e.in))) continue;
  await build({
    absWorkingDir: root,
    entryPoints: [e.in],
    outfile: `dist/${e.out}.js`,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
    banner: e.banner ? { js: e.banner } : undefined,
  });
  if (e.banner) chmodSync(join(root, `dist/${e.out}.js`), 0o755);
}
