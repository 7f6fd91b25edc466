/** The editor's expiry warnings (which environments, once per expiry), its gc summary line, and the quota header text. */
import assert from 'node:assert/strict';
import { mock } from 'node:test';
import type { GcReport } from '../../environments/quotas/gc';
import type { QuotaUse } from '../../environments/quotas/check';
import { fullLimits, quotaHeader } from '../../environments/quotas/summary';
import { useFakeVscode } from './fakes/vscode';

const MIN = 60_000;
const NOW = Date.parse('2026-12-02T16:00:00.000Z');

function use(key: QuotaUse['key'], used: number, limit: number, text?: { used: string; limit: string }): QuotaUse {
  return {
    key,
    what: key,
    limit: { value: limit, setting: `slipway.quotas.${key}`, source: '/w/.vscode/settings.json' },
    used,
    text: text ?? { used: String(used), limit: String(limit) },
    holders: 'none',
  };
}

describe('editor: expiry warnings, gc summary, quota header', () => {
  let expiry: typeof import('../../extension/expiry');
  let gc: typeof import('../../extension/gc');
  let undo: () => void;
  before(async () => {
    undo = useFakeVscode();
    expiry = await import('../../extension/expiry');
    gc = await import('../../extension/gc');
  });
  after(() => undo());

  it('warns about my environments expiring within the lead time, once per expiry; never stages, busy ones or expired ones', () => {
    const item = (branch: string, expiresAt: number | undefined, extra: { owner?: string; busy?: boolean } = {}) => ({
      status: { branch, owner: extra.owner },
      expiresAt,
      busy: extra.busy ? { op: 'up' as const } : undefined,
    });
    const items = [
      item('soon', NOW + 10 * MIN, { owner: 'me@x' }),
      item('later', NOW + 60 * MIN, { owner: 'me@x' }),
      item('gone', NOW - MIN, { owner: 'me@x' }),
      item('stage:staging', NOW + 5 * MIN),
      item('busy', NOW + 5 * MIN, { busy: true }),
      item('theirs', NOW + 5 * MIN, { owner: 'ann@x' }),
      item('unowned', NOW + 14 * MIN),
      item('never', undefined),
    ];
    const due = expiry.dueWarnings(items, NOW, 15 * MIN, new Map(), 'me@x');
    assert.deepEqual(
      due.map((d) => d.branch),
      ['soon', 'unowned'],
    );
    // Warned once for this expiry; an Extend moves it, and a later warning may come again.
    const warned = new Map([['soon', NOW + 10 * MIN]]);
    assert.deepEqual(
      expiry.dueWarnings(items, NOW, 15 * MIN, warned, 'me@x').map((d) => d.branch),
      ['unowned'],
    );
    const extended = [item('soon', NOW + 12 * MIN, { owner: 'me@x' })];
    assert.deepEqual(
      expiry.dueWarnings(extended, NOW, 15 * MIN, warned, 'me@x').map((d) => d.branch),
      ['soon'],
    );
  });

  it('says what a collection removed, and nothing when it removed nothing', () => {
    const empty: GcReport = { at: '', dryRun: false, expired: [], orphans: [] };
    assert.equal(gc.describeCollection(empty), undefined);
    const report: GcReport = {
      at: '',
      dryRun: false,
      expired: [
        { project: 'shop', branch: 'feature/a', env: 'feature-a-1', expiresAt: '', removed: true },
        {
          project: 'shop',
          branch: 'feature/b',
          env: 'feature-b-2',
          expiresAt: '',
          removed: false,
          error: 'docker down',
        },
      ],
      orphans: [{ project: 'shop', env: 'old-3', containers: 1, networks: 1, volumes: 0, removed: true }],
    };
    assert.equal(
      gc.describeCollection(report),
      'Slipway tore down an expired environment: shop / feature/a; removed Docker objects of an environment that no longer exist (shop/old-3); could not tear down shop / feature/b (docker down).',
    );
  });

  it('puts every limit in force in the header as use/limit, and names the full ones', () => {
    const uses = [
      use('maxEnvironmentsPerUser', 2, 3),
      use('maxEnvironmentsPerHost', 10, 10),
      use('memoryPerHost', 2 ** 31, 2 ** 33, { used: '2Gi', limit: '8Gi' }),
    ];
    assert.equal(quotaHeader(uses), '2/3 mine · 10/10 host · 2Gi/8Gi host memory');
    assert.deepEqual(
      fullLimits(uses).map((u) => u.key),
      ['maxEnvironmentsPerHost'],
    );
    assert.equal(quotaHeader([]), '');
  });

  it('collects on the interval (first soon after the window opens), never two at once, with the default TTL the CLI uses', async () => {
    const { gcRuns } = (await import('./fakes/core')) as typeof import('./fakes/core');
    mock.timers.enable({ apis: ['setTimeout'] });
    const settle = async () => {
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    };
    const slipway = {
      settings: { gcIntervalMs: 10 * MIN },
      engine: async () => ({ home: '/home' }),
      log: { info: () => undefined, warn: () => undefined },
      model: { refresh: async () => undefined },
    };
    const collector = new gc.GarbageCollector(slipway as never);
    try {
      mock.timers.tick(59_000);
      await settle();
      assert.equal(gcRuns.calls, 0, 'nothing before the first minute');
      mock.timers.tick(1_000);
      await settle();
      assert.equal(gcRuns.calls, 1, 'the first collection a minute after the window opened');
      // A collection asked for while one runs is that one.
      const again = collector.collect();
      await settle();
      assert.equal(gcRuns.calls, 1, 'never two at once');
      gcRuns.release.splice(0).forEach((r) => r());
      await again;
      assert.deepEqual(gcRuns.defaultTtlMs, [7_200_000]);
      mock.timers.tick(10 * MIN);
      await settle();
      assert.equal(gcRuns.calls, 2, 'the next one an interval later');
      gcRuns.release.splice(0).forEach((r) => r());
    } finally {
      collector.dispose();
      mock.timers.reset();
    }
  });
});
