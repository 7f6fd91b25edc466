// The `slipway` executable of the bundled layout (dist/extension/slipway.js): the compile cache on, then the CLI's entry chunk in cli/.
import { enableCompileCache } from './compile-cache';

enableCompileCache();
// An ES module beside this file (scripts/build.mjs splits the CLI into chunks loaded per command);
// a variable, so that the bundler leaves the import to Node.
const entry = './cli/slipway.mjs';
import(entry).catch((err: unknown) => {
  console.error(err);
  process.exitCode = 70;
});
