/**
 * The release pipeline: preview -> staging -> production. A promotion runs the target stage's
 * gates against the source (a branch environment or the stage before), refuses while any gate
 * does not pass, and otherwise deploys to the target stage's own stack exactly what the source
 * ran: the same image ids (sha256 content digests), the same resolved services, databases,
 * data and mock profile; nothing is rebuilt. Every gate run, promotion, refusal, approval and
 * rollback is appended to the project's audit log.
 */
import type { LocalEnvironments } from '../engine';
import { commitAuthor } from '../git';
import { SlipwayError } from '../errors';
import type { OperationOptions } from '../events';
import { projectSlug } from '../naming';
import type { Spec, StageSpec } from '../spec/types';
import { appendAudit, intactAudit, readAudit, verifyAudit, type AuditEntry, type AuditVerification } from './audit';
import { evaluateGates, loadGateResults, saveGateResults, type GateResult } from './gates';
import { pinServices, readReleases, writeReleases, type Release } from './releases';
import { inSourceCheckout } from './checkout';
import { approvalContext, governedStage, promotionFacts, refuseDirty } from './governance';
import { approvePromotion } from './approve';
import {
  checkOrder,
  gateContext,
  resolveSource,
  type PipelineOptions,
  type PromotionSource,
  type ResolvedSource,
} from './source';
import { deployAudited, rollbackStage, withStageLock, type PromoteResult } from './deploy';
import { stageWithRegistry } from './registry-policy';
import { describeProfile, promotionProfile, seedStageAudited } from './data-profile';

export type { PipelineOptions, PromotionSource } from './source';
export type { PromoteResult } from './deploy';

export class LocalPipeline {
  constructor(private readonly envs: LocalEnvironments) {}

  /** Runs the target stage's gates against the source, stores and audits the results. */
  async gates(
    spec: Spec,
    from: PromotionSource,
    to: string,
    opts: PipelineOptions & OperationOptions,
  ): Promise<GateResult[]> {
    const source = resolveSource(this.envs, spec, from);
    const { target, sourceStage } = checkOrder(spec, source, to);
    return this.runGates(spec, source, target, sourceStage, opts);
  }

  /** The gate results last stored for the source's commit: the evidence a reviewer sees. */
  storedGates(spec: Spec, from: PromotionSource, to: string): GateResult[] {
    const source = resolveSource(this.envs, spec, from);
    checkOrder(spec, source, to);
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
    const ctx = gateContext(this.envs, spec, source, sourceStage, author, opts, opts.signal);
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
    const source = resolveSource(this.envs, spec, from);
    const order = checkOrder(spec, source, to);
    const sourceStage = order.sourceStage;
    // The registry a team policy sets or requires, checked before anything runs.
    const target = stageWithRegistry(this.envs.home, spec, order.target);
    // A stage seeded like its source (seed: same) is refused here when that cannot be done.
    const profile = await promotionProfile(this.envs, spec, source, target, source.seed, opts.signal);
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
    return withStageLock(this.envs, project, to, opts, async () => {
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
        seed: profile,
      };
      const up = await deployAudited(this.envs, spec, target, release, fromRef, opts);
      await seedStageAudited(this.envs, spec, target, release, opts);
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
        ...(describeProfile(profile) ? { note: describeProfile(profile) } : {}),
      });
      return { stage: to, release: release.number, images: release.images, urls: up.urls, gates: results };
    });
  }

  /** Returns a stage to the release before the one it runs now. */
  async rollback(
    spec: Spec,
    stageName: string,
    opts: PipelineOptions & OperationOptions & { emergency?: boolean },
  ): Promise<PromoteResult> {
    return rollbackStage(this.envs, spec, stageName, opts);
  }

  /** Signs and records an approval of promoting what the source runs now into `to`. */
  async approve(
    spec: Spec,
    from: PromotionSource,
    to: string,
    opts: PipelineOptions & { comment?: string; key?: string },
  ): Promise<{ approvers: string[] }> {
    const source = resolveSource(this.envs, spec, from);
    checkOrder(spec, source, to);
    refuseDirty(source);
    return approvePromotion(this.envs.home, projectSlug(spec.name), to, source, { ...opts, dir: spec.dir });
  }

  history(spec: Spec, stage?: string): { entries: AuditEntry[]; verification: AuditVerification } {
    const project = projectSlug(spec.name);
    const entries = readAudit(this.envs.home, project).filter((e) => !stage || e.stage === stage);
    return { entries, verification: verifyAudit(this.envs.home, project) };
  }
}
