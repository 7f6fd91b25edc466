/** The dashboard's reducer and the host's diff, in plain Node: a patch carries only what changed and rebuilds the same state. */
import assert from 'node:assert/strict';
import { notification, type EnvironmentPatch, type EnvironmentView } from '../../webviews/protocol';
import { applyPatch, diffEnvironment, initialState, reduce } from '../../webviews/dashboard/state';
import { environment } from '../webviews/fixtures';

/** As the webview receives it: JSON (no `undefined` fields). */
const wire = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('dashboard state (reducer)', () => {
  it('takes a full state, then applies a patch that changes one field of one service', () => {
    const s1 = reduce(initialState, notification('env/state', environment()));
    assert.equal(s1.env?.services[1].health, 'healthy');
    const s2 = reduce(s1, notification('env/patch', { services: [{ name: 'db', set: { health: 'unhealthy' } }] }));
    assert.equal(s2.env?.services[1].health, 'unhealthy');
    assert.equal(s2.env?.services[1].image, s1.env?.services[1].image);
    assert.equal(s2.env?.services[0], s1.env?.services[0], 'an unchanged service is the same object');
    assert.equal(s1.env?.services[1].health, 'healthy', 'the previous state is not mutated');
  });

  it('ignores a patch before any state', () => {
    assert.equal(reduce(initialState, notification('env/patch', { set: { status: 'failed' } })), initialState);
  });

  it('sets and removes top-level fields, adds and removes services in the given order', () => {
    const e = environment();
    const patch: EnvironmentPatch = {
      set: { status: 'degraded' },
      unset: ['expiresAt'],
      order: ['api', 'web'],
      services: [{ name: 'api', set: { state: 'running', health: 'starting', ports: [], image: 'sha256:cc' } }],
    };
    const next = applyPatch(e, patch);
    assert.equal(next.status, 'degraded');
    assert.equal('expiresAt' in next, false);
    assert.deepEqual(
      next.services.map((s) => [s.name, s.health]),
      [
        ['api', 'starting'],
        ['web', 'healthy'],
      ],
    );
  });

  it('never lets a patch reach a prototype or set a field the protocol does not name', () => {
    const e = environment();
    const evil = JSON.parse(
      '{"set":{"__proto__":{"polluted":true},"constructor":{"x":1},"status":"failed","nonsense":1},"unset":["__proto__","services","toString"],"services":[{"name":"web","set":{"__proto__":{"polluted":true},"health":"unhealthy","extra":2}}]}',
    ) as EnvironmentPatch;
    const next = applyPatch(e, evil);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
    assert.equal(Object.getPrototypeOf(next), Object.prototype);
    assert.equal(Object.getPrototypeOf(next.services[0]), Object.prototype);
    assert.equal(next.status, 'failed');
    assert.equal(next.services[0].health, 'unhealthy');
    assert.equal(Object.hasOwn(next, 'nonsense'), false);
    assert.equal(Object.hasOwn(next.services[0], 'extra'), false);
    assert.equal(next.services.length, 2, 'unset cannot remove the services');
  });

  it('forgets fetched log lines of a service that is gone, keeps the others', () => {
    let s = reduce(initialState, notification('env/state', environment()));
    s = reduce(s, { type: 'logs/loading', service: 'web' });
    assert.equal(s.logs.get('web')?.loading, true);
    s = reduce(s, { type: 'logs/loaded', service: 'web', lines: ['a'] });
    s = reduce(s, { type: 'logs/failed', service: 'db', error: 'gone' });
    assert.deepEqual(s.logs.get('web'), { lines: ['a'] });
    s = reduce(s, notification('env/patch', { order: ['web'] }));
    assert.deepEqual([...s.logs.keys()], ['web']);
  });
});

describe('dashboard state (the host diff)', () => {
  const cases: Array<[string, EnvironmentView, EnvironmentView]> = [
    ['nothing', environment(), environment()],
    [
      'one health',
      environment(),
      environment({
        services: environment().services.map((s) => (s.name === 'db' ? { ...s, health: 'unhealthy' } : s)),
      }),
    ],
    [
      'status and an expiry removed',
      environment(),
      environment({
        status: 'failed',
        expiresAt: undefined,
        lastOperation: { op: 'up', status: 'failed', at: '2026-01-01T00:00:00Z', error: 'boom' },
      }),
    ],
    [
      'a service added and one removed',
      environment(),
      environment({ services: [{ ...environment().services[0], name: 'api' }, environment().services[0]] }),
    ],
    [
      'memory use and a url gone',
      environment(),
      environment({
        services: environment().services.map((s) => ({ ...s, url: undefined, memory: { used: 1, quota: 2 } })),
      }),
    ],
  ];
  for (const [what, prev, next] of cases) {
    it(`rebuilds the next state from the previous one and the patch: ${what}`, () => {
      const patch = diffEnvironment(wire(prev), wire(next));
      const rebuilt = patch ? applyPatch(wire(prev), wire(patch)) : wire(prev);
      assert.deepEqual(wire(rebuilt), wire(next));
    });
  }

  it('sends nothing when nothing changed, and only the changed field otherwise', () => {
    // One fixture and its copy: two calls of `environment()` can fall in different milliseconds,
    // and its times are relative to now.
    const e = environment();
    assert.equal(diffEnvironment(e, structuredClone(e)), undefined);
    const next = {
      ...e,
      services: e.services.map((s) => (s.name === 'web' ? { ...s, cpu: { used: 0.2, quota: 0.5 } } : s)),
    };
    assert.deepEqual(diffEnvironment(e, next), {
      services: [{ name: 'web', set: { cpu: { used: 0.2, quota: 0.5 } } }],
    });
  });
});
