/**
 * The `approval` gate: counts the distinct principals whose SSH signatures over this promotion's
 * statement (project, stage, commit, image digests, spec hash) verify against the allowed_signers
 * file named by the protected spec, read at the protected ref. Unsigned, mis-signed and stale
 * approvals (signed for other digests or another spec) are listed as invalid; a principal who
 * authored, committed or signed a commit of the promoted range is listed as ignored. The gate
 * passes at `count` principals and is `pending` until then.
 */
import { verifySignature } from '../sshsig';
import { listApprovals, type Approval } from './store';
import { outcome, type GateEvaluator } from './types';

interface Judged {
  approval: Approval;
  principal?: string;
  why?: string;
}

export const approvalGate: GateEvaluator<'approval'> = async (gate, ctx, run) => {
  const gov = ctx.approvals;
  if (!gov)
    return outcome('fail', 'no signed statement of this promotion to check approvals against', {
      required: gate.count,
    });
  const signers = await gov.readSigners(gate.allowedSigners);
  const where = `${gate.allowedSigners} at ${gov.rulesSource}`;
  if (signers === undefined || signers.trim() === '') {
    return outcome('fail', `no allowed_signers file (${where}): no approval can be checked`, {
      required: gate.count,
      allowedSigners: where,
    });
  }
  const range = await gov.identities(signers);
  // With no git history to read, whoever requests the promotion is its author.
  const authors =
    range.basis === 'no git history' ? { ...range, principals: [ctx.author.trim().toLowerCase()] } : range;
  const judged: Judged[] = [];
  for (const approval of listApprovals(ctx.home, ctx.project, ctx.env, ctx.commit, run.stage)) {
    run.signal.throwIfAborted();
    judged.push(await judge(approval, gov.statement, signers));
  }
  const counted: Judged[] = [];
  const ignored: Judged[] = [];
  const seen = new Set<string>();
  for (const j of judged.filter((x) => x.principal)) {
    const key = j.principal!.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    if (authors.principals.includes(key))
      ignored.push({ ...j, why: `authored, committed or signed a commit of ${authors.range} (from ${authors.basis})` });
    else counted.push(j);
  }
  const invalid = judged.filter((x) => !x.principal);
  const evidence = {
    required: gate.count,
    rules: gov.rulesSource,
    allowedSigners: where,
    authors: authors,
    approvers: counted.map((j) => describe(j)),
    ...(invalid.length ? { invalid: invalid.map((j) => ({ ...describe(j), why: j.why })) } : {}),
    ...(ignored.length ? { ignored: ignored.map((j) => ({ ...describe(j), why: j.why })) } : {}),
  };
  const who = counted.length > 0 ? ` (${counted.map((j) => j.principal).join(', ')})` : '';
  const tally = `${counted.length} of ${gate.count} signed approval${gate.count === 1 ? '' : 's'}${who}`;
  if (counted.length >= gate.count) return outcome('pass', tally, evidence);
  const notes = [
    ...(ignored.length
      ? [`${ignored.map((j) => j.principal).join(', ')} changed this range and cannot approve it`]
      : []),
    ...(invalid.length ? [`${invalid.length} invalid approval${invalid.length === 1 ? '' : 's'} not counted`] : []),
  ];
  return outcome('pending', notes.length ? `${tally}; ${notes.join('; ')}` : tally, evidence);
};

/** Who signed the approval, checked against the expected statement; else why it does not count. */
async function judge(approval: Approval, statement: string, signers: string): Promise<Judged> {
  if (!approval.signature) return { approval, why: 'unsigned' };
  const check = await verifySignature(statement, approval.signature, signers);
  if (check.valid) return { approval, principal: check.principal };
  if (approval.statement && approval.statement !== statement) {
    const own = await verifySignature(approval.statement, approval.signature, signers);
    if (own.valid)
      return {
        approval,
        why: `stale: ${own.principal} signed other image digests or another spec (${differences(approval.statement, statement)})`,
      };
  }
  return { approval, why: `mis-signed: ${check.problem}` };
}

/** The statement lines that differ, e.g. `image web`. */
function differences(signed: string, expected: string): string {
  const want = new Set(expected.split('\n'));
  const keys = signed
    .split('\n')
    .filter((l) => l && !want.has(l))
    .map((l) => l.split(':')[0]);
  return keys.length ? `differs in ${keys.join(', ')}` : 'differs';
}

function describe(j: Judged): { approver: string; at: string; principal?: string; comment?: string } {
  const a = j.approval;
  return {
    approver: a.approver,
    at: a.at,
    ...(j.principal ? { principal: j.principal } : {}),
    ...(a.comment !== undefined ? { comment: a.comment } : {}),
  };
}
