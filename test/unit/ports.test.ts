/** Host ports for environments: below the kernel's ephemeral range, free on 127.0.0.1, never one to avoid. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { freeLocalPort, hostPortRange } from '../../environments/docker/engine';

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

describe('host ports for environments', () => {
  it("lie below the kernel's ephemeral range, or anywhere when that leaves too little room", () => {
    assert.deepEqual(hostPortRange({ low: 32768, high: 60999 }), { min: 20000, max: 32767 });
    assert.deepEqual(hostPortRange({ low: 49152, high: 65535 }), { min: 20000, max: 32767 });
    assert.deepEqual(hostPortRange({ low: 25000, high: 60999 }), { min: 20000, max: 24999 });
    assert.equal(hostPortRange({ low: 10000, high: 60999 }), undefined);
    assert.deepEqual(hostPortRange(undefined), { min: 20000, max: 32767 });
  });

  it('are free on 127.0.0.1 and inside the range, skipping a port in use and the ones to avoid', async () => {
    const range = hostPortRange();
    assert.ok(range, 'this machine leaves room below its ephemeral range');
    for (let i = 0; i < 20; i++) {
      const port = await freeLocalPort(new Set(), range);
      assert.ok(port >= range.min && port <= range.max, `${port} is outside ${range.min}-${range.max}`);
      (await listen(port)).close();
    }
    // Two candidates: one held by a server, one to avoid, then the held one only.
    // A held port whose neighbour was free a moment ago (tried on a real socket first).
    let held!: Server;
    let busy = 0;
    for (let i = 0; i < 10 && !busy; i++) {
      held = await listen(0);
      const port = (held.address() as { port: number }).port;
      const next = await listen(port + 1).catch(() => undefined);
      if (next) {
        await new Promise((r) => next.close(r));
        busy = port;
      } else held.close();
    }
    assert.ok(busy, 'found no port with a free neighbour');
    try {
      const two = { min: busy, max: busy + 1 };
      assert.equal(await freeLocalPort(new Set(), { min: busy, max: busy }).catch((e: Error) => e.message), 'could not find a free local port');
      assert.equal(await freeLocalPort(new Set([busy])).then((p) => p !== busy), true);
      const avoid = new Set<number>();
      const got = await freeLocalPort(avoid, two);
      assert.equal(got, busy + 1, 'the port in use was given out');
      assert.ok(avoid.has(got), 'the port given out is not avoided next time');
    } finally {
      held.close();
    }
  });
});
