/** The window gate across daylight-saving changes: a skipped time moves forward, a repeated time is its first occurrence. */
import assert from 'node:assert/strict';
import { windowGate } from '../../environments/pipeline/gates/window';
import type { GateContext } from '../../environments/pipeline/gates';

type WindowGate = Parameters<typeof windowGate>[0];

async function at(gate: WindowGate, iso: string) {
  // The window gate reads only the clock: no run (processes, timeouts) is needed.
  return windowGate(
    gate,
    { now: () => new Date(iso) } as unknown as GateContext,
    undefined as unknown as Parameters<typeof windowGate>[2],
  );
}

/** A gate open all week except the freeze from..to (local times of `timezone`). */
function frozen(timezone: string, from: string, to: string): WindowGate {
  return { kind: 'window', name: 'window', timezone, allow: [], freeze: [{ from, to }] } as WindowGate;
}

describe('window gate at daylight-saving changes', () => {
  it('Europe/Berlin gap: 02:30 on 2026-03-29 does not exist, so a freeze from then starts at 03:30 CEST (01:30 UTC)', async () => {
    const gate = frozen('Europe/Berlin', '2026-03-29T02:30', '2026-03-29T06:00');
    assert.equal((await at(gate, '2026-03-29T01:20:00Z')).state, 'pass'); // 03:20 CEST
    const inside = await at(gate, '2026-03-29T01:40:00Z'); // 03:40 CEST
    assert.equal(inside.state, 'fail');
    assert.deepStrictEqual(inside.evidence.nextOpening, {
      at: '2026-03-29T04:00:00.000Z',
      local: 'Sun 2026-03-29 06:00',
    });
  });

  it('Europe/Berlin overlap: 02:30 on 2026-10-25 is shown twice, and a freeze from then starts at the first (00:30 UTC)', async () => {
    const gate = frozen('Europe/Berlin', '2026-10-25T02:30', '2026-10-25T05:00');
    assert.equal((await at(gate, '2026-10-25T00:20:00Z')).state, 'pass'); // 02:20 CEST
    assert.equal((await at(gate, '2026-10-25T00:40:00Z')).state, 'fail'); // 02:40 CEST, first pass
    const reopens = await at(gate, '2026-10-25T03:59:00Z'); // 04:59 CET
    assert.equal(reopens.state, 'fail');
    assert.deepStrictEqual(reopens.evidence.nextOpening, {
      at: '2026-10-25T04:00:00.000Z',
      local: 'Sun 2026-10-25 05:00',
    });
  });

  it('America/New_York gap: 02:30 on 2026-03-08 does not exist, so a freeze from then starts at 03:30 EDT (07:30 UTC)', async () => {
    const gate = frozen('America/New_York', '2026-03-08T02:30', '2026-03-08T06:00');
    assert.equal((await at(gate, '2026-03-08T07:20:00Z')).state, 'pass'); // 03:20 EDT
    assert.equal((await at(gate, '2026-03-08T07:40:00Z')).state, 'fail'); // 03:40 EDT
  });

  it('America/New_York overlap: 01:30 on 2026-11-01 is shown twice, and a freeze from then starts at the first (05:30 UTC, EDT)', async () => {
    const gate = frozen('America/New_York', '2026-11-01T01:30', '2026-11-01T04:00');
    assert.equal((await at(gate, '2026-11-01T05:20:00Z')).state, 'pass'); // 01:20 EDT
    assert.equal((await at(gate, '2026-11-01T05:40:00Z')).state, 'fail'); // 01:40 EDT, first pass
    assert.equal((await at(gate, '2026-11-01T06:40:00Z')).state, 'fail'); // 01:40 EST, second pass
  });

  it('names the next opening of an allowed range that starts in a gap at the time the clocks show', async () => {
    const gate = {
      kind: 'window',
      name: 'window',
      timezone: 'Europe/Berlin',
      allow: ['Sun 02:30-04:00'],
      freeze: [],
    } as unknown as WindowGate;
    const result = await at(gate, '2026-03-28T12:00:00Z');
    assert.equal(result.state, 'fail');
    assert.deepStrictEqual(result.evidence.nextOpening, {
      at: '2026-03-29T01:30:00.000Z',
      local: 'Sun 2026-03-29 03:30',
    });
    assert.equal((await at(gate, '2026-03-29T01:45:00Z')).state, 'pass'); // 03:45 CEST
  });
});
