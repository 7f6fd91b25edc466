// Builds Slipway with esbuild.
//
// For the CLI (npm package), dist/slipway.js and dist/stack-worker.js, with npm packages left
// external: they load from node_modules.
//
// For the VS Code extension, dist/extension/, self-contained (the VSIX carries no node_modules):
//   extension.js  activation: views, commands, listeners; `vscode` external, nothing heavy inside
//   core.js       the core (engine, spec, pipeline, dockerode, yaml, ajv, chokidar), loaded on first use
//   gateway.js    the share-link gateway process (environments/share/main.ts)
//   stack-worker.js  the stack worker with the Pulumi SDK inside (the Docker provider's modules,
//                 environments/docker/provider*, share one scope in it, so Pulumi serializes them into the
//                 state as one self-contained closure)
//   provider-host.js  Pulumi's dynamic-provider host alone (~1 MB: no closure serializer), which runs
//                 that closure; dist/provider-host.js with dist/provider-runtime/ is the same for the CLI
//   slipway.js    the `slipway` CLI with every npm package inside: what `npm pack` ships (package.json
//                 `bin`, .npmignore) and what "Slipway: Install CLI on PATH" links, beside the same worker;
//                 a few lines that load cli/slipway.mjs, the CLI's ES-module chunks (one per command and
//                 what they share: scripts/cli-commands.mjs) and the CommonJS parts of dockerode loaded on
//                 first use (scripts/lazy-parts.mjs)
//   runtime/node_modules/dockerode  dockerode, for provider code that Pulumi serializes into the
//                 state (it reaches npm packages through a plain require)
//   runtime/node_modules/@pulumi/pulumi/cmd/dynamic-provider  two lines that start
//                 provider-host.js (Pulumi's plugin shim resolves this path)
//
// `--check-sizes` fails the build when the extension's activation bundle grows past its budget.
import { build } from 'esbuild';
import { chmodSync, cpSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lazyCommandsPlugin } from './cli-commands.mjs';
import { buildLazyParts, lazyPartsPlugin } from './lazy-parts.mjs';
import { specValidatorPlugin } from './spec-validator.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// jsonc-parser's `main` is a UMD build whose inner requires esbuild cannot follow; its ESM build bundles whole.
const jsonc = { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' };
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Pulumi serializes the dynamic provider's functions from this output and parses each with the
  // TypeScript 3.8 its SDK vendors, which does not know `??=`, `||=` or `&&=`: the minifier must
  // not write them (a provider function it cannot parse stops the whole run).
  supported: { 'logical-assignment': false },
  format: 'cjs',
  logLevel: 'warning',
  alias: jsonc,
  // The spec schema's validator compiled at build time, not on every command (scripts/spec-validator.mjs).
  plugins: [specValidatorPlugin],
};
// The bundles never take the code paths that resolve npm packages on disk (the CLI's layout does).
const quiet = { logOverride: { 'require-resolve-not-external': 'silent' } };

// Pulumi's dynamic-provider host, bundled alone into `<dir>/provider-host.js` without the SDK's
// closure serializer (a program run's part, with a TypeScript compiler inside: ~4.5 MB the host
// never calls), and the two-line `@pulumi/pulumi/cmd/dynamic-provider` that Pulumi's plugin shim
// resolves through NODE_PATH, under `<dir>/<runtime>/node_modules`, pointing at it.
const noClosureSerializer = {
  name: 'no-closure-serializer',
  setup(b) {
    b.onResolve({ filter: /closure\/(serializeClosure|codePaths)$/ }, (args) => ({
      path: args.path,
      namespace: 'no-closure',
    }));
    b.onLoad({ filter: /.*/, namespace: 'no-closure' }, () => ({
      contents:
        "const no = () => { throw new Error('Function serialization is not part of the dynamic-provider host.'); };\n" +
        'module.exports = { serializeFunction: no, serializeFunctionAsync: no, computeCodePaths: no, computeCodePathsAsync: no };',
      loader: 'js',
    }));
  },
};
async function buildProviderHost(dir, runtime) {
  await build({
    ...common,
    entryPoints: ['environments/pulumi/provider-host.ts'],
    outfile: join(root, dir, 'provider-host.js'),
    // dockerode is required by the provider code Pulumi serialized into the state, found through NODE_PATH.
    external: ['dockerode', '*.node', 'cpu-features', 'ts-node'],
    plugins: [noClosureSerializer],
    minify: true,
    ...quiet,
  });
  const hostDir = join(root, dir, runtime, 'node_modules', '@pulumi', 'pulumi', 'cmd', 'dynamic-provider');
  mkdirSync(hostDir, { recursive: true });
  writeFileSync(
    join(hostDir, 'index.js'),
    "// Pulumi's dynamic-provider host, bundled alone beside Slipway's stack worker.\nrequire('../../../../../../provider-host.js');\n",
  );
}

// --- CLI ---
for (const e of [
  { in: 'environments/cli/main.ts', out: 'slipway', banner: '#!/usr/bin/env node' },
  { in: 'environments/pulumi/entry.ts', out: 'stack-worker' },
  { in: 'environments/state/pg-worker.ts', out: 'state-worker' },
  { in: 'environments/data/mask-worker.ts', out: 'mask-worker' },
]) {
  await build({
    ...common,
    entryPoints: [e.in],
    outfile: `dist/${e.out}.js`,
    packages: 'external',
    sourcemap: 'linked',
    banner: e.banner ? { js: e.banner } : undefined,
    // Each command's code (and the npm packages only it uses) loads when that command runs.
    plugins: e.banner ? [...common.plugins, lazyCommandsPlugin] : common.plugins,
  });
  if (e.banner) chmodSync(join(root, `dist/${e.out}.js`), 0o755);
}
await buildProviderHost('dist', 'provider-runtime');

// --- the mock server's image context: one bundled file and its Dockerfile on the local Node base ---
const MOCK_DOCKERFILE = `# A Slipway mock server (environments/mocks), on the local Node base built by scripts/bootstrap-images.sh.
FROM slipway/node:bookworm
COPY mock-server.js /opt/slipway/mock-server.js
USER node
CMD ["node", "/opt/slipway/mock-server.js"]
`;
await build({
  ...common,
  entryPoints: ['environments/mocks/main.ts'],
  outfile: join(root, 'dist/mock-image/mock-server.js'),
  minify: true,
  legalComments: 'none',
});
writeFileSync(join(root, 'dist/mock-image/Dockerfile'), MOCK_DOCKERFILE);

// --- webviews (browser bundles, the codicon font and stylesheet) ---
if (existsSync(join(root, 'webviews', 'build.mjs'))) {
  const { buildWebviews } = await import('../webviews/build.mjs');
  await buildWebviews({ outdir: 'dist/webviews', minify: true });
}

// `import * as vscode from 'vscode'` in each of the extension's files would become its own
// __toESM(require('vscode')), copying the whole API object's properties once per file at load.
// One virtual module re-exports it instead, so the copy happens once.
const vscodeOnce = {
  name: 'vscode-once',
  setup(b) {
    b.onResolve({ filter: /^vscode$/ }, (args) =>
      args.namespace === 'vscode-once'
        ? { path: 'vscode', external: true }
        : { path: 'vscode', namespace: 'vscode-once' },
    );
    b.onLoad({ filter: /.*/, namespace: 'vscode-once' }, () => ({ contents: "export * from 'vscode';", loader: 'js' }));
  },
};

// --- VS Code extension ---
if (existsSync(join(root, 'extension', 'extension.ts'))) {
  const out = join(root, 'dist', 'extension');
  rmSync(out, { recursive: true, force: true });
  cpSync(join(root, 'dist/mock-image'), join(out, 'mock-image'), { recursive: true });
  // Native addons of ssh2 (via dockerode) are optional: their require sits in a try/catch.
  const native = ['*.node', 'cpu-features'];
  await build({
    ...common,
    entryPoints: ['extension/extension.ts'],
    outfile: join(out, 'extension.js'),
    external: ['./core.js'],
    plugins: [vscodeOnce],
    minify: true,
  });
  await build({
    ...common,
    entryPoints: ['extension/core.ts'],
    outfile: join(out, 'core.js'),
    external: ['vscode', ...native],
    minify: true,
    ...quiet,
  });
  await build({
    ...common,
    entryPoints: ['environments/pulumi/entry.ts'],
    outfile: join(out, 'stack-worker.js'),
    // dockerode stays a plain require: provider code serialized into the state uses it.
    external: ['dockerode', ...native, 'ts-node'],
    ...quiet,
    // Pulumi's closure serializer parses functions with TypeScript; the SDK vendors 3.8.3 for that.
    alias: { ...jsonc, typescript: './node_modules/@pulumi/pulumi/vendor/typescript@3.8.3/typescript.js' },
    minify: true,
  });
  // The installable CLI: self-contained, so `npm install -g slipway-<v>.tgz` needs no registry.
  // slipway.js is a few lines (environments/cli/bin.ts) that turn on Node's compile cache and load
  // cli/slipway.mjs: ES modules split into chunks, the command table's data in the entry and each
  // command's code in chunks loaded when it runs, so that `slipway status` compiles a fraction of the CLI.
  await build({
    ...common,
    entryPoints: ['environments/cli/bin.ts'],
    outfile: join(out, 'slipway.js'),
    banner: { js: '#!/usr/bin/env node' },
    minify: true,
  });
  chmodSync(join(out, 'slipway.js'), 0o755);
  await build({
    ...common,
    entryPoints: { slipway: 'environments/cli/start.ts' },
    outdir: join(out, 'cli'),
    format: 'esm',
    splitting: true,
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    external: native,
    // What the bundled CommonJS packages expect of their module scope; __dirname is the bundle's folder
    // (dist/extension, the parent of cli/), where the worker, the runtime and mock-image are.
    banner: {
      js: [
        "import { createRequire as __slipwayRequire } from 'node:module';",
        "import { dirname as __slipwayDirname } from 'node:path';",
        "import { fileURLToPath as __slipwayFile } from 'node:url';",
        'const require = __slipwayRequire(import.meta.url);',
        'const __filename = __slipwayFile(import.meta.url);',
        'const __dirname = __slipwayDirname(__slipwayDirname(__filename));',
      ].join('\n'),
    },
    plugins: [...common.plugins, lazyCommandsPlugin, lazyPartsPlugin()],
    minify: true,
    ...quiet,
  });
  await buildLazyParts(root, join(out, 'cli'), { ...common, external: native, minify: true, ...quiet });
  // The share-link gateway, a detached process the editor starts (http-proxy-3 inside).
  await build({
    ...common,
    entryPoints: ['environments/share/main.ts'],
    outfile: join(out, 'gateway.js'),
    external: native,
    minify: true,
    ...quiet,
  });
  // The team state's PostgreSQL worker thread (environments/state/pg-sync.ts), pg inside.
  await build({
    ...common,
    entryPoints: ['environments/state/pg-worker.ts'],
    outfile: join(out, 'state-worker.js'),
    external: ['pg-native'],
    minify: true,
    ...quiet,
  });
  // The masking worker threads of a big table's seed (environments/data/mask-pool.ts).
  await build({
    ...common,
    entryPoints: ['environments/data/mask-worker.ts'],
    outfile: join(out, 'mask-worker.js'),
    external: ['pg-native'],
    minify: true,
    ...quiet,
  });
  const runtime = join(out, 'runtime', 'node_modules');
  await build({
    ...common,
    stdin: { contents: "module.exports = require('dockerode');", resolveDir: root },
    outfile: join(runtime, 'dockerode', 'index.js'),
    external: native,
    minify: true,
  });
  await buildProviderHost('dist/extension', 'runtime');
  const size = (f) => statSync(join(out, f)).size;
  const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
  console.log(
    `extension bundles: extension.js ${kb(size('extension.js'))}, core.js ${kb(size('core.js'))}, stack-worker.js ${kb(size('stack-worker.js'))}`,
  );
  if (process.argv.includes('--check-sizes') && size('extension.js') > 150 * 1024) {
    console.error('dist/extension/extension.js is over its 150 KB budget: something heavy is imported at activation.');
    process.exit(1);
  }
}
