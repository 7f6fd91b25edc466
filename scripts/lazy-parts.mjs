// Parts of npm packages that the CLI's ES-module build keeps out of its chunks, each bundled into a
// CommonJS file of its own beside them and required the first time it is called: dockerode's
// BuildKit session (gRPC and protobuf inside) and BuildKit progress decoder (protobuf),
// docker-modem's SSH agent (ssh2 and its crypto), and the tar packer of build contexts (tar-fs,
// tar-stream), which `slipway status`, `list` or `drift` on a local engine never calls (dockerode and
// docker-modem require them as they load).
import { build } from 'esbuild';
import { join } from 'node:path';

/**
 * Module file (under node_modules) → the CommonJS file it becomes, beside the chunks. `call`: the
 * module exports one function, required at its first call; `module`: its importer requires it
 * only inside a function, so the file is required where the module was; `object`: an object whose
 * properties its importer reads only inside functions, required at the first read.
 */
const PARTS = [
  { pkg: 'dockerode/lib/session.js', out: 'dockerode-session.cjs', mode: 'call' },
  { pkg: 'dockerode/lib/buildkit.js', out: 'dockerode-buildkit.cjs', mode: 'module' },
  { pkg: 'docker-modem/lib/ssh.js', out: 'docker-modem-ssh.cjs', mode: 'call' },
  { pkg: 'tar-fs/index.js', out: 'tar-fs.cjs', mode: 'object' },
];
const fileFilter = (pkg) => new RegExp(`[\\\\/]${pkg.replace(/[./]/g, (c) => (c === '.' ? '\\.' : '[\\\\/]'))}$`);

/** esbuild: each part's module becomes a function that requires the part's own file on first call. */
export function lazyPartsPlugin() {
  return {
    name: 'slipway-lazy-parts',
    setup(b) {
      for (const part of PARTS) {
        b.onLoad({ filter: fileFilter(part.pkg) }, () => ({
          contents:
            part.mode === 'call'
              ? `let real;\nmodule.exports = function () {\n  if (!real) real = require('./${part.out}');\n  return real.apply(this, arguments);\n};\n`
              : part.mode === 'object'
                ? `let real;\nconst load = () => (real ??= require('./${part.out}'));\nmodule.exports = new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() });\n`
                : `module.exports = require('./${part.out}');\n`,
          loader: 'js',
        }));
      }
      b.onResolve({ filter: /^\.\/(dockerode|docker-modem|tar)-[a-z]+\.cjs$/ }, (args) => ({
        path: args.path,
        external: true,
      }));
    },
  };
}

/** Bundles each part, whole, into `<outdir>/<out>`. */
export async function buildLazyParts(root, outdir, options) {
  for (const part of PARTS) {
    await build({
      ...options,
      absWorkingDir: root,
      entryPoints: [join(root, 'node_modules', part.pkg)],
      outfile: join(outdir, part.out),
      format: 'cjs',
      plugins: [],
    });
  }
}
