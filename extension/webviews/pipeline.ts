/**
 * The pipeline view of a branch: its stages left to right, and for each promotion its gates
 * with the stored evidence. The whole state goes on ready and when it changed (nothing when it
 * did not); a re-run sends `gates/running` once, then one `gates/progress` per gate result as
 * it finishes, then one state with the stored evidence.
 */
import { isDeepStrictEqual } from 'node:util';
import * as vscode from 'vscode';
import type { GateResult } from '../../environments/pipeline/gates';
import type { PromotionSource } from '../../environments/pipeline/pipeline';
import type { Spec } from '../../environments/spec/types';
import { EVALUATING, reduce, type PipelineAction } from '../../webviews/pipeline/state';
import {
  notification,
  type CommandMessage,
  type GateView,
  type NotificationMethod,
  type Notifications,
  type PipelineView,
  type PromotionView,
  type StageView,
} from '../../webviews/protocol';
import { envLabel } from '../format';
import { core } from '../lazy';
import type { Slipway } from '../slipway';
import { WebviewHost, type PanelKey } from './host';

export function gateView(r: GateResult): GateView {
  return {
    stage: r.stage,
    name: r.name,
    kind: r.kind,
    state: r.state,
    reason: r.reason,
    evidence: r.evidence,
    startedAt: r.startedAt,
    durationMs: r.durationMs,
  };
}

export class PipelinePanel extends WebviewHost {
  /** Gates being evaluated now, by stage: shown as `running` until their results arrive. */
  private readonly running = new Map<string, Map<string, GateView>>();
  private promoting?: string;
  /** What the webview shows: the last state, with the gate messages since applied (undefined: it needs a full state). */
  private shown?: PipelineView;

  constructor(slipway: Slipway, panel: vscode.WebviewPanel, key: PanelKey) {
    super(slipway, panel, 'pipeline', key);
    this.disposables.push(
      slipway.model.onDidChange(() => this.panel.visible && void this.refresh().catch(() => undefined)),
    );
    void this.watchAudit().catch((err: unknown) =>
      slipway.log.warn(
        `pipeline view: cannot watch the audit log: ${err instanceof Error ? err.message : String(err)}`,
      ),
    );
  }

  /**
   * Every gate run, approval, promotion and rollback appends to the project's audit log, from
   * this window, another one or the CLI (and, with team state in PostgreSQL, from another
   * machine, which the database announces): watching it keeps the view live without polling.
   */
  private async watchAudit(): Promise<void> {
    const engine = await this.slipway.engine();
    if (this.abort.signal.aborted) return; // closed meanwhile
    let timer: ReturnType<typeof setTimeout> | undefined;
    const watch = core().watchItem(
      engine.home,
      `audit/${core().projectSlug(this.key.project)}.jsonl`,
      () => {
        clearTimeout(timer);
        // Re-read once a burst of appends (a promotion writes several entries) has settled.
        timer = setTimeout(() => this.panel.visible && void this.refreshLogged(), 250);
      },
      {
        onError: (err) => this.slipway.log.warn(`pipeline view: audit log not watched: ${err.message.split('\n')[0]}`),
      },
    );
    this.disposables.push({ dispose: () => (clearTimeout(timer), void watch.close()) });
  }

  protected override ready(): Promise<void> {
    this.shown = undefined;
    return this.refresh();
  }

  /** Posts the whole state when it differs from what the webview shows; nothing otherwise. */
  protected async refresh(): Promise<void> {
    const next = JSON.parse(JSON.stringify(await this.view())) as PipelineView;
    if (this.shown && isDeepStrictEqual(this.shown, next)) return;
    this.shown = next;
    this.post('pipeline/state', next);
  }

  /** Posts a gate message, and applies it to what the webview shows, as its reducer does. */
  private postGates<M extends Extract<NotificationMethod, 'gates/running' | 'gates/progress'>>(
    method: M,
    params: Notifications[M],
  ): void {
    const message = notification(method, params);
    if (this.shown)
      this.shown = reduce(
        { pipeline: this.shown, announcement: '' },
        JSON.parse(JSON.stringify(message)) as PipelineAction,
      ).pipeline;
    this.post(method, params);
  }

  /** The promotion source of a stage's gates: the branch for the second stage, else the stage before. */
  private source(spec: Spec, to: string): PromotionSource {
    const stages = spec.pipeline?.stages ?? [];
    const i = stages.findIndex((s) => s.name === to);
    return i <= 1 ? { branch: this.key.branch } : { stage: stages[i - 1].name };
  }

  async view(): Promise<PipelineView> {
    const spec = await this.slipway.spec();
    const engine = await this.slipway.engine();
    const pipeline = new (core().LocalPipeline)(engine);
    const { readReleases, projectSlug, stageBranch } = core();
    const project = projectSlug(spec.name);
    const stageSpecs = spec.pipeline?.stages ?? [];
    const branchStatus = await engine.status(spec.name, this.key.branch);
    const stages: StageView[] = [];
    for (const [i, st] of stageSpecs.entries()) {
      if (i === 0) {
        stages.push({
          name: st.name,
          env: branchStatus.env,
          status: this.slipway.model.find(this.key.branch)?.state ?? branchStatus.status,
        });
        continue;
      }
      const releases = readReleases(engine.home, project, st.name);
      const current = releases.releases.find((r) => r.number === releases.current);
      const status = await engine.status(spec.name, stageBranch(st.name), st.dockerHost).catch(() => undefined);
      stages.push({
        name: st.name,
        env: status?.env,
        status: status?.status,
        release: current && {
          number: current.number,
          commit: current.from.commit,
          at: current.at,
          by: current.by,
          source: envLabel(current.from.kind === 'stage' ? `stage:${current.from.name}` : current.from.name),
          data: core().describeProfile(current.seed),
        },
        ...(st.swarm
          ? {
              rollout: await core()
                .stageRollouts(project, st, engine.home)
                .catch(() => undefined),
            }
          : {}),
      });
    }
    const promotions: PromotionView[] = [];
    for (let i = 1; i < stageSpecs.length; i++) {
      const to = stageSpecs[i].name;
      const from = this.source(spec, to);
      let stored: GateResult[] = [];
      let blockedReason: string | undefined;
      try {
        stored = pipeline.storedGates(spec, from, to);
      } catch (err) {
        blockedReason = err instanceof Error ? err.message : String(err);
      }
      const live = this.running.get(to);
      const gates = stageSpecs[i].gates.map((g): GateView => {
        const running = live?.get(g.name);
        if (running) return running;
        const result = stored.find((x) => x.name === g.name);
        if (result) return gateView(result);
        return {
          stage: to,
          name: g.name,
          kind: g.kind,
          state: 'pending',
          reason: blockedReason ? 'Not run: nothing to promote yet.' : 'Not run yet for this commit.',
          evidence: {},
        };
      });
      const busy = this.promoting === to || live !== undefined;
      // The commit this promotion would bring, against what `to` runs now.
      const bring = i === 1 ? branchStatus.commit : stages[i - 1].release?.commit;
      const release = stages[i].release;
      const current = bring && release?.commit === bring ? { commit: bring, release: release.number } : undefined;
      promotions.push({
        from: stageSpecs[i - 1].name,
        to,
        ...(current ? { current } : {}),
        gates,
        canPromote: !blockedReason && !busy && !current,
        blockedReason:
          blockedReason ??
          (busy
            ? this.promoting === to
              ? `A promotion to ${to} is running.`
              : EVALUATING
            : current
              ? `${to} already runs ${current.commit.slice(0, 7)} (release ${current.release}).`
              : undefined),
        promoting: this.promoting === to,
      });
    }
    return {
      project: spec.name,
      env: branchStatus.env,
      branch: this.key.branch,
      commit: branchStatus.commit,
      stages,
      promotions,
    };
  }

  /** Evaluates a stage's gates again; each result is posted as it finishes. */
  private async rerun(stage: string, only?: string): Promise<void> {
    const spec = await this.slipway.spec();
    const engine = await this.slipway.engine();
    const pipeline = new (core().LocalPipeline)(engine);
    const declared = spec.pipeline?.stages.find((s) => s.name === stage)?.gates ?? [];
    const live = new Map<string, GateView>();
    const startedAt = new Date().toISOString();
    for (const g of declared) {
      if (!only || g.name === only)
        live.set(g.name, {
          stage,
          name: g.name,
          kind: g.kind,
          state: 'running',
          reason: 'Evaluating…',
          evidence: {},
          startedAt,
        });
    }
    this.running.set(stage, live);
    this.postGates('gates/running', { stage, gates: [...live.keys()], startedAt });
    const actor = await core().currentActor(spec.dir);
    try {
      // Gates run together and are stored together, so one re-run evaluates the whole stage.
      await pipeline.gates(spec, this.source(spec, stage), stage, {
        actor,
        signal: this.abort.signal,
        onEvent: (e) => {
          if (e.type !== 'gate' || e.stage !== stage) return;
          const gate: GateView = {
            stage,
            name: e.name,
            kind: e.kind,
            state: e.state,
            reason: e.reason,
            evidence: {},
            startedAt,
            durationMs: e.durationMs,
          };
          live.set(e.name, gate);
          this.postGates('gates/progress', { gate });
        },
      });
    } finally {
      // Each result crossed as it finished; the stored evidence comes with the one state that follows.
      this.running.delete(stage);
      await this.refresh();
    }
  }

  protected async command(m: CommandMessage): Promise<void> {
    switch (m.method) {
      case 'gates/rerun':
        await this.rerun(m.params.stage, m.params.gate);
        return;
      case 'gates/approve': {
        const spec = await this.slipway.spec();
        const engine = await this.slipway.engine();
        const actor = await core().currentActor(spec.dir);
        await new (core().LocalPipeline)(engine).approve(spec, this.source(spec, m.params.stage), m.params.stage, {
          actor,
        });
        void vscode.window.showInformationMessage(`Approved promotion to ${m.params.stage} as ${actor}.`);
        await this.rerun(m.params.stage);
        return;
      }
      case 'pipeline/promote': {
        const spec = await this.slipway.spec();
        const from = this.source(spec, m.params.to);
        this.promoting = m.params.to;
        await this.refresh();
        // A Swarm stage's rollout shows its progress while it rolls (a state goes only when it changed).
        const swarm = spec.pipeline?.stages.find((s) => s.name === m.params.to)?.swarm;
        const poll = swarm ? setInterval(() => this.panel.visible && void this.refreshLogged(), 2000) : undefined;
        try {
          await vscode.commands.executeCommand(
            'slipway.env.promote',
            'branch' in from ? from.branch : `stage:${from.stage}`,
            m.params.to,
          );
        } finally {
          if (poll) clearInterval(poll);
          this.promoting = undefined;
          await this.refresh();
        }
        return;
      }
      default:
        return;
    }
  }
}
