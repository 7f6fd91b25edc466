// Node's on-disk compile cache for the CLI's bundles (Node 22.1+), under SLIPWAY_HOME or the user's cache folder; nothing on an older Node.
import * as nodeModule from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The folder of the cache: `$SLIPWAY_HOME/cache/compile` when SLIPWAY_HOME is set, else
 * `compile` in Slipway's cache folder (`SLIPWAY_CACHE`, else `$XDG_CACHE_HOME/slipway`, else
 * `~/.cache/slipway`: the folder `slipwayCache()` in ../paths.ts names).
 */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SLIPWAY_HOME) return join(env.SLIPWAY_HOME, 'cache', 'compile');
  return join(env.SLIPWAY_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'slipway'), 'compile');
}

/**
 * Turns the cache on for every module loaded after this call; the next start reads the code V8
 * compiled instead of compiling the bundles again. `NODE_COMPILE_CACHE` (Node's own variable)
 * wins; `NODE_DISABLE_COMPILE_CACHE` turns it off. Returns the folder in use, or undefined when this
 * Node has no compile cache or the folder cannot be written (the CLI then simply compiles).
 */
export function enableCompileCache(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const enable = (nodeModule as { enableCompileCache?: (dir?: string) => { status: number; directory?: string } })
    .enableCompileCache;
  if (typeof enable !== 'function') return undefined;
  try {
    const r = enable(env.NODE_COMPILE_CACHE ? undefined : compileCacheDir(env));
    return r.directory;
  } catch {
    return undefined;
  }
}
