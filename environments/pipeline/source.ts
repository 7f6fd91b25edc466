// Where a promotion starts: stage lookup, the source's resolved release, the promotion order check and the gate context.
import type { LocalEnvironments } from '../engine';
import { SlipwayError } from '../errors';
import { envNames, projectSlug, stageBranch } from '../naming';
import { readRecord } from '../records';
import type { Spec, StageSpec } from '../spec/types';
import { nextStage } from '../spec/pipeline';
import { WORKER_STOP_GRACE_MS, type GateContext } from './gates';
import { readReleases, type Release } from './releases';

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

export interface ResolvedSource {
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
  /** A stage's current release: the data profile it carries on. */
  seed?: Release['seed'];
}

export function pipelineStages(spec: Spec): StageSpec[] {
  const stages = spec.pipeline?.stages;
  if (!stages || stages.length < 2) {
    throw new SlipwayError('pipeline-invalid', `${spec.file} declares no pipeline stages to promote to.`, {
      hint: 'Add `pipeline: { stages: [preview, { name: staging, gates: [...] }] }` to the spec.',
    });
  }
  return stages;
}

export function pipelineStage(spec: Spec, name: string): { stage: StageSpec; index: number } {
  const stages = pipelineStages(spec);
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
export function resolveSource(envs: LocalEnvironments, spec: Spec, from: PromotionSource): ResolvedSource {
  if ('branch' in from) {
    const names = envNames(spec.name, from.branch, envs.stateId);
    const record = readRecord(envs.home, names.project, names.env);
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
  const releases = readReleases(envs.home, projectSlug(spec.name), from.stage);
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
    seed: current.seed,
  };
}

export function gateContext(
  envs: LocalEnvironments,
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
    home: envs.home,
    now: opts.now ?? (() => new Date()),
    signal,
    processEnv: opts.env ?? process.env,
    fetch: opts.fetch ?? fetch,
    health: async (gateSignal) => {
      gateSignal?.throwIfAborted();
      const s = await envs.status(spec.name, source.branch, sourceStage.dockerHost);
      return {
        ok: s.status === 'running',
        services: s.services.map((x) => ({ service: x.service, state: x.state, health: x.health })),
      };
    },
    // The gate run's own signal (its timeout, or the run's cancel) stops the worker it starts.
    drift: async (gateSignal) => {
      const report = await envs.drift(sourceSpec, source.branch, {
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

export function checkOrder(
  spec: Spec,
  source: ResolvedSource,
  to: string,
): { target: StageSpec; sourceStage: StageSpec } {
  const stages = pipelineStages(spec);
  const { stage: target } = pipelineStage(spec, to);
  const fromIndex = source.kind === 'branch' ? 0 : pipelineStage(spec, source.name).index;
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
