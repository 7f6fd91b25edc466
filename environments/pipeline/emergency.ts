/** An emergency rollback inside a stage's freeze: it passes only with signed approvals of exactly that rollback, as many as the stage's approval gate asks. */
import { SlipwayError } from '../errors';
import type { Spec } from '../spec/types';
import { listApprovals } from './gates/store';
import { governedStage } from './governance';
import { readReleases, type Release } from './releases';
import { verifySignature } from './sshsig';
import { specHash } from './statement';
import { signAndRecord, type ApproveOptions } from './approve';

/** The rollback an emergency approval names: the stage, the release it runs and the release it returns to. */
export interface EmergencyRollback {
  project: string;
  stage: string;
  current: Release;
  target: Release;
}

/** The text an approver of an emergency rollback signs (same SSH namespace as promotion approvals). */
export function emergencyStatement(r: EmergencyRollback): string {
  const images = Object.keys(r.target.images)
    .sort()
    .map((service) => `image ${service}: ${r.target.images[service]}`);
  return [
    'slipway-emergency-rollback v1',
    `project: ${r.project}`,
    `stage: ${r.stage}`,
    `from release: ${r.current.number}`,
    `to release: ${r.target.number}`,
    `commit: ${r.target.from.commit ?? 'unknown'}`,
    ...images,
    `spec: ${specHash(r.target)}`,
    '',
  ].join('\n');
}

/** The release the one at `idx` replaced (following rollbacks back to what they restored). */
export function rollbackTarget(releases: Release[], idx: number): Release | undefined {
  const current = releases[idx];
  const origin = current.rollbackOf ?? current.number;
  const earlier = releases.filter((r) => (r.rollbackOf ?? r.number) < origin);
  return earlier[earlier.length - 1];
}

/** Emergency approvals live beside promotion approvals, keyed by the stage and the pair of releases. */
const store = (r: EmergencyRollback) => ({
  env: `rollback-${r.stage}`,
  commit: `release-${r.current.number}-to-${r.target.number}`,
});

/** The rollback `slipway rollback --stage` would do now; an error when there is no earlier release. */
export function pendingRollback(home: string, project: string, stage: string): EmergencyRollback {
  const history = readReleases(home, project, stage);
  const idx = history.releases.findIndex((r) => r.number === history.current);
  const current = history.releases[idx];
  const target = idx > 0 ? rollbackTarget(history.releases, idx) : undefined;
  if (!current || !target)
    throw new SlipwayError('release-not-found', `Stage ${stage} has no earlier release to roll back to.`, {
      hint: `See \`slipway history --stage ${stage}\`.`,
    });
  return { project, stage, current, target };
}

/** Signs the statement of the pending emergency rollback of `stage` and records it (audited as an approval). */
export async function approveEmergencyRollback(
  home: string,
  project: string,
  stage: string,
  opts: ApproveOptions,
): Promise<{ statement: string; rollback: EmergencyRollback }> {
  const rollback = pendingRollback(home, project, stage);
  const statement = emergencyStatement(rollback);
  await signAndRecord(home, project, stage, statement, store(rollback), opts, {
    release: rollback.target.number,
    images: rollback.target.images,
    note: `emergency rollback of ${stage} from release ${rollback.current.number} to release ${rollback.target.number}${opts.comment ? `: ${opts.comment}` : ''}`,
  });
  return { statement, rollback };
}

/**
 * The principals whose signatures over this rollback's statement verify against the stage's
 * protected allowed_signers, the requester excluded; an error naming what is missing when fewer
 * than the stage's approval count. A stage without an approval gate cannot be rolled back in an emergency.
 */
export async function requireEmergencyApprovals(
  home: string,
  spec: Spec,
  rollback: EmergencyRollback,
  actor: string,
): Promise<string[]> {
  const { rules, target } = await governedStage(spec, rollback.stage);
  const gates = target.gates.flatMap((g) => (g.kind === 'approval' ? [g] : []));
  const how = `Approvers other than you sign it with \`slipway rollback --approve --stage ${rollback.stage}\` (their SSH keys); then run \`slipway rollback --stage ${rollback.stage} --emergency\` again.`;
  if (gates.length === 0)
    throw new SlipwayError(
      'gates-failed',
      `Not rolling back ${rollback.stage} in an emergency: the stage has no approval gate at ${rules.source}, so no one can approve it.`,
      {
        hint: 'Roll back once the window opens, or merge an approval gate for the stage into the protected branch.',
      },
    );
  const gate = gates.reduce((a, b) => (b.count > a.count ? b : a));
  const signers = (await rules.read(gate.allowedSigners)) ?? '';
  const statement = emergencyStatement(rollback);
  const { env, commit } = store(rollback);
  const counted = new Set<string>();
  const notCounted: string[] = [];
  const requester = actor.trim().toLowerCase();
  for (const a of listApprovals(home, rollback.project, env, commit, rollback.stage)) {
    const check = a.signature && signers.trim() ? await verifySignature(statement, a.signature, signers) : undefined;
    if (!check?.valid)
      notCounted.push(`${a.approver} (${check ? check.problem : a.signature ? 'no allowed_signers' : 'unsigned'})`);
    else if (check.principal.toLowerCase() === requester) notCounted.push(`${check.principal} (requests the rollback)`);
    else counted.add(check.principal);
  }
  if (counted.size >= gate.count) return [...counted];
  const have = counted.size > 0 ? ` (${[...counted].join(', ')})` : '';
  const invalid = notCounted.length > 0 ? `; not counted: ${notCounted.join(', ')}` : '';
  throw new SlipwayError(
    'gates-failed',
    `Not rolling back ${rollback.stage} in an emergency: ${counted.size} of ${gate.count} signed approvals of rolling back from release ${rollback.current.number} to release ${rollback.target.number}${have}, checked against ${gate.allowedSigners} at ${rules.source}${invalid}.`,
    { hint: how },
  );
}
