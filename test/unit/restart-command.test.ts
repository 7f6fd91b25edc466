/**
 * Slipway: Restart Service as a dashboard runs it (extension/commands/restart.ts, in plain Node
 * around the fake vscode): one service or all, under the one cancellable progress of every
 * command; Cancel stops before the next service and says which ones were restarted.
 */
import assert from 'node:assert/strict';
import { recorded, useFakeVscode } from './fakes/vscode';

describe('restart command from a dashboard', () => {
  let undo: () => void;
  let restarted: string[];
  let refreshed: number;

  before(async () => {
    undo = useFakeVscode();
    const { register } = await import('../../extension/commands/restart');
    const item = {
      status: {
        project: 'shop',
        branch: 'feature/checkout',
        services: [{ service: 'web' }, { service: 'db' }],
        urls: {},
      },
      state: 'running',
    };
    const slipway = {
      log: { info: () => undefined, warn: () => undefined, error: () => undefined, show: () => undefined },
      model: {
        find: (b: string) => (b === 'feature/checkout' ? item : undefined),
        refresh: async () => void refreshed++,
        items: [item],
      },
      engine: async () => ({
        restart: async (_p: string, _b: string, service: string) => void restarted.push(service),
      }),
    };
    register(slipway as never);
  });
  after(() => undo());
  beforeEach(() => {
    restarted = [];
    refreshed = 0;
    recorded.progress.length = 0;
    recorded.errors.length = 0;
    recorded.cancelAtStart = false;
  });

  const run = (arg: unknown) => recorded.registered.get('slipway.service.restart')!(arg);

  it('restarts the named service, or every service, under one cancellable progress, then refreshes the model', async () => {
    await run({ project: 'shop', branch: 'feature/checkout', service: 'db' });
    assert.deepEqual(restarted, ['db']);
    await run({ project: 'shop', branch: 'feature/checkout' });
    assert.deepEqual(restarted, ['db', 'web', 'db']);
    assert.deepEqual(recorded.progress, [
      { title: 'Slipway: restarting db', cancellable: true },
      { title: 'Slipway: restarting web, db of feature/checkout', cancellable: true },
    ]);
    assert.equal(refreshed, 2);
    assert.deepEqual(recorded.errors, []);
  });

  it('Cancel stops before the next service and says what was and was not restarted', async () => {
    // Cancel while the first one restarts (this engine does not stop for it): the next one does not start.
    recorded.cancelAtStart = true;
    await run({ project: 'shop', branch: 'feature/checkout' });
    assert.deepEqual(restarted, ['web']);
    assert.deepEqual(recorded.errors, ['info: Cancelled: web restarted, db not; restart db again when you need to.']);
    assert.equal(refreshed, 1);
  });
});
