/**
 * Modules of npm packages (loaded from node_modules) that their importers require as they load
 * but call only on some paths: a stand-in in Node's module cache that loads the real module on
 * first use. The bundled layouts make the same parts lazy at build time (scripts/lazy-parts.mjs).
 */
import { Module } from 'node:module';
import { dirname } from 'node:path';

/** `id` as `pkg` (a package Slipway depends on) resolves it; undefined when `pkg` is not in node_modules. */
export function resolveFrom(pkg: string, id: string): string | undefined {
  try {
    return require.resolve(id, { paths: [dirname(require.resolve(`${pkg}/package.json`))] });
  } catch {
    return undefined;
  }
}

/**
 * Puts a stand-in for `file` in the module cache (unless it is loaded already). `function`: the
 * module exports one function, loaded at its first call; `object`: an object whose properties are
 * read only after import, loaded at the first read (it says it is an ES module, so that
 * TypeScript's `__importStar` does not copy, and so load, every property at import).
 */
export function loadOnFirstUse(file: string | undefined, shape: 'function' | 'object'): void {
  if (!file || require.cache[file]) return;
  let real: Record<string | symbol, unknown> | undefined;
  const load = () => {
    if (!real) {
      delete require.cache[file];
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      real = require(file) as Record<string | symbol, unknown>;
    }
    return real;
  };
  const exports =
    shape === 'function'
      ? function (this: unknown, ...args: unknown[]) {
          return (load() as unknown as (...a: unknown[]) => unknown).apply(this, args);
        }
      : new Proxy(
          {},
          {
            get: (_, key) => (key === '__esModule' ? true : load()[key]),
            has: (_, key) => key in load(),
          },
        );
  const stub = new Module(file);
  Object.assign(stub, { filename: file, loaded: true, exports });
  require.cache[file] = stub;
}
