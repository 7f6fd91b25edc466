/** The pipeline view's reducer in plain Node: full states, gates marked running, and one result per gate. */
import assert from 'node:assert/strict';
import { notification, type GateView } from '../../webviews/protocol';
import { EVALUATING, initialState, overall, promotable, reduce } from '../../webviews/pipeline/state';
import { pipeline } from '../webviews/fixtures';

describe('pipeline state (reducer)', () => {
  it('ignores gate messages before any state, and for a stage it does not show', () => {
    const gate: GateView = {
      stage: 'staging',
      name: 'health',
      kind: 'health',
      state: 'pass',
      reason: 'ok',
      evidence: {},
    };
    assert.equal(reduce(initialState, notification('gates/progress', { gate })), initialState);
    const s = reduce(initialState, notification('pipeline/state', pipeline()));
    assert.equal(reduce(s, notification('gates/progress', { gate: { ...gate, stage: 'nowhere' } })), s);
    assert.equal(
      reduce(s, notification('gates/running', { stage: 'nowhere', gates: ['x'], startedAt: '2026-01-01T00:00:00Z' })),
      s,
    );
  });

  it('marks the re-run gates running (and Promote waiting), then takes each result as it comes', () => {
    const p = pipeline();
    const promo = p.promotions[0];
    const names = promo.gates.map((g) => g.name);
    let s = reduce(initialState, notification('pipeline/state', p));
    s = reduce(s, notification('gates/running', { stage: promo.to, gates: names, startedAt: '2026-01-01T00:00:00Z' }));
    const running = s.pipeline!.promotions[0];
    assert.ok(running.gates.every((g) => g.state === 'running' && g.startedAt === '2026-01-01T00:00:00Z'));
    assert.equal(running.canPromote, false);
    assert.equal(running.blockedReason, EVALUATING);
    assert.equal(overall(running), 'running');
    assert.match(s.announcement, /Evaluating/);
    assert.equal(s.pipeline!.promotions[1], p.promotions[1], 'other promotions are untouched');

    for (const name of names) {
      const g = running.gates.find((x) => x.name === name)!;
      s = reduce(s, notification('gates/progress', { gate: { ...g, state: 'pass', reason: `${name} passed` } }));
      assert.equal(s.announcement, `Gate ${name}: Passed. ${name} passed`);
    }
    assert.ok(s.pipeline!.promotions[0].gates.every((g) => g.state === 'pass'));
    assert.equal(promotable(s.pipeline!.promotions[0]), false, 'Promote waits for the host to allow it again');
    s = reduce(
      s,
      notification('pipeline/state', {
        ...s.pipeline!,
        promotions: s.pipeline!.promotions.map((x, i) =>
          i === 0 ? { ...x, canPromote: true, blockedReason: undefined } : x,
        ),
      }),
    );
    assert.equal(promotable(s.pipeline!.promotions[0]), true);
  });

  it('adds a gate it did not know, and never offers a promotion the stage already runs', () => {
    const p = pipeline();
    let s = reduce(initialState, notification('pipeline/state', p));
    const gate: GateView = {
      stage: p.promotions[0].to,
      name: 'new-gate',
      kind: 'command',
      state: 'fail',
      reason: 'exit 1',
      evidence: {},
    };
    s = reduce(s, notification('gates/progress', { gate }));
    assert.equal(s.pipeline!.promotions[0].gates.at(-1)?.name, 'new-gate');
    const allPassing = {
      ...p.promotions[0],
      canPromote: true,
      gates: p.promotions[0].gates.map((g) => ({ ...g, state: 'pass' as const })),
    };
    assert.equal(promotable(allPassing), true);
    assert.equal(promotable({ ...allPassing, current: { commit: 'abc', release: 3 } }), false);
  });
});
