// The growth section of `npm run bench` (alone: `node scripts/bench.mjs --only growth`): with 1, 10
// and 30 environments of the example (web + PostgreSQL) on one engine, `slipway list` and `status`
// (median of 3, with min and max, once the host has settled after the last up), each `up` against
// the first, the editor's figures in the real extension host (scripts/bench-growth-editor.ts: the
// packaged VSIX in a fresh code-server on the same environments; the Environments view's refresh as
// the extension logs it, median of 3, and the extension host process's memory), and what the
// environments use on the host (Docker's memory, load). Prints a table (and `--json`: one object on
// stdout); fails when `list`, `status`, the refresh or the extension host's memory grows faster
// than linearly with the number of environments.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHECKPOINTS = (process.env.SLIPWAY_BENCH_GROWTH ?? '1,10,30').split(',').map(Number);
// Another build's CLI (say, of the commit before a change), timed on the same environments beside this one's.
const BEFORE = process.env.SLIPWAY_BENCH_BEFORE_CLI;
const LIGHT = process.env.SLIPWAY_BENCH_GROWTH_SPEC === 'light';

function run(cmd, args, env = process.env, cwd = undefined) {
  const r = spawnSync(cmd, args, { env, cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
};

/** A command's wall time and its CPU time (user + system, from /usr/bin/time when there is one): on a busy machine the CPU time is the steadier figure. */
function timedCli(args, env) {
  const hasTime = spawnSync('/usr/bin/time', ['-f', '%U', 'true']).status === 0;
  const t = process.hrtime.bigint();
  const r = hasTime
    ? spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', process.execPath, ...args], { env, encoding: 'utf8' })
    : spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr ?? '');
  return { s, cpu: m ? Number(m[1]) + Number(m[2]) : NaN };
}

/** The host's busy CPU share over the last `ms` (from /proc/stat; NaN where there is none). */
function busyShare(ms) {
  const read = () => {
    try {
      const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
      return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
    } catch {
      return undefined;
    }
  };
  const a = read();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const b = read();
  return a && b && b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : NaN;
}

/**
 * Waits (at most 60 s) until the host has settled after the last `up`: two seconds running under
 * 40% busy, so `list` and `status` are timed with N environments running, not while the newest
 * one's PostgreSQL and app are still starting. Returns the seconds waited and the last busy share.
 */
function settle() {
  const t = Date.now();
  let calm = 0;
  let busy = NaN;
  while (Date.now() - t < 60_000) {
    busy = busyShare(1000);
    if (Number.isNaN(busy)) break;
    calm = busy < 0.4 ? calm + 1 : 0;
    if (calm >= 2) break;
  }
  return { waitedS: (Date.now() - t) / 1000, busy };
}

/** Three runs of a CLI command: wall and CPU seconds, each as median, min and max. */
function cliStats(args, env) {
  const runs = [0, 1, 2].map(() => timedCli(args, env));
  return { ...stats(runs.map((x) => x.s)), cpu: stats(runs.map((x) => x.cpu)) };
}

function timed(fn) {
  const t = process.hrtime.bigint();
  const out = fn();
  return { s: Number(process.hrtime.bigint() - t) / 1e9, out };
}

/** The editor's columns at this many environments: the packaged VSIX in a fresh code-server (scripts/bench-growth-editor.ts). */
function editorFigures(vsix, folder, home, environments) {
  const r = spawnSync(
    'npx',
    [
      'tsx',
      join(root, 'scripts', 'bench-growth-editor.ts'),
      ...['--vsix', vsix, '--folder', folder, '--home', home, '--environments', String(environments)],
    ],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 },
  );
  if (r.status !== 0)
    throw new Error(`the editor's growth figures at ${environments} environments failed (${r.status ?? r.signal})`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

/** Docker's own figures for the environments' containers: memory in use (MiB), summed. */
function containerMemory(project) {
  const ids = run('docker', ['ps', '-q', '--filter', `label=dev.slipway.project=${project}`])
    .split('\n')
    .filter(Boolean);
  if (ids.length === 0) return 0;
  const lines = run('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', ...ids])
    .split('\n')
    .filter(Boolean);
  const mib = (v) => {
    const m = /([\d.]+)\s*([KMG]i?B)/.exec(v);
    if (!m) return 0;
    return Number(m[1]) * ({ KiB: 1 / 1024, kB: 1 / 1024, MiB: 1, MB: 1, GiB: 1024, GB: 1024 }[m[2]] ?? 1);
  };
  return lines.reduce((sum, l) => sum + mib(l.split('/')[0]), 0);
}

export async function benchGrowth({ json = false } = {}) {
  const cli = join(root, 'dist', 'slipway.js');
  // `list` and `status` are timed as users run them: the installed CLI (package.json `bin`).
  const bin = join(root, 'dist', 'extension', 'slipway.js');
  // The VSIX as users install it, built once from this checkout.
  const packaged = spawnSync('npm', ['run', '--silent', 'package'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (packaged.status !== 0) throw new Error(`npm run package failed (${packaged.status})`);
  const vsix = join(root, 'dist', 'slipway.vsix');
  const work = mkdtempSync(join(tmpdir(), 'slipway-growth-'));
  const home = join(work, 'home');
  const app = join(work, 'shop');
  const project = `growth${process.pid}`;
  cpSync(join(root, 'examples', 'shop'), app, { recursive: true, filter: (p) => !p.includes('node_modules') });
  const spec = join(app, 'slipway.yaml');
  // Web + PostgreSQL per environment (the payments mock left out, as in the compose comparison).
  // SLIPWAY_BENCH_GROWTH_SPEC=light: one busybox web service per environment instead, for a host too
  // busy to start 30 PostgreSQL servers in time (list and status scale with environments and
  // containers, not with what runs in them; the memory column then is busybox's, not the example's).
  writeFileSync(
    spec,
    LIGHT
      ? `version: 1\nname: ${project}\nservices:\n  web:\n    image: slipway/busybox:local\n    command: "mkdir -p /www && echo ok > /www/healthz && exec httpd -f -p 8080 -h /www"\n    ports: [8080]\n    healthcheck:\n      http: /healthz\n      timeout: 60s\n`
      : readFileSync(spec, 'utf8')
          .replace(/^name: .*$/m, `name: ${project}`)
          .replace(/^ +PAYMENTS_URL: .*\n/m, '')
          .replace(/^mocks:\n(?: .*\n)+/m, ''),
  );
  for (const args of [
    ['init', '-q'],
    ['add', '.'],
    ['-c', 'user.name=bench', '-c', 'user.email=bench@slipway.dev', 'commit', '-qm', 'shop'],
  ])
    run('git', args, process.env, app);
  const env = { ...process.env, SLIPWAY_HOME: home };
  const slipway = (...args) => run(process.execPath, [cli, ...args, '--spec', spec], env);
  const ups = [];
  const rows = [];
  const log = (line) => console.error(line);
  /** The number of environments at which the engine refused another one (its network address pools ran out), if it did. */
  let ceiling;
  try {
    for (let n = 1; n <= Math.max(...CHECKPOINTS); n++) {
      let up;
      const bringUp = () => timed(() => JSON.parse(slipway('up', '--json', '--timings', '--branch', `g${n}`)).data);
      try {
        try {
          up = bringUp();
        } catch (err) {
          // On a host too busy for PostgreSQL to start within its health timeout, one more try (a failed first up leaves nothing).
          if (!/did not become healthy/.test(String(err))) throw err;
          log(`  up #${n}: not healthy in time on this busy host; trying once more`);
          up = bringUp();
        }
      } catch (err) {
        // Docker's default address pools hold about 31 bridge networks per engine, shared with everything else on it.
        if (!/address pool|non-overlapping/i.test(String(err))) throw err;
        ceiling = n - 1;
        log(`  up #${n}: the engine has no network address pool left (${ceiling} environments of this bench on it)`);
      }
      if (up) {
        ups.push({ n, s: up.s, timings: up.out.timings });
        log(`  up #${n}: ${up.s.toFixed(2)}s`);
      }
      if (ceiling !== undefined) {
        // Measure once more at the ceiling, unless that count was measured already.
        n = ceiling;
        if (n === 0 || rows.some((r) => r.environments === n)) break;
      } else if (!CHECKPOINTS.includes(n)) continue;
      const settled = settle();
      log(
        `  ${n} environments: host settled after ${settled.waitedS.toFixed(0)}s (${(settled.busy * 100).toFixed(0)}% busy)`,
      );
      const list = cliStats([bin, 'list', '--json', '--spec', spec], env);
      const listed = JSON.parse(slipway('list', '--json')).data.length;
      if (listed !== n) throw new Error(`list shows ${listed} environments, expected ${n}`);
      const status = cliStats([bin, 'status', '--json', '--branch', 'g1', '--spec', spec], env);
      const before = (...args) => cliStats([BEFORE, ...args, '--spec', spec], env);
      const previous = BEFORE
        ? { list: before('list', '--json'), status: before('status', '--json', '--branch', 'g1') }
        : undefined;
      const editor = editorFigures(vsix, app, home, n);
      const row = {
        environments: n,
        settledAfterS: settled.waitedS,
        list,
        status,
        ...(previous ? { before: previous } : {}),
        up: (up ?? ups.at(-1)).s,
        refreshMs: editor.refreshMs,
        refreshMinMs: editor.refreshMinMs,
        refreshMaxMs: editor.refreshMaxMs,
        firstListingMs: editor.firstListingMs,
        hostRssMiB: editor.hostRssMiB,
        hostRssAnonMiB: editor.hostRssAnonMiB,
        hostPeakRssMiB: editor.hostPeakRssMiB,
        hostHeapMiB: editor.hostHeapMiB,
        containersMiB: containerMemory(project),
        hostFreeMiB: freemem() / 2 ** 20,
        load1: loadavg()[0],
      };
      rows.push(row);
      if (ceiling !== undefined) break;
      log(
        `  ${n} environments: list ${list.median.toFixed(2)}s (cpu ${list.cpu.median.toFixed(2)}s), status ${status.median.toFixed(2)}s (cpu ${status.cpu.median.toFixed(2)}s), refresh ${editor.refreshMs.toFixed(0)} ms, host rss ${row.hostRssMiB.toFixed(0)} MiB, containers ${row.containersMiB.toFixed(0)} MiB, load ${row.load1.toFixed(1)}` +
          (previous
            ? `; before: list ${previous.list.median.toFixed(2)}s (cpu ${previous.list.cpu.median.toFixed(2)}s), status ${previous.status.median.toFixed(2)}s (cpu ${previous.status.cpu.median.toFixed(2)}s)`
            : ''),
      );
    }
  } finally {
    // Everything of this project on the engine, then the state folder: the bench leaves nothing.
    const label = `label=dev.slipway.project=${project}`;
    const ids = (kind, ...flags) =>
      run('docker', [kind, 'ls', '-q', ...flags, '--filter', label])
        .split('\n')
        .filter(Boolean);
    const rm = (kind, list, ...flags) =>
      list.length && spawnSync('docker', [kind, 'rm', ...flags, ...list], { stdio: 'ignore' });
    rm('container', ids('container', '-a'), '-f');
    rm('network', ids('network'));
    rm('volume', ids('volume'));
    rm('image', ids('image'), '-f');
    rmSync(work, { recursive: true, force: true });
  }

  const first = ups[0].s;
  const result = {
    rows,
    ...(ceiling !== undefined ? { ceiling } : {}),
    ups: { first, last: ups[ups.length - 1].s, ratio: ups[ups.length - 1].s / first, all: ups.map((u) => u.s) },
  };
  const out = json ? (t) => console.error(t) : (t) => console.log(t);
  out(
    `\nGrowth: environments of ${LIGHT ? 'one busybox web service each (SLIPWAY_BENCH_GROWTH_SPEC=light)' : 'the example (web + PostgreSQL)'} on one engine`,
  );
  out(
    `${'envs'.padStart(5)}${'list'.padStart(9)}${'(min-max)'.padStart(14)}${'status'.padStart(9)}${'(min-max)'.padStart(14)}${'up'.padStart(8)}${'refresh'.padStart(9)}${'(min-max)'.padStart(12)}${'host rss'.padStart(10)}${'heap'.padStart(8)}${'containers'.padStart(12)}${'load'.padStart(6)}`,
  );
  const range = (x) => `${x.min.toFixed(2)}-${x.max.toFixed(2)}`;
  const cpu = (x) => `cpu ${x.cpu.median.toFixed(2)}s (${range(x.cpu)})`;
  for (const r of rows)
    out(
      `${String(r.environments).padStart(5)}${`${r.list.median.toFixed(2)}s`.padStart(9)}${range(r.list).padStart(14)}${`${r.status.median.toFixed(2)}s`.padStart(9)}${range(r.status).padStart(14)}${`${r.up.toFixed(1)}s`.padStart(8)}${`${r.refreshMs.toFixed(0)}ms`.padStart(9)}${`${r.refreshMinMs.toFixed(0)}-${r.refreshMaxMs.toFixed(0)}`.padStart(12)}${`${r.hostRssMiB.toFixed(0)}MiB`.padStart(10)}${`${r.hostHeapMiB.toFixed(0)}MiB`.padStart(8)}${`${r.containersMiB.toFixed(0)}MiB`.padStart(12)}${r.load1.toFixed(1).padStart(6)}`,
    );
  for (const r of rows)
    out(
      `  at ${r.environments}: list ${cpu(r.list)}, status ${cpu(r.status)}; extension host: first listing ${r.firstListingMs.toFixed(0)} ms, rss ${r.hostRssMiB.toFixed(0)} MiB (anonymous ${r.hostRssAnonMiB.toFixed(0)}, peak ${r.hostPeakRssMiB.toFixed(0)}), heap ${r.hostHeapMiB.toFixed(1)} MiB`,
    );
  for (const r of rows.filter((x) => x.before))
    out(
      `  before (${BEFORE}) at ${r.environments}: list ${r.before.list.median.toFixed(2)}s (${range(r.before.list)}) ${cpu(r.before.list)}, status ${r.before.status.median.toFixed(2)}s (${range(r.before.status)}) ${cpu(r.before.status)}`,
    );
  out(
    `up #${ups.length} against up #1: ${result.ups.last.toFixed(1)}s / ${first.toFixed(1)}s = ${result.ups.ratio.toFixed(2)}x`,
  );
  if (ceiling !== undefined)
    out(`the engine refused environment #${ceiling + 1}: no network address pool left (Docker's default pools)`);
  out(
    `host: ${(totalmem() / 2 ** 30).toFixed(0)} GiB memory; refresh = the Environments view's refresh (findSpec + list) in code-server's extension host, as the extension logs it, median of 3 "Slipway: Refresh"; host rss = that process's VmRSS after them (a fresh code-server per row); heap = its V8 heap in use`,
  );

  // Faster than linear: what one more environment costs (the slope between checkpoints) more than
  // doubles from the first interval to the last, beyond a tolerance per environment for noise. The
  // CLI is judged on CPU time (on a shared host the wall times follow the load of everything else);
  // the refresh on the time the extension host logs (5 ms per environment of noise), its memory on
  // the host process's RSS (1 MiB per environment: each row is a fresh code-server, and garbage
  // collection moves a heap by a few MiB). A figure timed three times also allows the spread of its
  // runs (max - min) at both ends of the last interval: a rise within what the runs themselves vary by
  // is no sign of growth.
  const checks = {
    list: { value: (r) => r.list.cpu.median, spread: (r) => r.list.cpu.max - r.list.cpu.min, tolerance: 0.005 },
    status: {
      value: (r) => r.status.cpu.median,
      spread: (r) => r.status.cpu.max - r.status.cpu.min,
      tolerance: 0.005,
    },
    refresh: {
      value: (r) => r.refreshMs / 1000,
      spread: (r) => (r.refreshMaxMs - r.refreshMinMs) / 1000,
      tolerance: 0.005,
    },
    // One sample per row, each of a fresh code-server: the same row (1 environment) measured 190 and
    // 216 MiB in two runs, so each row's figure is taken as ±15 MiB.
    'extension host memory': { value: (r) => r.hostRssMiB, spread: () => 15, tolerance: 1 },
  };
  const slope = (a, b, check) => (check.value(b) - check.value(a)) / (b.environments - a.environments);
  const allowed = (a, b, c, first) =>
    2 * Math.max(0, first) + c.tolerance + (c.spread(a) + c.spread(b)) / (b.environments - a.environments);
  const superlinear =
    rows.length < 3
      ? []
      : Object.entries(checks)
          .filter(
            ([, c]) =>
              slope(rows.at(-2), rows.at(-1), c) > allowed(rows.at(-2), rows.at(-1), c, slope(rows[0], rows[1], c)),
          )
          .map(([k]) => k);
  if (rows.length >= 3) {
    const [a, m, b] = [rows[0], rows.at(-2), rows.at(-1)];
    const per = (k, c) => {
      const first = slope(a, m, c);
      const unit = k === 'extension host memory' ? [1, 'MiB'] : [1000, 'ms'];
      const f = (x) => `${(x * unit[0]).toFixed(1)}`;
      return `${k} ${f(first)} then ${f(slope(m, b, c))} (allowed ${f(allowed(m, b, c, first))}) ${unit[1]}`;
    };
    out(
      `per environment, ${a.environments}->${m.environments} then ${m.environments}->${b.environments}: ${Object.entries(
        checks,
      )
        .map(([k, c]) => per(k, c))
        .join('; ')}`,
    );
  }
  if (superlinear.length) {
    console.error(`growth: ${superlinear.join(', ')} grows faster than linearly with the number of environments`);
    process.exitCode = 1;
  }
  if (json) console.log(JSON.stringify(result, null, 2));
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchGrowth({ json: process.argv.includes('--json') });
