/** The pipeline view's models: stages, promotions and the gates that guard them. */
import type { EnvironmentStatus } from './dashboard';

/**
 * - `pass` / `fail` / `pending` / `skipped`: the core's `GateState`;
 * - `running`: being evaluated now (live, before its result arrives);
 * - `error`: the host could not evaluate it at all (the reason says why).
 */
export type GateState = 'pass' | 'fail' | 'pending' | 'running' | 'error' | 'skipped';

export interface ApproverView {
  approver: string;
  /** ISO time. */
  at: string;
  comment?: string;
}

/**
 * What a gate saw: the core's `GateResult.evidence`, passed through as is. The keys below are
 * shown specially; any other key is shown as a name/value row (values as text).
 */
export interface GateEvidence {
  /** command, vulnerabilities: the last lines of output. */
  outputTail?: string;
  /** vulnerabilities: findings per severity. */
  counts?: Record<string, number>;
  /** approval: who approved (the author's own approval is in `ignored`). */
  approvers?: ApproverView[];
  required?: number;
  /** window: the zone, the local time seen, the allowed ranges, a freeze, the next opening. */
  timezone?: string;
  localTime?: string;
  allow?: string[];
  freeze?: { from: string; to: string; reason?: string };
  nextOpening?: { at: string; local: string };
  [key: string]: unknown;
}

export interface GateView {
  /** The stage the gate guards (promotion into it). */
  stage: string;
  name: string;
  /** `health`, `drift`, `command`, `vulnerabilities`, `licenses`, `coverage`, `approval`, `window`, `checks`. */
  kind: string;
  state: GateState;
  /** One sentence: why this state. */
  reason: string;
  evidence: GateEvidence;
  /** ISO time the last run started (absent: never run). */
  startedAt?: string;
  durationMs?: number;
}

/** How the last rolling update of one Swarm service of a stage went (Swarm's UpdateStatus). */
export interface RolloutView {
  service: string;
  /** `updating`, `completed`, `paused`, `rollback_started`, `rollback_completed`, `rollback_paused`. */
  state: string;
  /** Swarm's own words ("update completed", "update rolled back due to failure ..."). */
  message?: string;
  /** ISO times. */
  startedAt?: string;
  completedAt?: string;
  /** Swarm rolled the update back by itself (its new tasks failed their health check). */
  automatic: boolean;
}

export interface StageView {
  name: string;
  /** The environment it runs in (`stage_<name>`; the branch's environment for `preview`). */
  env?: string;
  status?: EnvironmentStatus;
  /** What it runs now. */
  release?: {
    number: number;
    commit?: string;
    at: string;
    by?: string;
    source?: string;
    /** Its data profile in a line: the masking policy (sha256) of each seeded database, and whether the stage was seeded with it. */
    data?: string;
  };
  /** On a Swarm stage: each service's last rolling update, in progress or ended, and any automatic rollback. */
  rollout?: RolloutView[];
}

/** Promotion from one stage into the next, guarded by the target stage's gates. */
export interface PromotionView {
  from: string;
  to: string;
  /** `to` already runs the commit this promotion would bring (its current release): nothing to promote. */
  current?: { commit: string; release: number };
  gates: GateView[];
  /**
   * Whether the host allows this promotion apart from its gates (the source runs, no other
   * promotion into `to` is under way). The view enables Promote only when this is true and every
   * gate's state is `pass`, so live `gates/progress` updates enable and disable it.
   */
  canPromote: boolean;
  /** Why `canPromote` is false, in one sentence. */
  blockedReason?: string;
  /** A promotion into `to` is running now. */
  promoting?: boolean;
}

export interface PipelineView {
  project: string;
  /** The source branch's environment. */
  env: string;
  branch: string;
  commit?: string;
  /** In promotion order: `preview`, then e.g. `staging`, `production`. */
  stages: StageView[];
  /** One per adjacent pair of stages, in order. */
  promotions: PromotionView[];
}
