import type * as CoreModule from './core';

export type Core = typeof CoreModule;

let loaded: Core | undefined;

/**
 * The core, loaded on first use. In the bundle it is dist/extension/core.js next to this file;
 * run from source (tests), SLIPWAY_CORE points at extension/core.ts.
 */
/** The core if it was loaded already (nothing of it ran otherwise). */
export function loadedCore(): Core | undefined {
  return loaded;
}

export function core(): Core {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require(process.env.SLIPWAY_CORE ?? './core.js') as Core);
}
