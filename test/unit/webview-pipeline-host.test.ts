/**
 * The pipeline view's host class (extension/webviews/pipeline.ts) in plain Node, around a fake
 * panel and a fake pipeline: a gate re-run crosses once per gate result, an unchanged pipeline
 * sends nothing, a stage that already runs the commit is not offered as a promotion, and a Swarm
 * stage carries its rollout.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PipelineView } from '../../webviews/protocol';
import { fake, rollouts } from './fakes/core';
import { EventEmitter, FakePanel, Uri, useFakeVscode } from './fakes/vscode';

const KEY = { project: 'shop', branch: 'feature/checkout' };
const COMMIT = '4b1e9d2c7a0f3e5d6c8b9a1f2e3d4c5b6a7f8e9d';
const GATES = ['health', 'drift', 'syntax'];

async function settle(): Promise<void> {
  for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r));
}

describe('pipeline host: traffic to the webview', function () {
  this.timeout(30_000);
  let PipelinePanel: typeof import('../../extension/webviews/pipeline').PipelinePanel;
  let undo: () => void;
  let home: string;

  before(async () => {
    undo = useFakeVscode();
    ({ PipelinePanel } = await import('../../extension/webviews/pipeline'));
    home = mkdtempSync(join(tmpdir(), 'slipway-pipeline-host-'));
  });
  after(() => {
    undo();
    rmSync(home, { recursive: true, force: true });
  });
  beforeEach(() => {
    fake.stored = [];
    fake.releases = {};
    fake.run = GATES.map((name, i) => ({
      stage: 'staging',
      name,
      kind: name === 'syntax' ? 'command' : name,
      state: 'pass',
      reason: `${name} passed`,
      evidence: { seen: i },
      startedAt: '2026-01-02T10:00:00.000Z',
      durationMs: 10 * (i + 1),
    }));
  });

  function open(swarm = false) {
    const modelChanged = new EventEmitter<void>();
    const engine = {
      home,
      status: async (_p: string, branch: string) => ({
        project: 'shop',
        env: branch.startsWith('stage:') ? 'stage_staging' : 'feature-checkout-7c2e1a',
        branch,
        stack: '',
        status: 'running',
        urls: {},
        services: [],
        commit: branch.startsWith('stage:') ? undefined : COMMIT,
      }),
    };
    const slipway = {
      context: { extensionUri: Uri.file('/ext') },
      log: {
        warn: () => undefined,
        error: () => undefined,
        info: () => undefined,
        debug: () => undefined,
        show: () => undefined,
      },
      model: { items: [], find: () => undefined, onDidChange: modelChanged.event, refresh: async () => undefined },
      engine: async () => engine,
      spec: async () => ({
        name: 'shop',
        dir: home,
        pipeline: {
          stages: [
            { name: 'preview', gates: [] },
            {
              name: 'staging',
              gates: GATES.map((name) => ({ name, kind: name === 'syntax' ? 'command' : name })),
              ...(swarm ? { swarm: { replicas: 1, placement: [], rollout: { order: 'start-first' } } } : {}),
            },
          ],
        },
      }),
    };
    const panel = new FakePanel();
    const host = new PipelinePanel(slipway as never, panel as never, KEY);
    panel.send({ type: 'command', method: 'webview/ready', params: { app: 'pipeline', version: 1 } });
    return { panel, host, modelChanged };
  }

  it('sends the state once, nothing when nothing changed, and a re-run as one start, one message per gate result and one final state', async () => {
    const { panel, host, modelChanged } = open();
    await settle();
    assert.deepEqual(
      panel.posted.map((m) => m.method),
      ['pipeline/state'],
    );
    modelChanged.fire();
    await settle();
    assert.equal(panel.posted.length, 1, 'an unchanged pipeline is not sent again');

    panel.send({ type: 'command', method: 'gates/rerun', params: { stage: 'staging' } });
    await settle();
    const rerun = panel.posted.slice(1);
    console.log(
      `      one re-run of ${GATES.length} gates: ${rerun.length} messages (${rerun.map((m) => m.method).join(', ')})`,
    );
    assert.deepEqual(
      rerun.map((m) => m.method),
      ['gates/running', ...GATES.map(() => 'gates/progress'), 'pipeline/state'],
    );
    assert.deepEqual(rerun[0].params, {
      stage: 'staging',
      gates: GATES,
      startedAt: (rerun[0].params as { startedAt: string }).startedAt,
    });
    const last = rerun.at(-1)!.params as PipelineView;
    assert.deepEqual(
      last.promotions[0].gates.map((g) => [g.name, g.state, g.evidence]),
      GATES.map((name, i) => [name, 'pass', { seen: i }]),
      'the final state brings the stored evidence',
    );
    assert.equal(last.promotions[0].canPromote, true);

    modelChanged.fire();
    await settle();
    assert.equal(panel.posted.length, 1 + rerun.length, 'nothing more after the re-run');
    host.dispose();
  });

  it('does not offer a promotion into a stage that already runs the commit, and says so', async () => {
    fake.stored = fake.run;
    fake.releases.staging = {
      releases: [
        {
          number: 1,
          at: '2026-01-02T11:00:00.000Z',
          by: 'dev@example.com',
          from: { kind: 'branch', name: KEY.branch, env: 'feature-checkout-7c2e1a', commit: COMMIT },
        },
      ],
      current: 1,
    };
    const { panel, host } = open();
    await settle();
    const [state] = panel.posted.map((m) => m.params as PipelineView);
    const promo = state.promotions[0];
    assert.deepEqual(promo.current, { commit: COMMIT, release: 1 });
    assert.equal(promo.canPromote, false);
    assert.equal(promo.blockedReason, 'staging already runs 4b1e9d2 (release 1).');

    // Once the stage runs another commit, promoting is offered again.
    fake.releases.staging.releases[0].from.commit = '0000000000000000000000000000000000000000';
    panel.send({ type: 'command', method: 'webview/ready', params: { app: 'pipeline', version: 1 } });
    await settle();
    const again = panel.posted.at(-1)!.params as PipelineView;
    assert.equal(again.promotions[0].current, undefined);
    assert.equal(again.promotions[0].canPromote, true);
    host.dispose();
  });

  it("shows a Swarm stage's rollout: each service's update state, and an automatic rollback as one", async () => {
    rollouts.staging = [
      {
        service: 'web',
        state: 'rollback_completed',
        message: 'update rolled back due to failure or early termination of task abc',
        startedAt: '2026-01-02T12:00:00.000Z',
        automatic: true,
      },
    ];
    try {
      const { panel, host } = open(true);
      await settle();
      const state = panel.posted.at(-1)!.params as PipelineView;
      assert.deepEqual(state.stages[1].rollout, rollouts.staging);
      assert.equal(state.stages[0].rollout, undefined, 'the preview is no Swarm stage');
      host.dispose();
    } finally {
      delete rollouts.staging;
    }
  });
});
