// `npm run bench`: times Slipway's environment operations on the example shop beside the same
// operations with docker-compose (Debian's package) on the equivalent compose file, measured
// in the same run on the same engine, and prints the ratios; and `slipway drift` beside its
// floor, one `docker inspect` of every container of the environment. Both sides wait until the web
// service's /healthz answers 200, because `slipway up` does.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { benchMocks } from './bench-mocks.mjs';

// `--only mocks` runs the mocks section alone.
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
if (only === 'mocks') {
  await benchMocks();
  process.exit(process.exitCode ?? 0);
} else if (only !== undefined) {
  console.error(`bench: unknown section ${JSON.stringify(only)} (known: mocks)`);
  process.exit(2);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// `--only data`: the masked-data section alone (it needs PostgreSQL, not Docker).
const dataBench = () =>
  spawnSync(
    'npx',
    [
      'tsx',
      join(root, 'scripts', 'bench-data.ts'),
      ...(process.argv.includes('--rows') ? ['--rows', process.argv[process.argv.indexOf('--rows') + 1]] : []),
    ],
    { cwd: root, stdio: 'inherit' },
  ).status;
if (process.argv.includes('--only') && process.argv[process.argv.indexOf('--only') + 1] === 'data')
  process.exit(dataBench() ?? 1);
const cli = join(root, 'dist', 'slipway.js');
const work = mkdtempSync(join(tmpdir(), 'slipway-bench-'));
const home = join(work, 'home');
const app = join(work, 'shop');
cpSync(join(root, 'examples', 'shop'), app, { recursive: true, filter: (p) => !p.includes('node_modules') });
const spec = join(app, 'slipway.yaml');
// compose.yaml has no payments mock: the compared spec leaves it out too (the mocks section measures mocks).
writeFileSync(
  spec,
  readFileSync(spec, 'utf8')
    .replace(/^ +PAYMENTS_URL: .*\n/m, '')
    .replace(/^mocks:\n(?: .*\n)+/m, ''),
);
const compose = join(app, 'compose.yaml');
const branch = 'bench';
const project = `slipwaybench${process.pid}`;
const composePort = 18000 + (process.pid % 1000);
const composeEnv = {
  ...process.env,
  SHOP_DB_PASSWORD: randomBytes(16).toString('hex'),
  SHOP_WEB_PORT: String(composePort),
};

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

async function waitHealthy(url, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function timed(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const slipway = (...args) =>
  run(process.execPath, [cli, ...args, '--spec', spec, '--branch', branch], { ...process.env, SLIPWAY_HOME: home });
const slipwayUp = async () => {
  const out = JSON.parse(slipway('up', '--json')).data;
  await waitHealthy(`${out.urls.web}/healthz`);
};
const dc = (...args) => run('docker-compose', ['-p', project, '-f', compose, ...args], composeEnv);
const composeUp = async () => {
  dc('up', '-d', '--quiet-pull');
  await waitHealthy(`http://127.0.0.1:${composePort}/healthz`);
};
const setGreeting = (file, from, to) => writeFileSync(file, readFileSync(file, 'utf8').replace(from, to));

const rows = [];
let drift;
async function compare(label, slipwayFn, composeFn) {
  const s = await timed(slipwayFn);
  const c = await timed(composeFn);
  rows.push({ label, s, c });
  console.error(`  ${label}: slipway ${s.toFixed(2)}s, docker-compose ${c.toFixed(2)}s`);
}

try {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      'docker-compose is not installed: run `npm run setup` as root on Debian/Ubuntu, or install docker-compose',
    );
  }
  console.error('Warming the build caches (not timed) ...');
  run('docker', ['build', '-q', app]);
  console.error('Measuring (Slipway first, then docker-compose, one operation at a time):');
  await compare('cold up', slipwayUp, composeUp);
  await compare('no-op up', slipwayUp, composeUp);

  // Drift against its floor: one `docker inspect` of every container of the environment.
  const ids = run('docker', [
    'ps',
    '-aq',
    '--filter',
    `label=dev.slipway.env=${JSON.parse(slipway('status', '--json')).data.env}`,
  ])
    .split('\n')
    .filter(Boolean);
  const driftTimes = [];
  const floorTimes = [];
  for (let i = 0; i < 3; i++) {
    driftTimes.push(await timed(async () => slipway('drift', '--json')));
    floorTimes.push(await timed(async () => run('docker', ['inspect', ...ids])));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  drift = { s: median(driftTimes), floor: median(floorTimes), containers: ids.length };
  console.error(`  drift: slipway ${drift.s.toFixed(2)}s, floor ${drift.floor.toFixed(3)}s (median of 3)`);
  setGreeting(spec, 'GREETING: Hello from Slipway', 'GREETING: Hello again');
  setGreeting(compose, 'GREETING: Hello from Slipway', 'GREETING: Hello again');
  await compare('one-service change', slipwayUp, composeUp);
  await compare(
    'down',
    async () => slipway('down'),
    async () => dc('down', '-v', '--rmi', 'local'),
  );

  console.log('\nSlipway vs docker-compose on examples/shop (web + PostgreSQL), same run, same engine');
  console.log(`${'operation'.padEnd(22)}${'slipway'.padStart(10)}${'compose'.padStart(10)}${'ratio'.padStart(9)}`);
  for (const r of rows) {
    console.log(
      `${r.label.padEnd(22)}${(r.s.toFixed(2) + 's').padStart(10)}${(r.c.toFixed(2) + 's').padStart(10)}${((r.s / r.c).toFixed(2) + 'x').padStart(9)}`,
    );
  }
  console.log('ratio = slipway time / docker-compose time (lower is better; 1.00x is parity)');
  console.log(
    `\n${'slipway drift'.padEnd(22)}${(drift.s.toFixed(2) + 's').padStart(10)}  floor: one docker inspect of its ${drift.containers} containers ${drift.floor.toFixed(3)}s  ratio ${(drift.s / drift.floor).toFixed(1)}x`,
  );
} finally {
  spawnSync(process.execPath, [cli, 'down', '--spec', spec, '--branch', branch], {
    env: { ...process.env, SLIPWAY_HOME: home },
    stdio: 'ignore',
  });
  spawnSync('docker-compose', ['-p', project, '-f', compose, 'down', '-v', '--rmi', 'local'], {
    env: composeEnv,
    stdio: 'ignore',
  });
  rmSync(work, { recursive: true, force: true });
}

await benchMocks();

// Extension activation in the real extension host (code-server), beside an empty extension in the
// same windows; it prints its own line and fails the bench when Slipway is over its 50 ms budget.
const activation = spawnSync('npx', ['tsx', join(root, 'scripts', 'bench-activation.ts')], {
  cwd: root,
  stdio: 'inherit',
});
if (activation.status !== 0) process.exitCode = activation.status ?? 1;

// Masked data: the masked seed of a 1,000,000-row table beside plain COPY (scripts/bench-data.ts).
const data = dataBench();
if (data !== 0) process.exitCode = data ?? 1;
