/** What makes a promotion's judgement hold against a user who edits files: protected gate rules, a clean source, signed approvals. */
import type { Spec, StageSpec } from '../spec/types';
import { SlipwayError } from '../errors';
import { DIRTY_SUFFIX } from '../git';
import type { ApprovalContext, GateContext } from './gates/types';
import { windowGate } from './gates/window';
import { protectedRules, rangeIdentities, type ProtectedRules } from './protected';
import { approvalStatement, specHash, type PromotionFacts } from './statement';

/** What a promotion source runs, as far as governance needs it. */
export interface GovernedSource {
  kind: 'branch' | 'stage';
  name: string;
  commit?: string;
  images: Record<string, string>;
  services: unknown;
  databases: unknown;
  data?: unknown;
  mocks?: unknown;
}

/** A source built from uncommitted changes cannot be promoted: no commit says what it ran. */
export function refuseDirty(source: GovernedSource): void {
  if (!source.commit?.endsWith(DIRTY_SUFFIX)) return;
  const sha = source.commit.slice(0, -DIRTY_SUFFIX.length);
  throw new SlipwayError(
    'pipeline-invalid',
    `Branch "${source.name}" runs a preview built from uncommitted changes on top of ${sha.slice(0, 12)}, so no commit says what it runs, and gates and approvals could not be tied to it.`,
    {
      hint: 'Commit (or stash) the changes, run `slipway up` again so the preview is built from the commit, then promote.',
    },
  );
}

/** The facts an approval signs for promoting `source` into `stage`. */
export function promotionFacts(project: string, stage: string, source: GovernedSource): PromotionFacts {
  return { project, stage, commit: source.commit ?? 'unknown', images: source.images, spec: specHash(source) };
}

/** The target stage as the protected ref declares it; an error when the stage is not there. */
export async function governedStage(spec: Spec, to: string): Promise<{ rules: ProtectedRules; target: StageSpec }> {
  const rules = await protectedRules(spec);
  const target = rules.stages.find((s) => s.name === to);
  if (!target) {
    throw new SlipwayError(
      'pipeline-invalid',
      `Stage "${to}" is not in the pipeline at ${rules.source}, where the gate rules are read from.`,
      {
        hint: 'A stage added in the working tree counts once merged into the protected branch (pipeline.rulesFrom).',
      },
    );
  }
  return { rules, target };
}

/** What the approval gate judges by: the statement, the protected allowed_signers and the range's identities. */
export function approvalContext(rules: ProtectedRules, facts: PromotionFacts): ApprovalContext {
  return {
    statement: approvalStatement(facts),
    rulesSource: rules.source,
    readSigners: (path) => rules.read(path),
    identities: (signers) => rangeIdentities(rules.root, rules.commit, facts.commit, signers),
  };
}

/**
 * A rollback passes the stage's window gates (from the protected ref) like a promotion: inside a
 * freeze it is refused unless `emergency`, which is audited as such. Returns the reasons it was
 * outside a window (empty when inside every one).
 */
export async function rollbackWindows(
  spec: Spec,
  stage: string,
  now: () => Date,
  emergency: boolean,
): Promise<string[]> {
  const { rules, target } = await governedStage(spec, stage);
  const closed: string[] = [];
  for (const gate of target.gates) {
    if (gate.kind !== 'window') continue;
    const r = await windowGate(gate, { now } as GateContext, { stage, signal: new AbortController().signal });
    if (r.state !== 'pass') closed.push(`${gate.name}: ${r.reason}`);
  }
  if (closed.length && !emergency) {
    throw new SlipwayError(
      'gates-failed',
      `Not rolling back ${stage}: its window gate (from ${rules.source}) does not allow a change now:\n  ${closed.join('\n  ')}`,
      {
        hint: `Roll back once the window opens, or, if production is broken, pass --emergency: the rollback is then audited as an emergency.`,
      },
    );
  }
  return closed;
}
