/**
 * The dashboard's host class (extension/webviews/dashboard.ts) in plain Node, around a fake
 * panel and a fake engine: how many messages an idle environment costs per minute, that a
 * change crosses as one patch with only what changed, and that logs are read only on request.
 */
import assert from 'node:assert/strict';
import { mock } from 'node:test';
import type { EnvironmentStatus, ServiceUsage } from '../../environments/engine';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordSeed } from '../../environments/data/seed-record';
import { envNames } from '../../environments/naming';
import type { EnvironmentView } from '../../webviews/protocol';
import { EventEmitter, FakePanel, recorded, Uri, useFakeVscode } from './fakes/vscode';

const MiB = 1024 * 1024;
const KEY = { project: 'shop', branch: 'feature/checkout' };

function status(overrides: Partial<EnvironmentStatus> = {}): EnvironmentStatus {
  return {
    project: 'shop',
    env: 'feature-checkout-7c2e1a',
    branch: KEY.branch,
    stack: 'feature-checkout-7c2e1a',
    status: 'running',
    urls: { web: 'http://127.0.0.1:49213' },
    createdAt: '2026-01-02T10:00:00.000Z',
    updatedAt: '2026-01-02T10:10:00.000Z',
    commit: '4b1e9d2c7a0f3e5d6c8b9a1f2e3d4c5b6a7f8e9d',
    services: [
      {
        service: 'web',
        containerId: 'c1',
        state: 'running',
        health: 'healthy',
        ports: { 8080: 49213 },
        image: 'sha256:aa',
      },
      {
        service: 'db',
        containerId: 'c2',
        state: 'running',
        health: 'healthy',
        ports: { 5432: 49214 },
        image: 'sha256:bb',
      },
    ],
    ...overrides,
  };
}

/** An engine whose idle containers use a little CPU and memory that wobbles, like real ones. */
function fakeEngine() {
  let tick = 0;
  const calls = { status: 0, usage: 0, logs: 0 };
  let current = status();
  return {
    calls,
    set(s: EnvironmentStatus) {
      current = s;
    },
    engine: {
      home: '/nonexistent',
      status: async () => (calls.status++, current),
      usage: async (): Promise<ServiceUsage[]> => {
        calls.usage++;
        tick++;
        const wobble = (tick % 3) * 0.0004;
        return [
          {
            service: 'web',
            cpu: 0.0021 + wobble,
            cpuLimit: 0.5,
            memory: 91 * MiB + (tick % 5) * 4096,
            memoryLimit: 256 * MiB,
          },
          {
            service: 'db',
            cpu: 0.0102 + wobble,
            cpuLimit: 0.5,
            memory: 212 * MiB + (tick % 7) * 8192,
            memoryLimit: 256 * MiB,
          },
        ];
      },
      logs: async (_p: string, _b: string, service: string, o: { tail?: number; onLine: (l: string) => void }) => {
        calls.logs++;
        for (let i = 0; i < Math.min(o.tail ?? 100, 3); i++) o.onLine(`${service} line ${i}`);
      },
      restart: async () => undefined,
    },
  };
}

function fakeSlipway(engine: ReturnType<typeof fakeEngine>) {
  const modelChanged = new EventEmitter<void>();
  const specFileChanged = new EventEmitter<unknown>();
  const quotasChanged = new EventEmitter<void>();
  let specReads = 0;
  const slipway = {
    context: { extensionUri: Uri.file('/ext') },
    log: {
      warn: () => undefined,
      error: () => undefined,
      info: () => undefined,
      debug: () => undefined,
      show: () => undefined,
    },
    model: {
      get items() {
        return [{ status: lastStatus, state: lastStatus.status, outdated: false }];
      },
      find: () => undefined,
      onDidChange: modelChanged.event,
      refresh: async () => undefined,
    },
    ttl: { expiresAt: () => Date.parse('2026-01-02T18:00:00.000Z'), extend: async () => undefined },
    quotas: {
      summary: undefined as
        undefined | { owner: string; uses: Array<import('../../environments/quotas/check').QuotaUse> },
      onDidChange: quotasChanged.event,
    },
    shares: {
      link: undefined as undefined | { address: string; copyable: boolean },
      revoked: [] as string[],
      async view() {
        const l = slipway.shares.link;
        return l
          ? {
              ...l,
              expiresAt: '2026-01-03T10:00:00.000Z',
              createdAt: '2026-01-02T10:00:00.000Z',
              service: 'web',
              expired: false,
            }
          : undefined;
      },
      async kept() {
        return undefined;
      },
      async revoke(_project: string, env: string) {
        slipway.shares.revoked.push(env);
        slipway.shares.link = undefined;
        return true;
      },
    },
    engine: async () => engine.engine,
    spec: async () => (
      specReads++,
      {
        name: 'shop',
        databases: [],
        pipeline: {
          stages: [
            { name: 'preview', gates: [] },
            { name: 'staging', gates: [] },
          ],
        },
      }
    ),
    specFile: Uri.file('/work/shop/slipway.yaml'),
    onDidChangeSpecFile: specFileChanged.event,
  };
  let lastStatus = status();
  return {
    slipway,
    modelChanged,
    quotasChanged,
    specFileChanged,
    specReads: () => specReads,
    setStatus(s: EnvironmentStatus) {
      lastStatus = s;
      engine.set(s);
    },
  };
}

/** Lets every pending promise chain run (the host's refresh awaits several). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

describe('dashboard host: traffic to the webview', function () {
  this.timeout(60_000);
  let DashboardPanel: typeof import('../../extension/webviews/dashboard').DashboardPanel;

  let undo: () => void;

  before(async () => {
    undo = useFakeVscode();
    ({ DashboardPanel } = await import('../../extension/webviews/dashboard'));
  });
  after(() => undo());
  beforeEach(() => mock.timers.enable({ apis: ['setInterval', 'setTimeout'] }));
  afterEach(() => mock.timers.reset());

  /** Opens a dashboard on the fake engine, says ready, and runs `seconds` of idle time. */
  async function idle(seconds: number, home?: string) {
    const engine = fakeEngine();
    if (home) engine.engine.home = home;
    const env = fakeSlipway(engine);
    // The environments model polls every 30 s when nothing runs, and fires after each poll (out
    // of step with the panel's own timers: it polls from when the window opened). Mocked timers:
    // this schedule is what is tested, and no real time passes.
    let poll: ReturnType<typeof setInterval> | undefined;
    const start = setTimeout(
      () => (env.modelChanged.fire(), (poll = setInterval(() => env.modelChanged.fire(), 30_000))),
      2_000,
    );
    const stop = () => (clearTimeout(start), clearInterval(poll));
    const panel = new FakePanel();
    const host = new DashboardPanel(env.slipway as never, panel as never, KEY);
    panel.send({ type: 'command', method: 'webview/ready', params: { app: 'dashboard', version: 1 } });
    await settle();
    const first = panel.posted.length;
    for (let s = 0; s < seconds; s++) {
      mock.timers.tick(1000);
      await settle();
    }
    return { engine, env, panel, host, first, stop, after: panel.posted.slice(first) };
  }

  it('an idle environment: the whole state once on ready, then no message at all for a minute; no log or spec read', async () => {
    const { host, first, stop, after, engine, env } = await idle(60);
    stop();
    host.dispose();
    console.log(
      `      idle dashboard: ${first} message(s) on ready, then ${after.length} per minute; engine calls: ${JSON.stringify(engine.calls)}, spec reads: ${env.specReads()}`,
    );
    assert.equal(first, 1);
    assert.deepEqual(after, [], 'nothing changed, nothing posted');
    assert.equal(engine.calls.logs, 0, 'logs are read only when the view asks');
    assert.equal(env.specReads(), 1, 'the spec is read once per panel');
  });

  it('a change crosses as one env/patch with only the changed service field', async () => {
    const { panel, host, first, stop, env } = await idle(1);
    assert.equal(panel.posted[0].method, 'env/state');
    const s = status();
    env.setStatus({ ...s, services: s.services.map((x) => (x.service === 'db' ? { ...x, health: 'unhealthy' } : x)) });
    env.modelChanged.fire();
    await settle();
    stop();
    host.dispose();
    assert.deepEqual(panel.posted.slice(first), [
      {
        type: 'notification',
        method: 'env/patch',
        params: { services: [{ name: 'db', set: { health: 'unhealthy' } }] },
      },
    ]);
  });

  it('reads logs only when asked, and the spec again only after slipway.yaml changed', async () => {
    const { panel, host, first, stop, engine, env } = await idle(1);
    panel.send({ type: 'request', id: 7, method: 'env/logs', params: { service: 'web', lines: 20 } });
    await settle();
    assert.deepEqual(panel.posted.slice(first), [
      { type: 'response', id: 7, result: { lines: ['web line 0', 'web line 1', 'web line 2'] } },
    ]);
    assert.equal(engine.calls.logs, 1);
    recorded.watchers.at(-1)!.changed.fire(Uri.file('/work/shop/slipway.yaml'));
    await settle();
    assert.equal(env.specReads(), 2);
    assert.equal(panel.posted.length, first + 1, 'the same stages: nothing to post');
    stop();
    host.dispose();
  });

  it('Restart (a row or the toolbar) runs the slipway.service.restart command, not a progress of its own', async () => {
    const { panel, host, stop } = await idle(1);
    recorded.commands.length = 0;
    recorded.progress.length = 0;
    panel.send({ type: 'command', method: 'env/restart', params: { service: 'db' } });
    panel.send({ type: 'command', method: 'env/restart', params: {} });
    await settle();
    stop();
    host.dispose();
    assert.deepEqual(recorded.commands, [
      { id: 'slipway.service.restart', args: [{ project: 'shop', branch: KEY.branch, service: 'db' }] },
      { id: 'slipway.service.restart', args: [{ project: 'shop', branch: KEY.branch, service: undefined }] },
    ]);
    assert.deepEqual(recorded.progress, []);
  });

  it('quota use and the share link cross as one patch; the link never carries its token; Copy without it makes a new link', async () => {
    const { panel, host, first, stop, env } = await idle(1);
    env.slipway.quotas.summary = {
      owner: 'dev@example.com',
      uses: [
        {
          key: 'maxEnvironmentsPerWorkspace',
          what: 'environments per workspace (project)',
          limit: {
            value: 1,
            setting: 'slipway.quotas.maxEnvironmentsPerWorkspace',
            source: '/work/shop/.vscode/settings.json',
          },
          used: 1,
          text: { limit: '1', used: '1' },
          holders: 'dev@example.com 1',
        },
      ],
    };
    env.slipway.shares.link = { address: 'http://feature-checkout-7c2e1a.shop.localhost:7480/', copyable: false };
    env.quotasChanged.fire();
    await settle();
    const posted = panel.posted.slice(first);
    assert.equal(posted.length, 1, 'one patch');
    assert.deepEqual(posted[0], {
      type: 'notification',
      method: 'env/patch',
      params: {
        set: {
          quotas: [
            {
              what: 'environments per workspace (project)',
              short: 'project',
              used: '1',
              limit: '1',
              usedValue: 1,
              limitValue: 1,
              full: true,
              setting: 'slipway.quotas.maxEnvironmentsPerWorkspace',
              source: '/work/shop/.vscode/settings.json',
              holders: 'dev@example.com 1',
            },
          ],
          share: {
            address: 'http://feature-checkout-7c2e1a.shop.localhost:7480/',
            copyable: false,
            expiresAt: '2026-01-03T10:00:00.000Z',
            createdAt: '2026-01-02T10:00:00.000Z',
            service: 'web',
            expired: false,
          },
        },
      },
    });
    assert.doesNotMatch(JSON.stringify(panel.posted), /slipway_token/);
    recorded.commands.length = 0;
    panel.send({ type: 'command', method: 'env/copyShare', params: {} });
    await settle();
    assert.deepEqual(recorded.commands, [{ id: 'slipway.env.share', args: [KEY.branch] }]);
    stop();
    host.dispose();
  });

  it('shows each seeded database (source host, policy, rows, when, snapshot) and Re-seed runs slipway.data.reseed', async () => {
    const home = mkdtempSync(join(tmpdir(), 'slipway-dash-seed-'));
    try {
      const names = envNames(KEY.project, KEY.branch);
      recordSeed(home, names.project, names.env, 'db', {
        source: '127.0.0.1:5433/shop',
        policy: '/nowhere/masking.yaml',
        policyHash: 'c0ffee'.repeat(10) + 'abcd',
        snapshot: 'snap_0123456789abcdef',
        rows: 1234,
        tables: 5,
        at: '2026-01-02T10:05:00.000Z',
        durationMs: 2100,
      });
      const { panel, host, stop } = await idle(1, home);
      const state = panel.posted[0].params as EnvironmentView;
      assert.deepEqual(state.databases, [
        {
          name: 'db',
          source: '127.0.0.1:5433/shop',
          policy: '/nowhere/masking.yaml',
          policyHash: 'c0ffee'.repeat(10) + 'abcd',
          snapshot: 'snap_0123456789abcdef',
          rows: 1234,
          tables: 5,
          at: '2026-01-02T10:05:00.000Z',
          durationMs: 2100,
          inSpec: false,
        },
      ]);
      assert.ok(!JSON.stringify(state).includes('postgres://'), 'no source URL reaches the webview');
      recorded.commands.length = 0;
      panel.send({ type: 'command', method: 'env/reseed', params: { database: 'db' } });
      panel.send({ type: 'command', method: 'env/reseed', params: {} as never });
      await settle();
      stop();
      host.dispose();
      assert.deepEqual(recorded.commands, [
        { id: 'slipway.data.reseed', args: [{ branch: KEY.branch, database: 'db' }] },
      ]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
