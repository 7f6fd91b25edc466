// Prints the VSIX's size and fails when it is over the 5 MB budget.
import { statSync } from 'node:fs';

const file = process.argv[2] ?? 'dist/slipway.vsix';
const bytes = statSync(file).size;
const budget = 5 * 1024 * 1024;
console.log(`${file}: ${(bytes / 1024 / 1024).toFixed(2)} MB (budget 5 MB)`);
if (bytes > budget) {
  console.error(`${file} is over 5 MB: check .vscodeignore and the bundles' sizes.`);
  process.exit(1);
}
