/**
 * The release pipeline: preview -> staging -> production. A promotion runs the target stage's
 * gates against the source (a branch environment or the stage before), refuses while any gate
 * does not pass, and otherwise deploys to the target stage's own stack exactly what the source
 * ran: the same image ids (sha256 content digests), the same resolved services, databases,
 * data and mock profile; nothing is rebuilt. Every gate run, promotion, refusal, approval and
 * rollback is appended to the project's audit log.
 */
import { join } from 'node:path';
import type { LocalEnvironments } from '../engine';
import { assertDockerReachable, connectDocker, describeDockerHost } from '../docker/engine';
import { commitAuthor } from '../git';
import { acquireLock } from '../lock';
import { SlipwayError } from '../errors';
import type { OperationOptions } from '../events';
import { envNames, projectSlug, stageBranch } from '../naming';
import { readRecord } from '../records';
import type { Spec, StageSpec } from '../spec/types';
import { nextStage } from '../spec/pipeline';
import { appendAudit, intactAudit, readAudit, verifyAudit, type AuditEntry, type AuditVerification } from './audit';
import {
  WORKER_STOP_GRACE_MS,
  evaluateGates,
  loadGateResults,
  saveGateResults,
  type GateContext,
  type GateResult,
} from './gates';
import { pinServices, readReleases, writeReleases, type Release } from './releases';
import { inSourceCheckout } from './checkout';
import { approvalContext, governedStage, promotionFacts, refuseDirty, rollbackWindows } from './governance';
import { approvePromotion } from './approve';

export type PromotionSource = { branch: string } | { stage: string };

export interface PipelineOptions {
  /** Who acts (git user email, CI identity, or --as). */
  actor: string;
  /** Injected clock, for window gates in tests. */
  now?: () => Date;
  /** HTTP client for remote checks (tests point it at a local server). */
  fetch?: typeof fetch;
  env?: Record<string, string | undefined>;
  /** Timeout of each gate other than `command` (which has its own); default 60 s. */
  gateTimeoutMs?: number;
}

export interface PromoteResult {
  stage: string;
  release: number;
  images: Record<string, string>;
  urls: Record<string, string>;
  gates: GateResult[];
}

interface ResolvedSource {
  kind: 'branch' | 'stage';
  name: string;
  /** The engine branch key: a git branch, or `stage:<name>`. */
  branch: string;
  env: string;
  commit?: string;
  images: Record<string, string>;
  services: Spec['services'];
  databases: Spec['databases'];
  data?: unknown;
  mocks?: unknown;
}

export class LocalPipeline {
  constructor(private readonly envs: LocalEnvironments) {}

  private stages(spec: Spec): StageSpec[] {
    const stages = spec.pipeline?.stages;
    if (!stages || stages.length < 2) {
      throw new SlipwayError('pipeline-invalid', `${spec.file} declares no pipeline stages to promote to.`, {
        hint: 'Add `pipeline: { stages: [preview, { name: staging, gates: [...] }] }` to the spec.',
      });
    }
    return stages;
  }

  private stage(spec: Spec, name: string): { stage: StageSpec; index: number } {
    const stages = this.stages(spec);
    const index = stages.findIndex((s) => s.name === name);
    if (index < 0) {
      throw new SlipwayError(
        'pipeline-invalid',
        `Stage "${name}" is not in the pipeline of ${spec.file} (stages: ${stages.map((s) => s.name).join(', ')}).`,
      );
    }
    return { stage: stages[index], index };
  }

  /** What the source runs now: a branch environment's last successful up, or a stage's current release. */
  private resolveSource(spec: Spec, from: PromotionSource): ResolvedSource {
    if ('branch' in from) {
      const names = envNames(spec.name, from.branch, this.envs.stateId);
      const record = readRecord(this.envs.home, names.project, names.env);
      if (!record?.applied || !record.ran || record.lastOperation.status !== 'succeeded') {
        throw new SlipwayError('release-not-found', `Branch "${from.branch}" has no running environment to promote.`, {
          hint: 'Run `slipway up` for it first.',
        });
      }
      if (record.applied.fingerprint === 'partial') {
        // A per-resource reapply applied part of the spec: what runs is neither the last up nor the spec.
        throw new SlipwayError(
          'pipeline-invalid',
          `Branch "${from.branch}" runs a partly applied spec (a reapply of one resource), so there is no one release to promote.`,
          {
            hint: 'Bring it up to date first (`slipway up`, or Preview in the editor), then promote.',
          },
        );
      }
      return {
        kind: 'branch',
        name: from.branch,
        branch: from.branch,
        env: names.env,
        commit: record.applied.commit,
        images: record.applied.images,
        ...record.ran,
      };
    }
    const releases = readReleases(this.envs.home, projectSlug(spec.name), from.stage);
    const current = releases.releases.find((r) => r.number === releases.current);
    if (!current)
      throw new SlipwayError('release-not-found', `Stage "${from.stage}" runs no release yet.`, {
        hint: `Promote to ${from.stage} first.`,
      });
    return {
      kind: 'stage',
      name: from.stage,
      branch: stageBranch(from.stage),
      env: envNames(spec.name, stageBranch(from.stage)).env,
      commit: current.from.commit,
      images: current.images,
      services: current.services,
      databases: current.databases,
      data: current.data,
      mocks: current.mocks,
    };
  }

  private gateContext(
    spec: Spec,
    source: ResolvedSource,
    sourceStage: StageSpec,
    author: string,
    opts: PipelineOptions,
    signal?: AbortSignal,
  ): GateContext {
    const sourceSpec: Spec = { ...spec, services: source.services, databases: source.databases };
    return {
      project: projectSlug(spec.name),
      env: source.env,
      branch: source.branch,
      commit: source.commit ?? 'unknown',
      author,
      specDir: spec.dir,
      home: this.envs.home,
      now: opts.now ?? (() => new Date()),
      signal,
      processEnv: opts.env ?? process.env,
      fetch: opts.fetch ?? fetch,
      health: async (gateSignal) => {
        gateSignal?.throwIfAborted();
        const s = await this.envs.status(spec.name, source.branch, sourceStage.dockerHost);
        return {
          ok: s.status === 'running',
          services: s.services.map((x) => ({ service: x.service, state: x.state, health: x.health })),
        };
      },
      // The gate run's own signal (its timeout, or the run's cancel) stops the worker it starts.
      drift: async (gateSignal) => {
        const report = await this.envs.drift(sourceSpec, source.branch, {
          signal: gateSignal ?? signal,
          dockerHost: sourceStage.dockerHost,
          stopGraceMs: WORKER_STOP_GRACE_MS,
        });
        return {
          drifted: report.drifted,
          count: report.items.length,
          summary: report.items.map(
            (i) => `${i.resource} ${i.property}: declared ${i.declared}, actual ${i.actual} (${i.source})`,
          ),
        };
      },
    };
  }

  private checkOrder(spec: Spec, source: ResolvedSource, to: string): { target: StageSpec; sourceStage: StageSpec } {
    const stages = this.stages(spec);
    const { stage: target } = this.stage(spec, to);
    const fromIndex = source.kind === 'branch' ? 0 : this.stage(spec, source.name).index;
    if (
      nextStage(
        stages.map((s) => s.name),
        source.kind === 'branch' ? undefined : source.name,
      ) !== to
    ) {
      throw new SlipwayError(
        'pipeline-invalid',
        `Cannot promote from ${source.kind === 'branch' ? `branch "${source.name}" (stage ${stages[0].name})` : `stage ${source.name}`} to ${to}: promotions go one stage at a time (${stages.map((s) => s.name).join(' -> ')}).`,
      );
    }
    return { target, sourceStage: stages[fromIndex] };
  }

  /** Runs the target stage's gates against the source, stores and audits the results. */
  async gates(
    spec: Spec,
    from: PromotionSource,
    to: string,
    opts: PipelineOptions & OperationOptions,
  ): Promise<GateResult[]> {
    const source = this.resolveSource(spec, from);
    const { target, sourceStage } = this.checkOrder(spec, source, to);
    return this.runGates(spec, source, target, sourceStage, opts);
  }

  /** The gate results last stored for the source's commit: the evidence a reviewer sees. */
  storedGates(spec: Spec, from: PromotionSource, to: string): GateResult[] {
    const source = this.resolveSource(spec, from);
    this.checkOrder(spec, source, to);
    return loadGateResults(this.envs.home, projectSlug(spec.name), source.env, source.commit ?? 'unknown').filter(
      (r) => r.stage === to,
    );
  }

  private async runGates(
    spec: Spec,
    source: ResolvedSource,
    working: StageSpec,
    sourceStage: StageSpec,
    opts: PipelineOptions & OperationOptions,
  ): Promise<GateResult[]> {
    refuseDirty(source);
    const project = projectSlug(spec.name);
    // The gates come from the protected ref's spec, not the working tree's.
    const { rules, target } = await governedStage(spec, working.name);
    // The change's author (who may not approve it): the commit's author, else whoever acts.
    const author = (source.commit && (await commitAuthor(spec.dir, source.commit))) || opts.actor;
    const ctx = this.gateContext(spec, source, sourceStage, author, opts, opts.signal);
    ctx.approvals = approvalContext(rules, promotionFacts(project, target.name, source));
    // Where the results go must be readable first: a damaged file is refused, never overwritten.
    intactAudit(this.envs.home, project);
    loadGateResults(this.envs.home, project, source.env, ctx.commit);
    ctx.secrets = await this.envs.environmentSecrets(spec.name, source.branch, sourceStage.dockerHost);
    const results = await inSourceCheckout(rules.root, source.commit, target, ctx, (stage, checkout) =>
      evaluateGates(stage, checkout, {
        defaultTimeoutMs: opts.gateTimeoutMs,
        onResult: (r) =>
          opts.onEvent?.({
            type: 'gate',
            stage: r.stage,
            name: r.name,
            kind: r.kind,
            state: r.state,
            reason: r.reason,
            durationMs: r.durationMs,
          }),
      }),
    );
    saveGateResults(this.envs.home, project, source.env, ctx.commit, results);
    await appendAudit(this.envs.home, project, {
      at: ctx.now().toISOString(),
      actor: opts.actor,
      action: 'gates',
      stage: target.name,
      from: { kind: source.kind, name: source.name, env: source.env, commit: source.commit },
      gates: results.map(({ name, kind, state, reason }) => ({ name, kind, state, reason })),
      note: `rules from ${rules.source}`,
    });
    return results;
  }

  async promote(
    spec: Spec,
    from: PromotionSource,
    to: string,
    opts: PipelineOptions & OperationOptions,
  ): Promise<PromoteResult> {
    const project = projectSlug(spec.name);
    const source = this.resolveSource(spec, from);
    const { target, sourceStage } = this.checkOrder(spec, source, to);
    const results = await this.runGates(spec, source, target, sourceStage, opts);
    const blocking = results.filter((r) => r.state !== 'pass');
    const now = (opts.now ?? (() => new Date()))().toISOString();
    const fromRef = { kind: source.kind, name: source.name, env: source.env, commit: source.commit };
    if (blocking.length > 0) {
      await appendAudit(this.envs.home, project, {
        at: now,
        actor: opts.actor,
        action: 'promote-refused',
        stage: to,
        from: fromRef,
        gates: blocking.map(({ name, kind, state, reason }) => ({ name, kind, state, reason })),
      });
      const lines = blocking.map(
        (r) => `  ${r.state === 'pending' ? '…' : '✗'} ${r.name} (${r.kind}) ${r.state}: ${r.reason}`,
      );
      throw new SlipwayError(
        'gates-failed',
        `Not promoting ${source.kind} "${source.name}" to ${to}: ${blocking.length} of ${results.length} gate(s) do not pass:\n${lines.join('\n')}`,
        {
          hint: 'Fix what the gates report (or collect the approvals), then promote again; `slipway gates` re-runs them.',
        },
      );
    }
    return this.withStageLock(project, to, opts, async () => {
      const history = readReleases(this.envs.home, project, to);
      const release: Release = {
        number: (history.releases[history.releases.length - 1]?.number ?? 0) + 1,
        at: now,
        by: opts.actor,
        from: fromRef,
        images: source.images,
        services: pinServices(source.services, source.images),
        databases: source.databases,
        data: source.data,
        mocks: source.mocks,
      };
      const up = await this.deployAudited(spec, target, release, fromRef, opts);
      writeReleases(this.envs.home, { ...history, releases: [...history.releases, release], current: release.number });
      await appendAudit(this.envs.home, project, {
        at: now,
        actor: opts.actor,
        action: 'promote',
        stage: to,
        from: fromRef,
        release: release.number,
        images: release.images,
        gates: results.map(({ name, kind, state, reason }) => ({ name, kind, state, reason })),
      });
      return { stage: to, release: release.number, images: release.images, urls: up.urls, gates: results };
    });
  }

  /** Promotions and rollbacks of one stage, one at a time: read releases, deploy, write. */
  private async withStageLock<T>(
    project: string,
    stage: string,
    opts: OperationOptions,
    fn: () => Promise<T>,
  ): Promise<T> {
    const lock = await acquireLock(
      join(this.envs.home, 'locks', project, `releases-${stage}.lock`),
      `the releases of stage ${stage}`,
      {
        timeoutMs: 30 * 60_000,
        signal: opts.signal,
        onWait: (pid) =>
          opts.onEvent?.({
            type: 'step',
            message: `waiting for another promotion or rollback of ${stage} (pid ${pid})`,
          }),
      },
    );
    try {
      return await fn();
    } finally {
      lock.release();
    }
  }

  /** Deploys a release; a failed deploy is audited too (the stage may run part of it). */
  private async deployAudited(
    spec: Spec,
    stage: StageSpec,
    release: Release,
    from: Release['from'],
    opts: PipelineOptions & OperationOptions,
  ) {
    try {
      return await this.deploy(spec, stage, release, opts);
    } catch (err) {
      await appendAudit(this.envs.home, projectSlug(spec.name), {
        at: new Date().toISOString(),
        actor: opts.actor,
        action: 'promote-failed',
        stage: stage.name,
        from,
        release: release.number,
        images: release.images,
        note: `${release.rollbackOf ? 'rollback' : 'promotion'} failed: ${(err as Error).message.split('\n')[0]}; run it again once fixed`,
      });
      throw err;
    }
  }

  /** Returns a stage to the release before the one it runs now. */
  async rollback(
    spec: Spec,
    stageName: string,
    opts: PipelineOptions & OperationOptions & { emergency?: boolean },
  ): Promise<PromoteResult> {
    const project = projectSlug(spec.name);
    const { stage } = this.stage(spec, stageName);
    return this.withStageLock(project, stageName, opts, async () => {
      const history = readReleases(this.envs.home, project, stageName);
      intactAudit(this.envs.home, project); // a rollback that cannot be audited is not deployed
      const closed = await rollbackWindows(spec, stageName, opts.now ?? (() => new Date()), !!opts.emergency);
      const idx = history.releases.findIndex((r) => r.number === history.current);
      const current = history.releases[idx];
      const previous = idx > 0 ? this.rollbackTarget(history.releases, idx) : undefined;
      if (!current || !previous) {
        throw new SlipwayError('release-not-found', `Stage ${stageName} has no earlier release to roll back to.`, {
          hint: 'See `slipway history --stage ' + stageName + '`.',
        });
      }
      const release: Release = {
        ...previous,
        number: history.releases[history.releases.length - 1].number + 1,
        at: (opts.now ?? (() => new Date()))().toISOString(),
        by: opts.actor,
        // A rollback to a rollback restores the release that one restored.
        rollbackOf: previous.rollbackOf ?? previous.number,
      };
      const up = await this.deployAudited(spec, stage, release, release.from, opts);
      writeReleases(this.envs.home, { ...history, releases: [...history.releases, release], current: release.number });
      await appendAudit(this.envs.home, project, {
        at: release.at,
        actor: opts.actor,
        action: closed.length ? 'rollback-emergency' : 'rollback',
        stage: stageName,
        from: release.from,
        release: release.number,
        images: release.images,
        note: `rolled back from release ${current.number} to release ${previous.number}${closed.length ? `, in an emergency outside the window (${closed.join('; ')})` : ''}`,
      });
      return { stage: stageName, release: release.number, images: release.images, urls: up.urls, gates: [] };
    });
  }

  /** The release the one at `idx` replaced (following rollbacks back to what they restored). */
  private rollbackTarget(releases: Release[], idx: number): Release | undefined {
    const current = releases[idx];
    const origin = current.rollbackOf ?? current.number;
    const earlier = releases.filter((r) => (r.rollbackOf ?? r.number) < origin);
    return earlier[earlier.length - 1];
  }

  private async deploy(spec: Spec, stage: StageSpec, release: Release, opts: OperationOptions) {
    // Each release tags the images it pins, so a branch teardown or an image prune never takes
    // away what a rollback needs.
    const endpoint = stage.dockerHost ?? this.envs.dockerHost;
    const docker = connectDocker(endpoint);
    await assertDockerReachable(docker, endpoint);
    const project = projectSlug(spec.name);
    for (const [service, id] of Object.entries(release.images)) {
      const tag = `slipway/${project}-${service}:stage_${stage.name}-r${release.number}`;
      try {
        await docker
          .getImage(id)
          .tag({ repo: `slipway/${project}-${service}`, tag: `stage_${stage.name}-r${release.number}` });
      } catch (err) {
        const said = (err as { json?: { message?: string } }).json?.message ?? (err as Error).message;
        throw new SlipwayError(
          'operation-failed',
          `Could not tag ${service}'s image ${id} as ${tag} on ${describeDockerHost(endpoint)}: ${said}`,
          {
            hint: stage.dockerHost
              ? `Stage ${stage.name} runs on its own engine, and Slipway does not copy images there: load the release's images onto it, then promote again.`
              : 'The image may have been removed (docker image rm or prune) since the preview ran: bring the preview up again, then promote again.',
            cause: err,
          },
        );
      }
    }
    const stageSpec: Spec = {
      ...spec,
      services: release.services,
      databases: release.databases,
      data: release.data,
      mocks: release.mocks as Spec['mocks'],
    };
    return this.envs.up(stageSpec, stageBranch(stage.name), {
      ...opts,
      dockerHost: stage.dockerHost,
      viaPipeline: true,
    });
  }

  /** Signs and records an approval of promoting what the source runs now into `to`. */
  async approve(
    spec: Spec,
    from: PromotionSource,
    to: string,
    opts: PipelineOptions & { comment?: string; key?: string },
  ): Promise<{ approvers: string[] }> {
    const source = this.resolveSource(spec, from);
    this.checkOrder(spec, source, to);
    refuseDirty(source);
    return approvePromotion(this.envs.home, projectSlug(spec.name), to, source, { ...opts, dir: spec.dir });
  }

  history(spec: Spec, stage?: string): { entries: AuditEntry[]; verification: AuditVerification } {
    const project = projectSlug(spec.name);
    const entries = readAudit(this.envs.home, project).filter((e) => !stage || e.stage === stage);
    return { entries, verification: verifyAudit(this.envs.home, project) };
  }
}
