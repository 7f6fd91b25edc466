/**
 * The `approval` gate: counts the distinct people who approved promoting this commit of the
 * source environment into the stage. The author's own approval does not count (emails compare
 * without case); the gate passes at `count` approvers and is `pending` until then.
 */
import { listApprovals, type Approval } from './store';
import { outcome, type GateEvaluator } from './types';

export const approvalGate: GateEvaluator<'approval'> = async (gate, ctx, run) => {
  const approvals = listApprovals(ctx.home, ctx.project, ctx.env, ctx.commit, run.stage);
  const author = ctx.author.trim().toLowerCase();
  const approvers = firstApprovalOfEach(approvals);
  const counted = approvers.filter((a) => a.approver.trim().toLowerCase() !== author);
  const byAuthor = approvers.length > counted.length;
  const evidence = {
    required: gate.count,
    author: ctx.author,
    approvers: counted.map(describe),
    ...(byAuthor ? { ignored: approvers.filter((a) => !counted.includes(a)).map((a) => ({ ...describe(a), why: 'author' })) } : {}),
  };
  const who = counted.length > 0 ? ` (${counted.map((a) => a.approver).join(', ')})` : '';
  const tally = `${counted.length} of ${gate.count} approval${gate.count === 1 ? '' : 's'}${who}`;
  if (counted.length >= gate.count) return outcome('pass', tally, evidence);
  const note = byAuthor ? "; the author's own approval does not count" : '';
  return outcome('pending', `${tally}${note}`, evidence);
};

/** The first approval of each approver (compared without case), in order. */
function firstApprovalOfEach(approvals: Approval[]): Approval[] {
  const seen = new Set<string>();
  return approvals.filter((a) => {
    const key = a.approver.trim().toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describe(a: Approval): { approver: string; at: string; comment?: string } {
  return a.comment === undefined ? { approver: a.approver, at: a.at } : { approver: a.approver, at: a.at, comment: a.comment };
}
