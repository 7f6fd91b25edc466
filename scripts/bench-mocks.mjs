// The mocks section of `npm run bench` (alone: `node scripts/bench.mjs --only mocks`): a bounded
// load generator on loopback drives, in the same run, Slipway's mock server in its container, a
// plain static HTTP server in the same base image (the floor), and WireMock standalone (Maven
// Central, the machine's Java; skipped, saying so, without Java or Maven), all serving the same
// stub; it prints throughput and p99 latency of each and the ratios to the floor.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const REQUESTS = 4000;
const CONCURRENCY = 16;
const MAX_SECONDS = 30;
const WARMUP = 300;
const BODY = { id: 'ch_1', amount: 1200, currency: 'eur', status: 'succeeded' };
const tag = `slipway-bench-mocks-${process.pid}`;
const containers = [];

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout.trim();
}

const freePort = (i) => 21000 + (process.pid % 500) * 4 + i;

async function waitFor(url, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `count` GETs over `CONCURRENCY` keep-alive connections (stops early after MAX_SECONDS); latencies in ms. */
async function load(url, count) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies = [];
  let sent = 0;
  const started = process.hrtime.bigint();
  const deadline = Date.now() + MAX_SECONDS * 1000;
  const one = () =>
    new Promise((resolve, reject) => {
      const t = process.hrtime.bigint();
      const req = request(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`${url} answered ${res.statusCode}`));
          latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
          resolve();
        });
      });
      req.on('error', reject);
      req.end();
    });
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (sent < count && Date.now() < deadline) {
        sent++;
        await one();
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / seconds,
    p50: latencies[Math.floor(latencies.length * 0.5)],
    p99: latencies[Math.floor(latencies.length * 0.99)],
    n: latencies.length,
  };
}

async function measure(label, url) {
  await load(url, WARMUP);
  const r = await load(url, REQUESTS);
  console.error(
    `  ${label}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms (${r.n} requests)`,
  );
  return r;
}

function startContainer(name, port, env, cmd) {
  const args = [
    'run',
    '-d',
    '--rm',
    '--name',
    name,
    '--label',
    'dev.slipway.bench=mocks',
    '-p',
    `127.0.0.1:${port}:${port}`,
    '--cpus',
    '1',
  ];
  for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
  containers.push(name);
  run('docker', [...args, ...cmd]);
}

/** WireMock's jar from the local Maven repository, fetched from Maven Central by `mvn dependency:get` when missing. */
function wiremockJar() {
  const version = '3.13.2';
  const jar = join(
    homedir(),
    '.m2',
    'repository',
    'org',
    'wiremock',
    'wiremock-standalone',
    version,
    `wiremock-standalone-${version}.jar`,
  );
  if (existsSync(jar)) return jar;
  if (spawnSync('mvn', ['-v'], { stdio: 'ignore' }).status !== 0) return undefined;
  spawnSync(
    'mvn',
    ['-q', 'dependency:get', `-Dartifact=org.wiremock:wiremock-standalone:${version}`, '-Dtransitive=false'],
    { stdio: 'inherit' },
  );
  return existsSync(jar) ? jar : undefined;
}

export async function benchMocks() {
  const image = join(root, 'dist', 'mock-image');
  if (!existsSync(join(image, 'mock-server.js')))
    throw new Error('the mock server is not built: run `node scripts/build.mjs`');
  console.error('Mocks: building the mock image on the local base (not timed) ...');
  run('docker', ['build', '-q', '-t', `${tag}:local`, image]);
  const rows = [];
  let wiremock;
  try {
    const floorPort = freePort(0);
    const floorJs = `const b=${JSON.stringify(JSON.stringify(BODY))};require('http').createServer((q,r)=>{r.writeHead(200,{'content-type':'application/json','content-length':Buffer.byteLength(b)});r.end(b)}).listen(${floorPort},'0.0.0.0')`;
    startContainer(`${tag}-floor`, floorPort, {}, ['slipway/node:bookworm', 'node', '-e', floorJs]);

    const mockPort = freePort(1);
    const config = {
      name: 'bench',
      port: mockPort,
      state: false,
      stubs: [
        {
          method: 'GET',
          path: '/charges/{id}',
          response: {
            status: 200,
            headers: { 'content-type': 'application/json' },
            body: { ...BODY, id: '{{request.path.id}}' },
          },
        },
      ],
      recordings: [],
      redact: {
        headers: ['authorization', 'cookie'],
        paths: [],
        patterns: ['[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}', '\\b(?:\\d[ -]?){12,18}\\d\\b'],
      },
    };
    startContainer(`${tag}-mock`, mockPort, { SLIPWAY_MOCK: gzipSync(JSON.stringify(config)).toString('base64') }, [
      `${tag}:local`,
    ]);

    await waitFor(`http://127.0.0.1:${floorPort}/`);
    await waitFor(`http://127.0.0.1:${mockPort}/__slipway/health`);
    console.error(
      `Mocks: ${REQUESTS} GETs per server, ${CONCURRENCY} keep-alive connections, loopback (after ${WARMUP} warm-up requests):`,
    );
    rows.push({
      label: 'static server (floor)',
      ...(await measure('floor', `http://127.0.0.1:${floorPort}/charges/ch_1`)),
    });
    rows.push({
      label: 'slipway mock',
      ...(await measure('slipway mock', `http://127.0.0.1:${mockPort}/charges/ch_1`)),
    });

    const java = spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0;
    const jar = java ? wiremockJar() : undefined;
    if (!java || !jar) {
      console.error(
        `  WireMock: skipped (${!java ? 'no Java on this machine' : 'its jar could not be fetched from Maven Central with mvn'})`,
      );
    } else {
      const port = freePort(2);
      wiremock = spawn(
        'java',
        [
          '-jar',
          jar,
          '--port',
          String(port),
          '--bind-address',
          '127.0.0.1',
          '--disable-banner',
          '--no-request-journal',
        ],
        { stdio: 'ignore' },
      );
      await waitFor(`http://127.0.0.1:${port}/__admin/mappings`);
      const mapping = {
        request: { method: 'GET', urlPathPattern: '/charges/[^/]+' },
        response: { status: 200, headers: { 'content-type': 'application/json' }, jsonBody: BODY },
      };
      const res = await fetch(`http://127.0.0.1:${port}/__admin/mappings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(mapping),
      });
      if (!res.ok) throw new Error(`WireMock refused the stub: ${res.status}`);
      rows.push({
        label: 'WireMock 3.13.2 (host JVM)',
        ...(await measure('WireMock', `http://127.0.0.1:${port}/charges/ch_1`)),
      });
    }
  } finally {
    wiremock?.kill('SIGTERM');
    for (const c of containers) spawnSync('docker', ['rm', '-f', c], { stdio: 'ignore' });
    spawnSync('docker', ['rmi', `${tag}:local`], { stdio: 'ignore' });
  }
  const floor = rows[0];
  console.log(
    '\nMocks: one stubbed GET under load on loopback, same run (containers limited to 1 CPU; WireMock runs on the host)',
  );
  console.log(`${'server'.padEnd(30)}${'req/s'.padStart(9)}${'p99'.padStart(11)}${'p99 / floor'.padStart(13)}`);
  for (const r of rows)
    console.log(
      `${r.label.padEnd(30)}${r.rps.toFixed(0).padStart(9)}${(r.p99.toFixed(2) + ' ms').padStart(11)}${((r.p99 / floor.p99).toFixed(2) + 'x').padStart(13)}`,
    );
  if (rows.length < 3) console.log('WireMock: skipped (no Java or no jar); see the line above');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchMocks();
