// The CLI's command table as the bundles load it: each command's name, summary and options read at
// build time, and its `run` a dynamic import of the command's own file, so that `slipway status`
// loads the code of `status` and not that of every command (with the ES-module build's code
// splitting, each command's file and what only it uses become chunks of their own).
//
// The esbuild plugin puts this table in place of environments/cli/commands/index.ts where the CLI
// imports it; the table in the source (what the tests import) stays the eager one.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { specValidatorPlugin } from './spec-validator.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'environments', 'cli', 'commands');

/** The eager table and every command file's exports, evaluated once in a build of their own. */
async function loadCommands() {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
    .map((f) => f.slice(0, -3))
    .sort();
  // The table first, as main.ts loads it (completion.ts imports it back).
  const contents =
    `import { commands } from './index';\n` +
    files.map((f, i) => `import * as m${i} from './${f}';`).join('\n') +
    `\nmodule.exports = { commands, modules: { ${files.map((f, i) => `${JSON.stringify(f)}: m${i}`).join(', ')} } };\n`;
  // Inside the project, so that its npm packages resolve from node_modules.
  const out = join(root, 'dist', `.cli-commands-${process.pid}.cjs`);
  try {
    await build({
      absWorkingDir: root,
      stdin: { contents, resolveDir: dir, loader: 'ts' },
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      packages: 'external',
      outfile: out,
      logLevel: 'error',
      alias: { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
      plugins: [specValidatorPlugin],
    });
    return createRequire(out)(out);
  } finally {
    rmSync(out, { force: true });
  }
}

/** The generated module: each command's data as JSON, each `run` importing the command's file when it runs. */
export async function lazyCommandsSource() {
  const { commands, modules } = await loadCommands();
  const where = new Map();
  for (const [file, exports] of Object.entries(modules))
    for (const [name, value] of Object.entries(exports))
      if (value && typeof value === 'object') where.set(value, [file, name]);
  const lines = [];
  const emit = (cmd, path) => {
    const at = where.get(cmd);
    if (!at)
      throw new Error(`slipway ${path}: its command object is not an export of a file in environments/cli/commands/`);
    for (const [k, v] of Object.entries(cmd))
      if (typeof v === 'function' && k !== 'run')
        throw new Error(`slipway ${path}: ${k} is a function; only run may be`);
    const { run, subcommands, ...data } = cmd;
    void run;
    const subs = subcommands
      ? `, subcommands: { ${Object.entries(subcommands)
          .map(([n, c]) => `${JSON.stringify(n)}: ${emit(c, `${path} ${n}`)}`)
          .join(', ')} }`
      : '';
    return `{ ...${JSON.stringify(data)}${subs}, run: (ctx) => import(${JSON.stringify(`./${at[0]}`)}).then((m) => m[${JSON.stringify(at[1])}].run(ctx)) }`;
  };
  for (const [name, cmd] of Object.entries(commands)) lines.push(`  ${JSON.stringify(name)}: ${emit(cmd, name)},`);
  return `export const commands = {\n${lines.join('\n')}\n};\n`;
}

/**
 * esbuild: the table wherever the CLI imports it (main.ts's `./commands`, and `./index` in a command
 * file such as completion.ts, which reads every command's options) becomes the lazy table.
 */
export const lazyCommandsPlugin = {
  name: 'slipway-lazy-commands',
  setup(b) {
    let source;
    const lazy = { path: join(dir, 'index.ts'), namespace: 'slipway-lazy-commands' };
    b.onResolve({ filter: /^\.\/(commands|index)$/ }, (args) => {
      const from = args.importer.replace(/\\/g, '/');
      if (args.path === './commands' && /\/environments\/cli\/[^/]+\.ts$/.test(from)) return lazy;
      if (args.path === './index' && /\/environments\/cli\/commands\/[^/]+\.ts$/.test(from)) return lazy;
      return undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'slipway-lazy-commands' }, async () => ({
      contents: (source ??= await lazyCommandsSource()),
      loader: 'js',
      resolveDir: dir,
    }));
  },
};
