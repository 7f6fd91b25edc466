// `npm run bench`: times Slipway's environment operations on the example shop beside the same
// operations with docker-compose (Debian's package) on the equivalent compose file, measured
// in the same run on the same engine, and prints the ratios; and `slipway drift` beside its
// floor, one `docker inspect` of every container of the environment (scripts/bench-ops.mjs: fair
// cache state, alternating order, medians of at least 3 with min and max, Slipway's phases). Both
// sides wait until the web service's /healthz answers 200, because `slipway up` does. The growth
// section (scripts/bench-growth.mjs) runs alone: `--only growth`.
import { spawnSync } from 'node:child_process';
import { build as esbuild } from 'esbuild';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchMocks } from './bench-mocks.mjs';
import { benchOperations } from './bench-ops.mjs';
import { benchGrowth } from './bench-growth.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// `--only mocks|data|ops|growth` runs that section alone; `--json` prints the operations (or, with
// `--only growth`, the growth) figures as one JSON object on stdout, and runs nothing else.
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const json = process.argv.includes('--json');
const repeatsArg = process.argv.indexOf('--repeats');
const repeats = Math.max(3, repeatsArg > 0 ? Number(process.argv[repeatsArg + 1]) : 3);
/**
 * The masked-data section (PostgreSQL, and Docker for the snapshot clone), run as the CLI and the
 * extension ship the seed: bundled by esbuild, the masking worker beside it (dist/bench/), not
 * transpiled file by file through tsx, whose output ran the seed with about a third more CPU.
 */
async function dataBench() {
  const out = join(root, 'dist', 'bench');
  await esbuild({
    absWorkingDir: root,
    entryPoints: { 'bench-data': 'scripts/bench-data.ts', 'mask-worker': 'environments/data/mask-worker.ts' },
    outdir: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
  });
  return spawnSync(
    process.execPath,
    [
      join(out, 'bench-data.js'),
      ...(process.argv.includes('--rows') ? ['--rows', process.argv[process.argv.indexOf('--rows') + 1]] : []),
      // Its own default (five runs each side: they are short, and their medians steadier than three's).
      ...(repeatsArg > 0 ? ['--repeats', String(repeats)] : []),
    ],
    { cwd: root, stdio: 'inherit' },
  ).status;
}
/** The bundles measured are the ones built from this checkout now (`--no-build`: as they are in dist/). */
function build() {
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
if (only === 'mocks') {
  await benchMocks();
  process.exit(process.exitCode ?? 0);
} else if (only === 'data') {
  process.exit((await dataBench()) ?? 1);
} else if (only === 'growth') {
  if (!process.argv.includes('--no-build')) build();
  await benchGrowth({ json });
  process.exit(process.exitCode ?? 0);
} else if (only !== undefined && only !== 'ops') {
  console.error(`bench: unknown section ${JSON.stringify(only)} (known: ops, growth, mocks, data)`);
  process.exit(2);
}

if (!process.argv.includes('--no-build')) build();

// `--warm`: Slipway's side keeps a warm stack worker between operations, as the editor does.
await benchOperations({ repeats, json, warm: process.argv.includes('--warm') });
if (json || only === 'ops') process.exit(process.exitCode ?? 0);

await benchMocks();

// Extension activation in the real extension host (code-server), beside an empty extension in the
// same windows; it prints its own line and fails the bench when Slipway is over its 50 ms budget.
const activation = spawnSync('npx', ['tsx', join(root, 'scripts', 'bench-activation.ts')], {
  cwd: root,
  stdio: 'inherit',
});
if (activation.status !== 0) process.exitCode = activation.status ?? 1;

// Masked data: the masked seed of a 1,000,000-row table beside plain COPY (scripts/bench-data.ts).
const data = await dataBench();
if (data !== 0) process.exitCode = data ?? 1;
