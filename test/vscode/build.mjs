// Bundles the in-host tests (test/vscode) into dist/vscode-test/index.js, the module VS Code's
// extension host loads as `--extensionTestsPath`: mocha and the suites inside, `vscode` external.
// Run it directly (`node test/vscode/build.mjs`) or import buildInHostTests().
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Builds the bundle and returns its absolute path. */
export async function buildInHostTests() {
  const outfile = join(root, 'dist', 'vscode-test', 'index.js');
  await build({
    absWorkingDir: root,
    entryPoints: ['test/vscode/index.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode'],
    sourcemap: 'inline',
    logLevel: 'warning',
    // Mocha's parallel mode (worker files found with require.resolve) is never used in the host.
    logOverride: { 'require-resolve-not-external': 'silent' },
  });
  return outfile;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await buildInHostTests());
}
