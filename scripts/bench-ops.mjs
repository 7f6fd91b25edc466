// The operations section of `npm run bench`: cold up, no-op up, a one-service change and down of the
// example with Slipway beside docker-compose (Debian's package) on the equivalent compose file, and
// `slipway drift` beside its floor (one `docker inspect` of the environment's containers), on one
// engine in one run. Fair by construction: before each cold up, that side's environment and images
// are gone and the layer cache is the same for both (one untimed warm-up build, kept under its own
// tag); the order of the two sides alternates from one repeat to the next; every figure is the
// median of the repeats (at least 3), printed with min and max; Slipway's phases (`--timings`) are
// printed beside each operation. `--json` prints one object on stdout keyed by operation, each
// `{ "slipway": s, "baseline": s, "ratio": r, "min": s, "max": s }` (min and max of Slipway's runs).
// `--warm`: Slipway's side keeps a warm stack worker, as the editor does (SLIPWAY_WARM_WORKER=1: the
// first operation starts it, the others use it); without it, no warm worker runs. Each side's CPU
// time (user + system of its commands and their children, and of the warm worker) is printed too.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const OPERATIONS = ['cold up', 'no-op up', 'one-service change', 'down', 'drift'];

/** CPU seconds (user + system) of the commands run since the last `takeCpu()`, from /usr/bin/time. */
let cpuSpent = 0;
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
function run(cmd, args, env = process.env) {
  const cpuFile = TIME && join(tmpdir(), `slipway-bench-cpu-${process.pid}`);
  const [c, a] = TIME ? [TIME, ['-f', '%U %S', '-o', cpuFile, cmd, ...args]] : [cmd, args];
  const r = spawnSync(c, a, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  if (cpuFile) {
    const [user, sys] = readFileSync(cpuFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    cpuSpent += user + sys;
    rmSync(cpuFile, { force: true });
  }
  return r.stdout;
}

/** The CPU seconds a warm stack worker under `home` has used so far, its waited-for children included (0: none runs). */
function warmWorkerCpu(home) {
  const dir = join(home, 'workers');
  const info = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.json')) : undefined;
  if (!info) return { pid: 0, s: 0 };
  try {
    const { pid } = JSON.parse(readFileSync(join(dir, info), 'utf8'));
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime: fields 14-17, in clock ticks (100 per second on Linux).
    return { pid, s: (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100 };
  } catch {
    return { pid: 0, s: 0 };
  }
}

async function waitHealthy(url, timeoutMs = 180_000) {
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

async function timed(fn, home) {
  const before = home && warmWorkerCpu(home);
  cpuSpent = 0;
  const t = process.hrtime.bigint();
  const out = await fn();
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  const after = home && warmWorkerCpu(home);
  const warm = !after ? 0 : after.pid === before.pid ? after.s - before.s : after.s;
  return { s, out, cpu: cpuSpent + warm };
}

export const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
};

/** Per phase, the median of its milliseconds over the runs that had it. */
function medianPhases(runs) {
  const phases = new Map();
  for (const t of runs) for (const [k, v] of Object.entries(t ?? {})) phases.set(k, [...(phases.get(k) ?? []), v]);
  return Object.fromEntries([...phases].map(([k, v]) => [k, stats(v).median]));
}

export async function benchOperations({ repeats = 3, json = false, warm: warmWorker = false } = {}) {
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
  const warm = `slipway-bench-warm:${process.pid}`;
  const slipwayEnv = { ...process.env, SLIPWAY_HOME: home, SLIPWAY_WARM_WORKER: warmWorker ? '1' : '0' };
  const slipway = (...args) => run(process.execPath, [cli, ...args, '--spec', spec, '--branch', branch], slipwayEnv);
  const dc = (...args) => run('docker-compose', ['-p', project, '-f', compose, ...args], composeEnv);

  /** Each side: its operations, each returning Slipway's phases (or nothing). */
  const sides = {
    slipway: {
      up: async () => {
        const data = JSON.parse(slipway('up', '--json', '--timings')).data;
        await waitHealthy(`${data.urls.web}/healthz`);
        return data.timings;
      },
      down: async () => JSON.parse(slipway('down', '--json', '--timings')).data.timings,
    },
    compose: {
      up: async () => {
        dc('up', '-d', '--quiet-pull');
        await waitHealthy(`http://127.0.0.1:${composePort}/healthz`);
      },
      // Its built image goes too, as Slipway's down removes the image it built.
      down: async () => void dc('down', '-v', '--rmi', 'local'),
    },
  };
  const setGreeting = (to) => {
    for (const file of [spec, compose])
      writeFileSync(file, readFileSync(file, 'utf8').replace(/GREETING: .*/, `GREETING: ${to}`));
  };
  const times = Object.fromEntries(
    OPERATIONS.map((op) => [op, { slipway: [], baseline: [], phases: [], cpu: [], baselineCpu: [] }]),
  );
  const log = (line) => console.error(line);

  try {
    try {
      execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
    } catch {
      throw new Error(
        'docker-compose is not installed: run `npm run setup` as root on Debian/Ubuntu, or install docker-compose',
      );
    }
    log('Warming the layer cache for both sides (one build under its own tag, not timed) ...');
    run('docker', ['build', '-q', '-t', warm, app]);
    for (let r = 0; r < repeats; r++) {
      const order = r % 2 === 0 ? ['slipway', 'compose'] : ['compose', 'slipway'];
      log(`Repeat ${r + 1} of ${repeats} (${order.join(' first, then ')}):`);
      const measure = async (op, fn) => {
        for (const side of order) {
          const { s, out, cpu } = await timed(() => fn(side), side === 'slipway' ? home : undefined);
          times[op][side === 'slipway' ? 'slipway' : 'baseline'].push(s);
          times[op][side === 'slipway' ? 'cpu' : 'baselineCpu'].push(cpu);
          if (side === 'slipway') times[op].phases.push(out);
          log(`  ${op}: ${side} ${s.toFixed(2)}s (CPU ${cpu.toFixed(2)}s)`);
        }
      };
      setGreeting('Hello from Slipway');
      await measure('cold up', (side) => sides[side].up());
      await measure('no-op up', (side) => sides[side].up());
      // Drift against its floor: one `docker inspect` of every container of the environment.
      const env = JSON.parse(slipway('status', '--json')).data.env;
      const ids = run('docker', ['ps', '-aq', '--filter', `label=dev.slipway.env=${env}`])
        .split('\n')
        .filter(Boolean);
      const drift = await timed(async () => JSON.parse(slipway('drift', '--json', '--timings')).data.timings, home);
      const floor = await timed(async () => run('docker', ['inspect', ...ids]));
      times.drift.slipway.push(drift.s);
      times.drift.baseline.push(floor.s);
      times.drift.phases.push(drift.out);
      times.drift.cpu.push(drift.cpu);
      times.drift.baselineCpu.push(floor.cpu);
      log(`  drift: slipway ${drift.s.toFixed(2)}s, floor (docker inspect of ${ids.length}) ${floor.s.toFixed(3)}s`);
      setGreeting(`Hello again ${r}`);
      await measure('one-service change', (side) => sides[side].up());
      await measure('down', (side) => sides[side].down());
    }
  } finally {
    spawnSync(process.execPath, [cli, 'down', '--spec', spec, '--branch', branch], {
      env: slipwayEnv,
      stdio: 'ignore',
    });
    const left = warmWorkerCpu(home).pid;
    if (left) process.kill(left, 'SIGTERM');
    spawnSync('docker-compose', ['-p', project, '-f', compose, 'down', '-v', '--rmi', 'local'], {
      env: composeEnv,
      stdio: 'ignore',
    });
    spawnSync('docker', ['rmi', warm], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  }

  const result = {};
  for (const op of OPERATIONS) {
    const s = stats(times[op].slipway);
    const b = stats(times[op].baseline);
    result[op] = { slipway: s.median, baseline: b.median, ratio: s.median / b.median, min: s.min, max: s.max };
  }
  const out = json ? (t) => console.error(t) : (t) => console.log(t);
  out(
    `\nSlipway${warmWorker ? ' (warm stack worker)' : ''} vs docker-compose on examples/shop (web + PostgreSQL), same run, same engine, median of ${repeats}`,
  );
  out(
    `${'operation'.padEnd(20)}${'slipway (min-max)'.padStart(24)}${'baseline (min-max)'.padStart(24)}${'ratio'.padStart(9)}`,
  );
  const cell = (x) => `${x.median.toFixed(2)}s (${x.min.toFixed(2)}-${x.max.toFixed(2)})`;
  for (const op of OPERATIONS)
    out(
      `${op.padEnd(20)}${cell(stats(times[op].slipway)).padStart(24)}${cell(stats(times[op].baseline)).padStart(24)}${`${result[op].ratio.toFixed(2)}x`.padStart(9)}`,
    );
  out(
    'baseline: docker-compose; for drift, one `docker inspect` of its containers. ratio = slipway / baseline (medians)',
  );
  if (TIME) {
    out(
      `\n${'CPU time (user + system)'.padEnd(28)}${'slipway (min-max)'.padStart(24)}${'baseline (min-max)'.padStart(24)}`,
    );
    for (const op of OPERATIONS)
      out(
        `${op.padEnd(28)}${cell(stats(times[op].cpu)).padStart(24)}${cell(stats(times[op].baselineCpu)).padStart(24)}`,
      );
  }
  for (const op of OPERATIONS) {
    const phases = medianPhases(times[op].phases);
    out(`\n  ${op}: Slipway's phases (median ms of ${times[op].phases.length} runs; phases can overlap)`);
    for (const [phase, ms] of Object.entries(phases))
      out(`    ${phase.padEnd(64)}${`${Math.round(ms)} ms`.padStart(10)}`);
  }
  if (json) console.log(JSON.stringify(result, null, 2));
  return result;
}
