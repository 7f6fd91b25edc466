/**
 * Host ports for environments: below the kernel's ephemeral range, free on 127.0.0.1, held in a
 * machine-wide ledger under a machine-wide lock, never handed out twice (real files, real sockets,
 * real concurrent processes).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostPortRange } from '../../environments/docker/engine';
import {
  allocateHostPorts,
  machinePortsDir,
  movedPortMessage,
  readLedger,
  releaseHostPorts,
  type AllocateRequest,
} from '../../environments/ports';
import { inspectRecord, recordPath, type EnvRecord } from '../../environments/records';

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}
const close = (srv: Server) => new Promise((r) => srv.close(r));

/** A record file, as `up` writes before it allocates (with recorded ports, if any); one that reads back whole. */
function writeRecordFile(home: string, env: string, ports?: Record<string, Record<string, number>>): void {
  const at = new Date().toISOString();
  const record: EnvRecord = {
    project: 'shop',
    env,
    branch: env,
    stack: env,
    createdAt: at,
    updatedAt: at,
    services: [],
    databases: [],
    urls: {},
    ports,
    lastOperation: { op: 'up', status: 'running', at },
  };
  const file = recordPath(home, 'shop', env);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, JSON.stringify(record));
  const { damaged } = inspectRecord(home, 'shop', env);
  assert.equal(damaged, undefined, `the test's record ${file} does not read back: ${damaged?.message}`);
}

/** A port inside the allocation range that nothing listens on now, with its neighbour free too. */
async function freePairInRange(): Promise<number> {
  const range = hostPortRange()!;
  for (let i = 0; i < 200; i++) {
    const port = range.min + Math.floor(Math.random() * (range.max - range.min - 10));
    const a = await listen(port).catch(() => undefined);
    const b = await listen(port + 1).catch(() => undefined);
    if (a) await close(a);
    if (b) await close(b);
    if (a && b) return port;
  }
  throw new Error('no two free neighbouring ports in the allocation range');
}

const noDocker = async () => ({ own: new Set<number>(), others: new Set<number>() });

describe('host ports for environments', () => {
  let root: string;
  let dir: string;
  let home: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'slipway-ports-test-'));
    dir = join(root, 'machine');
    home = join(root, 'home');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const request = (over: Partial<AllocateRequest>): AllocateRequest => ({
    home,
    project: 'shop',
    env: 'a',
    wanted: { web: [8080] },
    previous: {},
    reserve: true,
    published: noDocker,
    dir,
    ...over,
  });

  it("lie below the kernel's ephemeral range, or anywhere when that leaves too little room", () => {
    assert.deepEqual(hostPortRange({ low: 32768, high: 60999 }), { min: 20000, max: 32767 });
    assert.deepEqual(hostPortRange({ low: 49152, high: 65535 }), { min: 20000, max: 32767 });
    assert.deepEqual(hostPortRange({ low: 25000, high: 60999 }), { min: 20000, max: 24999 });
    assert.equal(hostPortRange({ low: 10000, high: 60999 }), undefined);
    assert.deepEqual(hostPortRange(undefined), { min: 20000, max: 32767 });
  });

  it('are inside the range and free on 127.0.0.1, and a busy port inside the range is never given', async () => {
    const range = hostPortRange()!;
    writeRecordFile(home, 'a');
    const { ports } = await allocateHostPorts(request({ wanted: { web: [8080, 8081], db: [5432] } }));
    for (const p of [ports.web['8080'], ports.web['8081'], ports.db['5432']]) {
      assert.ok(p >= range.min && p <= range.max, `${p} is outside ${range.min}-${range.max}`);
      await close(await listen(p));
    }
    const busy = await freePairInRange();
    assert.ok(
      busy >= range.min && busy + 1 <= range.max,
      `the busy port ${busy} is outside the allocation range ${range.min}-${range.max}`,
    );
    const held = await listen(busy);
    try {
      for (let i = 0; i < 5; i++) {
        const got = await allocateHostPorts(
          request({ env: `b${i}`, reserve: false, range: { min: busy, max: busy + 1 } }),
        );
        assert.equal(got.ports.web['8080'], busy + 1, 'the port in use was given out');
      }
      await assert.rejects(
        allocateHostPorts(request({ env: 'c', reserve: false, range: { min: busy, max: busy } })),
        /No free host port was found in/,
      );
    } finally {
      await close(held);
    }
  });

  it('keep a port used before while it is free; one taken by another process is replaced and reported', async () => {
    const port = await freePairInRange();
    writeRecordFile(home, 'a');
    const kept = await allocateHostPorts(request({ previous: { web: { '8080': port } } }));
    assert.deepEqual(kept, { ports: { web: { '8080': port } }, moved: [] });
    // Published by the environment's own container: still its own.
    const own = await allocateHostPorts(
      request({
        previous: { web: { '8080': port } },
        published: async () => ({ own: new Set([port]), others: new Set() }),
      }),
    );
    assert.equal(own.ports.web['8080'], port);

    const held = await listen(port);
    try {
      const moved = await allocateHostPorts(request({ previous: { web: { '8080': port } } }));
      const to = moved.ports.web['8080'];
      assert.notEqual(to, port);
      assert.deepEqual(moved.moved, [{ owner: 'web', containerPort: 8080, from: port, to, takenBy: 'process' }]);
      assert.equal(
        movedPortMessage(moved.moved[0], true),
        `web: 127.0.0.1:${port} was taken by another process; now http://127.0.0.1:${to}`,
      );
      assert.deepEqual(
        readLedger(dir).map((r) => r.port),
        [to],
        'the replacement is what the ledger holds',
      );
    } finally {
      await close(held);
    }
    // Published by some other container: taken as well.
    const other = await allocateHostPorts(
      request({
        previous: { web: { '8080': port } },
        published: async () => ({ own: new Set(), others: new Set([port]) }),
      }),
    );
    assert.notEqual(other.ports.web['8080'], port);
  });

  it('never give a port another environment holds: by a reservation of any SLIPWAY_HOME, or a record of this one', async () => {
    const port = await freePairInRange();
    const range = { min: port, max: port + 1 };
    const otherHome = join(root, 'other-home');
    writeRecordFile(otherHome, 'x');
    const first = await allocateHostPorts(request({ home: otherHome, env: 'x', range }));
    writeRecordFile(home, 'a');
    const second = await allocateHostPorts(request({ range }));
    assert.notEqual(second.ports.web['8080'], first.ports.web['8080']);
    // A port recorded before by another environment is "held by another environment".
    const stolen = await allocateHostPorts(request({ previous: { web: { '8080': first.ports.web['8080'] } }, range }));
    assert.equal(stolen.moved[0]?.takenBy, 'environment');

    // A stopped (or failed) environment's recorded ports stay its own, reservation or not.
    writeRecordFile(home, 'stopped', { web: { '8080': port } });
    await releaseHostPorts(otherHome, 'shop', 'x', dir);
    await releaseHostPorts(home, 'shop', 'a', dir);
    const third = await allocateHostPorts(request({ env: 'c', range, reserve: false }));
    assert.equal(third.ports.web['8080'], port + 1);
  });

  it("give a port back on down, and forget a reservation whose environment's record is gone", async () => {
    writeRecordFile(home, 'a');
    writeRecordFile(home, 'b');
    await allocateHostPorts(request({ env: 'a' }));
    await allocateHostPorts(request({ env: 'b' }));
    assert.deepEqual(
      readLedger(dir)
        .map((r) => r.env)
        .sort(),
      ['a', 'b'],
    );
    await releaseHostPorts(home, 'shop', 'a', dir);
    assert.deepEqual(
      readLedger(dir).map((r) => r.env),
      ['b'],
    );
    rmSync(home, { recursive: true });
    assert.deepEqual(readLedger(dir), [], 'a deleted SLIPWAY_HOME holds nothing');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.match(machinePortsDir(), new RegExp(`slipway-ports-${process.getuid!()}$`));
  });

  it('are never the same for allocators in concurrent processes, across two SLIPWAY_HOMEs', async function () {
    this.timeout(60_000);
    // A narrow range, so that collisions would be likely: 8 processes x 3 ports of 30.
    const full = hostPortRange()!;
    const min = full.min + Math.floor(Math.random() * (full.max - full.min - 40));
    const range = { min, max: min + 29 };
    const modulePath = JSON.stringify(join(__dirname, '..', '..', 'environments', 'ports.ts'));
    const results = await Promise.all(
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => {
        const h = join(root, `home-${i % 2}`);
        writeRecordFile(h, `env-${i}`);
        const req = {
          ...request({ home: h, env: `env-${i}`, wanted: { web: [8080, 8081], db: [5432] }, range }),
          published: undefined,
        };
        const script = `const p = require(${modulePath});
          p.allocateHostPorts({ ...${JSON.stringify(req)}, published: async () => ({ own: new Set(), others: new Set() }) })
            .then((r) => process.stdout.write(JSON.stringify(r.ports)), (e) => { console.error(e); process.exit(1); });`;
        return new Promise<Record<string, Record<string, number>>>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let out = '';
          let err = '';
          child.stdout.on('data', (d) => (out += d));
          child.stderr.on('data', (d) => (err += d));
          child.on('close', (code) =>
            code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`allocator ${i} exited ${code}: ${err}`)),
          );
        });
      }),
    );
    const all = results.flatMap((r) => Object.values(r).flatMap((byPort) => Object.values(byPort)));
    assert.equal(all.length, 24);
    assert.equal(new Set(all).size, 24, `a port was handed out twice: ${all.sort().join(' ')}`);
    assert.equal(readLedger(dir).length, 24);
    const ledger = JSON.parse(readFileSync(join(dir, 'reservations.json'), 'utf8')) as { reservations: unknown[] };
    assert.equal(ledger.reservations.length, 24);
  });
});
